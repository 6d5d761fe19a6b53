"""The four read-only workspace tools: `definition`, `references`, `read` and `search`.

Each takes the model's decoded arguments (untrusted: every type and size is checked) and answers
text for the model plus one human line for the user, or raises `ToolError`. Scans are bounded
in files and bytes (`MAX_SCAN_BYTES`), read the likely files first (`Catalog.ranked`) and stop
at their hit limits; `references` reads only the files the index's word map says hold the name
(`syntax.word_map`), so a call costs about a millisecond on a tree the size of Go's standard
library.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from mistral_lsp.lookup.catalog import Catalog, Texts, catalog_of
from mistral_lsp.lookup.guard import PathGuard, ToolError
from mistral_lsp.syntax.document import Document
from mistral_lsp.syntax.index import file_index

if TYPE_CHECKING:
    from mistral_lsp.syntax.workspace import Symbol, WorkspaceIndex

MAX_DEFINITION_LINES = 80
MAX_REFERENCES = 30
MAX_READ_LINES = 200
MAX_SEARCH_HITS = 30
MAX_LINE_CHARS = 200
MAX_SCAN_BYTES = 2_000_000
"""Text read per scan among the nearest files (the package, the files importing it)."""
MAX_REST_BYTES = 500_000
"""Text read per scan among the other files, after the nearest (a cold read costs ~40 µs)."""
MAX_SCAN_FILES = 400
_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")
_COMMENT_STARTS = ("#", "//", "/*", "* ", "--", ";;")


@dataclasses.dataclass(frozen=True)
class Found:
    """A tool's answer: `text` for the model; what was looked up (`subject`) and `where` it was
    found, for the user."""

    text: str
    subject: str
    where: str


@dataclasses.dataclass
class Workspace:
    """What the tools read: the index (None when it is off), the roots, and the action's file."""

    index: WorkspaceIndex | None
    guard: PathGuard
    origin: str | None = None
    """The absolute path of the document the action runs on (ranks what is near it first)."""

    word_map: bool = True
    """Scan only the files the index's word map says hold the name (off: every file, the
    bench's baseline)."""

    def __post_init__(self) -> None:
        self.texts = Texts(self.index)
        roots = self.index.roots if self.index is not None else self.guard.roots
        self._prefixes = [root.as_posix().rstrip("/") + "/" for root in roots]
        self._allowed: dict[str, bool] = {}

    def catalog(self) -> Catalog:
        if self.index is None:
            raise ToolError("the workspace index is off (mistral.workspaceIndexMaxFiles is 0)")
        return catalog_of(self.index)

    def relative(self, path: str) -> str:
        """`path` relative to its workspace root (string operations: this runs for every hit)."""
        for prefix in self._prefixes:
            if path.startswith(prefix):
                return path[len(prefix):]
        return self.index.relative(path) if self.index is not None else path

    def allowed(self, path: str) -> bool:
        """An indexed file the guard lets the model see (secrets and tools.deny never)."""
        allowed = self._allowed.get(path)
        if allowed is None:
            allowed = self._allowed[path] = not self.guard.denied(self.relative(path))
        return allowed


def _name(arguments: dict[str, Any]) -> str:
    raw = arguments.get("name")
    if not isinstance(raw, str) or not raw.strip():
        raise ToolError("'name' must be a non-empty string")
    name = raw.strip()
    if len(name) > 200:
        raise ToolError("'name' is too long")
    last = re.split(r"\.|::|->|#", name)[-1]
    if not _IDENTIFIER.fullmatch(last):
        raise ToolError(f"'name' must be an identifier (got {name[:60]!r})")
    return last


def _near(workspace: Workspace, arguments: dict[str, Any]) -> str | None:
    """The absolute path `path` names (checked), else the action's file."""
    raw = arguments.get("path")
    if raw is None or raw == "":
        return workspace.origin
    real, _ = workspace.guard.resolve(raw)
    return real.as_posix()


