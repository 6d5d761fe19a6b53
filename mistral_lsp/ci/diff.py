"""What `mistral-lsp review` looks at: files named on the command line, or the lines a git diff touched.

Serves no LSP method: the command line's counterpart of the editor telling the server which
file was saved. `git` is run as a subprocess (no library: the user's git, with the user's
configuration, is the one whose diff CI and pre-commit mean):

- `--diff BASE`: `git diff -U0 BASE` — BASE against the working tree, read from disk;
- `--staged`: `git diff -U0 --cached` — the index against HEAD, read from the index
  (`git show :path`), so a pre-commit hook reviews what is being committed, not what is on disk;
- paths: files as they are on disk; a directory means its files git knows (`git ls-files`),
  or every file under it outside a repository.

Hunks say which lines of the new text changed (`FileChange.lines`) and after which lines
others were deleted (`FileChange.deleted_after`); `batch.py` maps both to definition units.
"""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


class GitError(Exception):
    """git is missing, or refused the command; the message carries git's own words."""


@dataclasses.dataclass(frozen=True)
class FileChange:
    """The changed lines of one file, 0-based in its new text."""

    path: str  # posix, relative to the repository root
    lines: frozenset[int]
    deleted_after: frozenset[int]


def _git(root: Path, *args: str) -> bytes:
    try:
        done = subprocess.run(
            ["git", "-c", "core.quotePath=false", *args], cwd=root, capture_output=True, check=False
        )
    except OSError as exc:
        raise GitError(f"cannot run git: {exc}") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip() or f"exit status {done.returncode}"
        raise GitError(f"git {' '.join(args)}: {message}")
    return done.stdout


def repository_root(start: Path) -> Path | None:
    """The top of the git work tree holding `start`, or None outside one (or without git)."""
    try:
        out = _git(start, "rev-parse", "--show-toplevel")
    except GitError:
        return None
    return Path(out.decode("utf-8").strip())


def _unquote(name: str) -> str:
    """git quotes names with control characters or quotes: "a\\tb" -> a<TAB>b."""
    if len(name) >= 2 and name[0] == name[-1] == '"':
        raw = name[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")
        return raw.encode("latin-1", "replace").decode("utf-8", "replace")
    return name


def parse_diff(text: str) -> list[FileChange]:
    """The changed lines of each file in a `git diff -U0` output (deleted files left out)."""
    changes: list[FileChange] = []
    path: str | None = None
    lines: set[int] = set()
    deleted: set[int] = set()

    def flush() -> None:
        if path is not None:
            changes.append(FileChange(path, frozenset(lines), frozenset(deleted)))

    for row in text.splitlines():
        if row.startswith("diff --git "):
            flush()
            path, lines, deleted = None, set(), set()
        elif row.startswith("+++ "):
            target = _unquote(row[4:].rstrip("\t"))
            path = None if target == "/dev/null" else target.removeprefix("b/")
        elif row.startswith("@@") and path is not None:
            match = _HUNK.match(row)
            if match is None:
                continue
            start, count = int(match.group(1)), int(match.group(2) or "1")
            if count == 0:
                deleted.add(max(start - 1, 0))  # "+c,0": lines were removed after new line c
            else:
                lines.update(range(start - 1, start - 1 + count))
    flush()
    return changes


def diff_changes(
    root: Path, *, base: str | None, staged: bool, paths: Sequence[str] = ()
) -> list[FileChange]:
    """The files and lines changed since `base` (working tree) or staged in the index."""
    args = ["diff", "--no-color", "--no-ext-diff", "-U0", "--diff-filter=d"]
    if staged:
        args.append("--cached")
    if base is not None:
        args.append(base)
    args.append("--")
    args.extend(paths)
    return parse_diff(_git(root, *args).decode("utf-8", "replace"))


def staged_text(root: Path, path: str) -> bytes:
    """The content of `path` in the index (what `git commit` would record)."""
    return _git(root, "show", f":{path}")


def expand_paths(root: Path, arguments: Iterable[str], cwd: Path) -> tuple[list[str], list[str]]:
    """Files named by `arguments` (files, or directories) relative to `root`, and the arguments
    that name nothing. Directories give the files git tracks there (all files outside git)."""
    found: dict[str, None] = {}
    missing: list[str] = []
    in_git = repository_root(root) is not None
    for argument in arguments:
        target = (cwd / argument).resolve()
        if target.is_file():
            found[_relative(root, target)] = None
        elif target.is_dir():
            if in_git:
                listed = _git(root, "ls-files", "-z", "--", str(target)).decode("utf-8", "replace")
                for name in filter(None, listed.split("\0")):
                    if (root / name).is_file():
                        found[name] = None
            else:
                for folder, dirs, files in os.walk(target):
                    dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                    for name in sorted(files):
                        found[_relative(root, Path(folder) / name)] = None
        else:
            missing.append(argument)
    return list(found), missing


def _relative(root: Path, path: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.resolve().as_posix()
