"""Which workspace files a model's tool call may read: confinement and denial.

Tool arguments come from the model and are untrusted. A path is read only when it is
workspace-relative, has no `..`, resolves (symlinks followed) inside the workspace root it was
joined to, is not a secret (`SECRET_GLOBS`, `.git/`, the `tools.deny` globs) and is not ignored
by git (an indexed file was listed by `git ls-files --exclude-standard` or a walk honouring
`.gitignore`; any other file is checked against the `.gitignore` files above it).

Refusals are `ToolError`s whose message goes back to the model; nothing here raises anything else.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

SECRET_GLOBS: tuple[str, ...] = (
    ".env*", "*.pem", "*.key", "id_rsa*", "*credentials*", "*secret*",
)
MAX_PATH_CHARS = 1000


class ToolError(Exception):
    """A tool call that cannot be answered; its message is the tool result the model reads."""


class PathGuard:
    """Confines paths to `roots` and denies secrets and ignored files (see the module docstring)."""

    def __init__(self, roots: Sequence[Path], deny: Iterable[str] = (), indexed: Any = None) -> None:
        self.roots = [Path(root).resolve() for root in roots]
        self.deny = tuple(SECRET_GLOBS) + tuple(deny)
        self._deny_lowered = tuple(pattern.lower() for pattern in self.deny)
        # `indexed(path) -> bool`: the file is in the workspace index (so not ignored).
        self._indexed = indexed
        self._ignore_specs: dict[Path, Any] = {}

    def denied(self, relative: str) -> bool:
        """A secret or `tools.deny` match, by any part of the workspace-relative path."""
        lowered = relative.lower()
        parts = lowered.split("/")
        if ".git" in parts:
            return True
        return any(
            fnmatch.fnmatchcase(lowered, pattern) or any(fnmatch.fnmatchcase(part, pattern) for part in parts)
            for pattern in self._deny_lowered
        )

    def resolve(self, raw: object) -> tuple[Path, str]:
        """The real file `raw` names and its workspace-relative label; `ToolError` when refused."""
        if not isinstance(raw, str) or not raw.strip():
            raise ToolError("path must be a non-empty workspace-relative string")
        text = raw.strip().replace("\\", "/")
        if len(text) > MAX_PATH_CHARS or "\0" in text:
            raise ToolError("path is not a valid workspace path")
        if text.startswith(("/", "~")) or (len(text) > 1 and text[1] == ":"):
            raise ToolError(f"{_show(text)}: use a workspace-relative path")
        pure = PurePosixPath(text)
        if ".." in pure.parts:
            raise ToolError(f"{_show(text)}: '..' is not allowed; paths stay inside the workspace")
        for root in self.roots:
            candidate = root / pure
            if not candidate.exists():
                continue
            real = candidate.resolve()
            if not real.is_relative_to(root):
                raise ToolError(f"{_show(text)}: points outside the workspace")
            relative = real.relative_to(root).as_posix()
            self.check(real, relative, root)
            return real, relative
        raise ToolError(f"{_show(text)}: no such file in the workspace")

    def check(self, real: Path, relative: str, root: Path) -> None:
        """`ToolError` when the confined file `real` must not be read."""
        if self.denied(relative):
            raise ToolError(f"{relative}: denied (secrets and tools.deny files are never read)")
        if self._indexed is not None and self._indexed(real.as_posix()):
            return
        if self._ignored(real, root):
            raise ToolError(f"{relative}: denied (ignored by .gitignore)")

    def _ignored(self, real: Path, root: Path) -> bool:
        directory = real.parent
        chain = [directory, *directory.parents]
        for base in chain:
            if not base.is_relative_to(root):
                break
            spec = self._spec(base)
            if spec is None:
                continue
            relative = real.relative_to(base).as_posix()
            if spec.match_file(relative) or any(
                spec.match_file(parent.as_posix() + "/") for parent in PurePosixPath(relative).parents
                if parent.as_posix() != "."
            ):
                return True
        return False

    def _spec(self, directory: Path) -> Any:
        if directory not in self._ignore_specs:
            spec = None
            ignore = directory / ".gitignore"
            if ignore.is_file():
                import pathspec

                try:
                    spec = pathspec.GitIgnoreSpec.from_lines(ignore.read_text(errors="replace").splitlines())
                except (OSError, ValueError):
                    spec = None
            self._ignore_specs[directory] = spec
        return self._ignore_specs[directory]


def _show(text: str) -> str:
    return text if len(text) <= 80 else text[:77] + "…"