def definition(workspace: Workspace, arguments: dict[str, Any]) -> Found:
    name = _name(arguments)
    near = _near(workspace, arguments)
    catalog = workspace.catalog()
    candidates = [(p, s) for p, s in catalog.definitions.get(name, ()) if workspace.allowed(p)]
    if not candidates:
        return _member_definition(workspace, catalog, name, near)
    candidates.sort(key=lambda found: _closeness(found[0], near))
    path, symbol = candidates[0]
    text = workspace.texts.get(path)
    if text is None:
        raise ToolError(f"{workspace.relative(path)} cannot be read")
    return _show_definition(workspace, path, text, symbol.start_line, symbol.end_line, name, candidates[1:6])


def _member_definition(workspace: Workspace, catalog: Catalog, name: str, near: str | None) -> Found:
    """A method or member (the index keeps top-level names): parse the few likely files."""
    word = re.compile(rf"\b{re.escape(name)}\b")
    parsed = 0
    for path in catalog.ranked(near)[:MAX_SCAN_FILES]:
        text = workspace.texts.get(path)
        if text is None or not word.search(text) or not workspace.allowed(path):
            continue
        doc = Document(Path(path).as_uri(), text)
        for info in file_index(doc).by_name.get(name, ()):
            return _show_definition(workspace, path, text, info.start_line, info.end_line, name, [])
        parsed += 1
        if parsed >= 4:
            break
    raise ToolError(f"no definition of {name!r} found in the workspace index")


def _closeness(path: str, near: str | None) -> tuple[int, int, str]:
    if near is None:
        return (2, len(path), path)
    if path == near:
        return (0, 0, path)
    same_dir = PurePosixPath(path).parent == PurePosixPath(near).parent
    return (1 if same_dir else 2, len(path), path)


def _show_definition(
    workspace: Workspace, path: str, text: str, start: int, end: int, name: str,
    others: list[tuple[str, Symbol]],
) -> Found:
    lines = text.splitlines()
    body = lines[start : end + 1]
    relative = workspace.relative(path)
    if len(body) > MAX_DEFINITION_LINES:
        kept = body[: MAX_DEFINITION_LINES - 20]
        cut = len(body) - len(kept)
        body = [*kept, f"… {cut} more lines cut; read({relative!r}, {start + len(kept) + 1}, {end + 1}) shows them"]
    out = [f"{relative}:{start + 1}", *body]
    if others:
        out.append("also defined at: " + ", ".join(f"{workspace.relative(p)}:{s.start_line + 1}" for p, s in others))
    return Found("\n".join(out), name, f"{relative}:{start + 1}")


def references(workspace: Workspace, arguments: dict[str, Any]) -> Found:
    name = _name(arguments)
    near = _near(workspace, arguments)
    catalog = workspace.catalog()
    home = near
    homes = sorted((p for p, _ in catalog.definitions.get(name, ())), key=lambda p: _closeness(p, near))
    if homes and not arguments.get("path"):
        home = homes[0]  # the defining file's package comes first
    words = (*_module_words(home), name)
    holding = workspace.index.words.files_with(name) if workspace.index is not None and workspace.word_map else None
    tiers = catalog.tiers(home, words, holding)
    hits, scanned, complete = _scan(workspace, tiers, name, MAX_REFERENCES, whole_word=True)
    if not hits:
        raise ToolError(f"no uses of {name!r} found in the {scanned} files searched")
    more = "" if complete else f"\n(first {len(hits)} shown; more may exist)"
    files = {h.split(":", 1)[0] for h in hits}
    return Found("\n".join(hits) + more, name, f"{_count(len(hits), 'use')} in {_count(len(files), 'file')}")


def _module_words(path: str | None) -> tuple[str, ...]:
    """Words an import of `path`'s module would contain: its stem and its directory's name."""
    if path is None:
        return ()
    pure = PurePosixPath(path)
    words = {pure.stem, pure.parent.name}
    return tuple(w for w in words if w and _IDENTIFIER.fullmatch(w) and w not in ("src", "lib", "index", "__init__"))


