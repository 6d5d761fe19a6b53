"""Which files of a workspace the index keeps: `git ls-files` in a repository (it honours
`.gitignore`), else a walk honouring the `.gitignore` files it meets (`pathspec`); never
vendored, minified, binary or huge files; at most a file-count cap.

Generated files are indexed: a `stringer` table or a protobuf `*.pb.go` type is exactly what
hand-written code uses. Only review leaves them alone (`review.scope`, `reviewExclude`).

Pure: no pygls. Serves no LSP method itself (`syntax.workspace` builds the index from it).
"""

from __future__ import annotations

import logging
import os
import stat as stat_module
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pathspec

from mistral_lsp.syntax.languages import language_for

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 1_000_000
"""Bigger files are data or generated tables: not indexed."""
DEFAULT_MAX_FILES = 20_000
SKIPPED_DIRS = frozenset({
    ".git", ".hg", ".svn", "node_modules", "vendor", "third_party", "dist", "build", "target", "out",
    "__pycache__", ".venv", "venv", ".tox", ".mypy_cache", ".pytest_cache", ".cache", ".idea", ".vscode",
})
MINIFIED_SUFFIXES = (".min.js", ".min.mjs")


def is_indexable(
    path: Path, head: bytes | None = None, root: Path | None = None,
    known: Callable[[Path, os.stat_result], bool] | None = None,
) -> bool:
    """A regular source file in a language we know, not vendored, minified, binary or huge
    (folders count from `root`: a workspace inside `~/.cache` is still indexed); generated
    files are. `known(path, stat)` true: the file is as it was when it was last found
    indexable (its head is not read again)."""
    name = path.name
    if name.endswith(MINIFIED_SUFFIXES) or language_for(uri=name) is None:
        return False
    # Folders from `root` on (string operations: pathlib's would cost more than the stat).
    full = path.as_posix()
    base = root.as_posix().rstrip("/") + "/" if root is not None else ""
    folders = (full[len(base):] if base and full.startswith(base) else full).split("/")[:-1]
    if any(part in SKIPPED_DIRS for part in folders):
        return False
    try:
        stat = path.stat()
        # A named pipe or a device would block or never end the read of its head.
        if stat.st_size > MAX_FILE_BYTES or not stat_module.S_ISREG(stat.st_mode):
            return False
        if known is not None and known(path, stat):
            return True
        if head is None:
            with path.open("rb") as stream:
                head = stream.read(2048)
    except OSError:
        return False
    return b"\0" not in head


def list_files(
    root: Path, max_files: int = DEFAULT_MAX_FILES, known: Callable[[Path, os.stat_result], bool] | None = None
) -> list[Path]:
    """The files of `root` to index: `git ls-files` in a repository (which honours
    `.gitignore`), else a walk honouring the `.gitignore` files it meets; at most `max_files`.
    `known`: see `is_indexable`."""
    out: list[Path] = []
    for path in _candidates(root):
        if is_indexable(path, root=root, known=known):
            out.append(path)
            if len(out) >= max_files:
                log.info("workspace index: %s has more than %d files; indexing the first", root, max_files)
                break
    return out


def _candidates(root: Path) -> Iterator[Path]:
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=root, capture_output=True, check=True, timeout=30,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        listed = None
    if listed is not None:
        for name in sorted(listed.decode("utf-8", "surrogateescape").split("\0")):
            if name:
                yield root / name
        return
    yield from _walk(root)


def _walk(root: Path) -> Iterator[Path]:
    import pathspec  # only without git: a walk honouring .gitignore files

    specs: list[tuple[Path, pathspec.PathSpec[Any]]] = []
    for directory, dirs, names in os.walk(root):
        here = Path(directory)
        specs = [(base, spec) for base, spec in specs if here == base or base in here.parents]
        ignore = here / ".gitignore"
        if ignore.is_file():
            try:
                lines = ignore.read_text(errors="replace").splitlines()
                specs.append((here, pathspec.GitIgnoreSpec.from_lines(lines)))
            except OSError:
                pass
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not _ignored(specs, here / d, True))
        for name in sorted(names):
            path = here / name
            if not _ignored(specs, path, False):
                yield path


def _ignored(specs: list[tuple[Path, pathspec.PathSpec[Any]]], path: Path, is_dir: bool) -> bool:
    for base, spec in specs:
        relative = path.relative_to(base).as_posix() + ("/" if is_dir else "")
        if spec.match_file(relative):
            return True
    return False