def _scan(
    workspace: Workspace, tiers: tuple[list[str], list[str]], needle: str, limit: int, *, whole_word: bool = False
) -> tuple[list[str], int, bool]:
    """`path:line: text` for lines holding `needle` (as a whole identifier with `whole_word`;
    comment lines skipped) in the nearest files, then the rest, each within its byte budget;
    also the files scanned, and whether the scan was complete."""
    hits: list[str] = []
    scanned = 0
    for paths, byte_budget in zip(tiers, (MAX_SCAN_BYTES, MAX_REST_BYTES), strict=True):
        read = 0
        for path in paths:
            if scanned >= MAX_SCAN_FILES or read >= byte_budget or len(hits) >= limit:
                return hits, scanned, False
            text = workspace.texts.get(path)
            scanned += 1
            if text is None:
                continue
            if workspace.index is not None and workspace.index.words.is_unknown(path):
                workspace.index.words.learn(path, text)  # taken from the saved index: words not read yet
            read += len(text)
            if needle in text and workspace.allowed(path):
                hits.extend(f"{workspace.relative(path)}:{number}: {_clip(line.strip())}"
                            for number, line in _matching_lines(text, needle, whole_word, limit - len(hits)))
    return hits, scanned, len(hits) < limit


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char in "_$"


def _matching_lines(text: str, needle: str, whole_word: bool, limit: int) -> list[tuple[int, str]]:
    """(1-based number, line) of the first `limit` lines holding `needle` outside a comment line,
    once per line (`str.find`: a regex with look-arounds is ten times slower on big files)."""
    out: list[tuple[int, str]] = []
    at, line_number, counted_to, last_start = text.find(needle), 1, 0, -1
    while at >= 0 and len(out) < limit:
        end_of_match = at + len(needle)
        if whole_word and ((at > 0 and _is_word_char(text[at - 1])) or
                           (end_of_match < len(text) and _is_word_char(text[end_of_match]))):
            at = text.find(needle, at + 1)
            continue
        start = text.rfind("\n", 0, at) + 1
        end = text.find("\n", end_of_match)
        end = len(text) if end < 0 else end
        if start != last_start:
            last_start = start
            line_number += text.count("\n", counted_to, start)
            counted_to = start
            line = text[start:end]
            if not line.lstrip().startswith(_COMMENT_STARTS):
                out.append((line_number, line))
        at = text.find(needle, end)
    return out


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "es" if noun.endswith("ch") else "s")


def _clip(line: str) -> str:
    return line if len(line) <= MAX_LINE_CHARS else line[: MAX_LINE_CHARS - 1] + "…"


def _int(arguments: dict[str, Any], key: str) -> int:
    value = arguments.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        raise ToolError(f"'{key}' must be a line number (1-based)")
    return int(value)


def read(workspace: Workspace, arguments: dict[str, Any]) -> Found:
    real, relative = workspace.guard.resolve(arguments.get("path"))
    start = max(1, _int(arguments, "start"))
    end = _int(arguments, "end") if arguments.get("end") is not None else start + MAX_READ_LINES - 1
    if end < start:
        raise ToolError("'end' must not be before 'start'")
    end = min(end, start + MAX_READ_LINES - 1)
    if not real.is_file():
        raise ToolError(f"{relative} is not a file")
    text = workspace.texts.get(real.as_posix())
    if text is None:
        raise ToolError(f"{relative} cannot be read (binary or over 1 MB)")
    lines = text.splitlines()
    if start > len(lines):
        raise ToolError(f"{relative} has {len(lines)} lines")
    end = min(end, len(lines))
    shown = [_clip_long(line) for line in lines[start - 1 : end]]
    return Found("\n".join([f"{relative}:{start}-{end} (of {len(lines)})", *shown]), relative, f"lines {start}-{end}")


def _clip_long(line: str) -> str:
    return line if len(line) <= 1000 else line[:999] + "…"


def search(workspace: Workspace, arguments: dict[str, Any]) -> Found:
    raw = arguments.get("text")
    if not isinstance(raw, str) or len(raw.strip()) < 2:
        raise ToolError("'text' must be a string of at least 2 characters")
    if len(raw) > 200 or "\n" in raw:
        raise ToolError("'text' must be one line of at most 200 characters")
    catalog = workspace.catalog()
    hits, scanned, complete = _scan(workspace, catalog.tiers(workspace.origin), raw, MAX_SEARCH_HITS)
    if not hits:
        searched = "every indexed file" if complete else f"the first {scanned} files"
        raise ToolError(f"no match for {raw[:60]!r} in {searched}")
    more = "" if complete else f"\n(first {len(hits)} shown; narrow the text for more)"
    return Found("\n".join(hits) + more, raw[:40], _count(len(hits), "match"))


TOOLS = {"definition": definition, "references": references, "read": read, "search": search}
