"""Open documents: text, line index, position encoding, and one incremental syntax tree each.

A change edits the text and the line index in place (only the lines it touches are rescanned)
and records a `tree.edit`; the tree is reparsed lazily, incrementally, the next time someone
asks for it — a burst of keystrokes costs one reparse. A whole-document change (clients that
sync fully) is turned into the smallest equivalent edit, so it stays incremental too.

Never fails: an unknown language, binary content (NUL bytes) or a file over `MAX_TREE_BYTES`
simply has no tree, and callers fall back to lines.
"""

from __future__ import annotations

import logging
import threading
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from lsprotocol import types

from mistral_lsp.syntax.languages import LanguageSpec, language_for
from mistral_lsp.syntax.masks import masked
from mistral_lsp.syntax.positions import (
    LINE_BREAK,
    Encoding,
    LineIndex,
    column_to_index,
    index_to_column,
    normalize_encoding,
    text_length,
    utf8_len,
)

if TYPE_CHECKING:
    from tree_sitter import Parser, Tree

log = logging.getLogger(__name__)

MAX_TREE_BYTES = 4 * 1024 * 1024
"""Files larger than this get no tree: parsing one takes seconds and no prompt needs it."""

_T = TypeVar("_T")


class Document:
    """One open text document.

    Changes and lazy computations take `lock`, so context can be built in a worker thread
    while the event loop applies `didChange` (each waits for the other, a few ms at most).
    """

    def __init__(
        self,
        uri: str,
        text: str,
        version: int | None = None,
        language_id: str = "",
        encoding: str = "utf-16",
    ) -> None:
        self.uri = uri
        self.version = version
        self.language_id = language_id
        self.encoding: Encoding = normalize_encoding(encoding)
        self._lock = threading.RLock()
        self._text = text
        self._index = LineIndex(text)
        self._language = language_for(language_id, uri, text[:200].split("\n", 1)[0], text)
        self._generation = 0
        self._cache: dict[str, Any] = {}
        self.memo: dict[str, Any] = {}
        self._dirty: tuple[int, int, int] | None = None
        """Memory that survives changes (unlike `cached`): what the file index learnt about
        code that has not changed since."""
        self._parser: Parser | None = None
        self._tree: Tree | None = None
        self._tree_stale = True  # the text changed since self._tree was parsed (or never parsed)
        self._tree_edited = False  # self._tree has been tree.edit()-ed and can seed a reparse

    # -- text and lines -----------------------------------------------------------------------

    @property
    def text(self) -> str:
        return self._text

    @property
    def lock(self) -> threading.RLock:
        """Held while a change is applied; hold it to read a consistent snapshot from another
        thread (`build_context` and `select_target` do)."""
        return self._lock

    @property
    def language(self) -> LanguageSpec | None:
        return self._language

    @property
    def generation(self) -> int:
        """Bumped on every change: a key for caches derived from the text."""
        return self._generation

    @property
    def line_count(self) -> int:
        return len(self._index)

    @property
    def lines(self) -> list[str]:
        """The lines, without their line breaks. A text ending with a break has a last, empty line."""
        return self.cached("lines", lambda: LINE_BREAK.split(self._text))

    def line_text(self, line: int) -> str:
        """Line `line` without its line break ("" past the end)."""
        start, end = self._line_bounds(line)
        return self._text[start:end]

    def line_start(self, line: int) -> int:
        """Offset of the first character of `line` (clamped to the document)."""
        if line < 0:
            return 0
        if line >= len(self._index):
            return len(self._text)
        return self._index.start(line)

    def line_end(self, line: int) -> int:
        """Offset just after the text of `line` (before its line break)."""
        return self._line_bounds(line)[1]

    def line_of(self, offset: int) -> int:
        """The line holding string offset `offset` (clamped)."""
        return self._index.line_of(max(0, offset))

    def _line_bounds(self, line: int) -> tuple[int, int]:
        index, text = self._index, self._text
        if line < 0 or line >= len(index):
            return (len(text), len(text)) if line >= 0 else (0, 0)
        start = index.start(line)
        end = index.start(line + 1) if line + 1 < len(index) else len(text)
        if end > start and text[end - 1] == "\n":
            end -= 1
        if end > start and text[end - 1] == "\r":
            end -= 1
        return start, end

    # -- positions ------------------------------------------------------------------------------

    def offset_at(self, position: types.Position) -> int:
        """The string offset of an LSP position, clamped into the document."""
        if position.line < 0:
            return 0
        if position.line >= len(self._index):
            return len(self._text)
        start, end = self._line_bounds(position.line)
        return start + column_to_index(self._text[start:end], position.character, self.encoding)

    def position_at(self, offset: int) -> types.Position:
        """The LSP position of a string offset (clamped; inside a line break → end of line)."""
        offset = max(0, min(offset, len(self._text)))
        line = self.line_of(offset)
        start, end = self._line_bounds(line)
        character = index_to_column(self._text[start:end], min(offset, end) - start, self.encoding)
        return types.Position(line=line, character=character)

    def line_range(self, start_line: int, end_line: int) -> types.Range:
        """Whole lines `start_line..end_line` (inclusive, clamped): from character 0 of the
        first to the end of the last one's text."""
        last = len(self._index) - 1
        start_line = max(0, min(start_line, last))
        end_line = max(start_line, min(end_line, last))
        end_char = text_length(self.line_text(end_line), self.encoding)
        return types.Range(
            start=types.Position(line=start_line, character=0),
            end=types.Position(line=end_line, character=end_char),
        )

    def byte_offset(self, offset: int) -> int:
        """The UTF-8 byte offset (tree-sitter's) of a string offset."""
        if self._text.isascii():
            return offset
        line = self.line_of(offset)
        return self._byte_starts()[line] + utf8_len(self._text[self._index.start(line) : offset])

    def offset_of_byte(self, byte: int) -> int:
        """The string offset of a UTF-8 byte offset (inside a character → its start)."""
        if self._text.isascii():
            return max(0, min(byte, len(self._text)))
        byte_starts = self._byte_starts()
        line = max(0, bisect_right(byte_starts, byte) - 1)
        start, _ = self._line_bounds(line)
        end = self._index.start(line + 1) if line + 1 < len(self._index) else len(self._text)
        raw = self._text[start:end].encode("utf-8", "surrogatepass")[: byte - byte_starts[line]]
        return start + len(raw.decode("utf-8", "ignore"))

    def _byte_starts(self) -> list[int]:
        def build() -> list[int]:
            text, index = self._text, self._index
            out = [0] * len(index)
            total = 0
            previous = 0
            for i in range(1, len(index)):
                start = index.start(i)
                total += utf8_len(text[previous:start])
                out[i] = total
                previous = start
            return out

        return self.cached("byte_starts", build)

    # -- changes --------------------------------------------------------------------------------

    def apply_change(self, change: types.TextDocumentContentChangeEvent) -> None:
        """Apply one `didChange` content change, partial (with a range) or whole."""
        with self._lock:
            if isinstance(change, types.TextDocumentContentChangePartial):
                start = self.offset_at(change.range.start)
                end = self.offset_at(change.range.end)
                if end < start:
                    start, end = end, start
                self._replace(start, end, change.text)
            else:
                self._replace_all(change.text)

    def apply_changes(
        self, changes: Sequence[types.TextDocumentContentChangeEvent], version: int | None
    ) -> None:
        with self._lock:
            for change in changes:
                self.apply_change(change)
            self.version = version

    def _replace_all(self, new_text: str) -> None:
        old = self._text
        if new_text == old:
            return
        # Whole-document sync: find the changed span so the tree can still be reparsed
        # incrementally (and the line index patched) instead of starting over.
        limit = min(len(old), len(new_text))
        prefix = _common_length(limit, lambda n: old[:n] == new_text[:n])
        suffix = _common_length(limit - prefix, lambda n: old[len(old) - n :] == new_text[len(new_text) - n :])
        self._replace(prefix, len(old) - suffix, new_text[prefix : len(new_text) - suffix])

    def _replace(self, start: int, end: int, new: str) -> None:
        old = self._text
        if start == end and not new:
            return
        text = old[:start] + new + old[end:]
        start_byte = start if old.isascii() else utf8_len(old[:start])
        old_end_byte = start_byte + utf8_len(old[start:end])
        new_end_byte = start_byte + utf8_len(new)
        self._mark_dirty(start_byte, old_end_byte, new_end_byte)
        if self._tree is not None:
            start_point = self._ts_point(old, start)
            old_end_point = self._ts_point(old, end)
            newline = new.rfind("\n")
            if newline < 0:
                new_end_point = (start_point[0], start_point[1] + utf8_len(new))
            else:
                new_end_point = (start_point[0] + new.count("\n"), utf8_len(new[newline + 1 :]))
            self._tree.edit(start_byte, old_end_byte, new_end_byte, start_point, old_end_point, new_end_point)
            self._tree_edited = True

        self._index.replace(old, start, end, new, text)
        self._text = text
        self._tree_stale = True
        self._generation += 1
        self._cache.clear()

    def _mark_dirty(self, start: int, old_end: int, new_end: int) -> None:
        """Merge one edit (bytes) into the span changed since `take_changes()`."""
        grown = new_end - old_end
        if self._dirty is None:
            self._dirty = (start, new_end, grown)
            return
        dirty_start, dirty_end, delta = self._dirty
        # Before min(start) nothing moved; from the new end on, bytes are the old ones shifted.
        self._dirty = (min(dirty_start, start), max(new_end, dirty_end + grown), delta + grown)

    def take_changes(self) -> tuple[int, int, int] | None:
        """The bytes changed since the last call, as (start, end, shift): bytes before `start`
        are as they were, bytes from `end` on were at `offset - shift`; None if nothing changed.
        For the file index, which keeps what it knows about unchanged code."""
        with self._lock:
            changes, self._dirty = self._dirty, None
            return changes

    def _ts_point(self, text: str, offset: int) -> tuple[int, int]:
        """Tree-sitter's (row, byte column) of `offset` in `text` (the text before the edit)."""
        line_start = text.rfind("\n", 0, offset) + 1
        column = offset - line_start if text.isascii() else utf8_len(text[line_start:offset])
        # Tree-sitter counts rows by "\n" only: our lines agree unless a lone "\r" breaks one.
        if "\r" not in text:
            return self._index.line_of(offset), column
        return text.count("\n", 0, offset), column

    # -- tree -------------------------------------------------------------------------------------

    @property
    def tree(self) -> Tree | None:
        """The syntax tree of the current text, reparsed incrementally when stale.

        None for an unknown language, binary content, a file over `MAX_TREE_BYTES`, or when the
        grammar fails to load.
        """
        with self._lock:
            if self._tree_stale:
                self._reparse()
            return self._tree

    def _reparse(self) -> None:
        self._tree_stale = False
        spec = self._language
        old_tree = self._tree if self._tree_edited else None
        self._tree = None
        self._tree_edited = False
        if spec is None or "\0" in self._text:
            return
        data = self._text.encode("utf-8", "surrogatepass")
        if len(data) > MAX_TREE_BYTES:
            return
        if spec.parse_masks:
            data = masked(data, spec.parse_masks)
        try:
            if self._parser is None:
                from tree_sitter import Parser

                self._parser = Parser(spec.grammar())
            self._tree = self._parser.parse(data) if old_tree is None else self._parser.parse(data, old_tree)
        except Exception:  # a grammar that fails to load must not take the server down
            log.exception("cannot parse %s as %s", self.uri, spec.name)
            self._tree = None

    def cached(self, key: str, compute: Callable[[], _T]) -> _T:
        """`compute()`, memoized until the next change of the text."""
        with self._lock:
            if key in self._cache:
                cached: _T = self._cache[key]
                return cached
            value = compute()
            self._cache[key] = value
            return value

    def __repr__(self) -> str:
        language = self._language.name if self._language else self.language_id or "?"
        return f"Document({self.uri!r}, version={self.version}, {language}, {len(self._index)} lines)"


def _common_length(limit: int, equal: Callable[[int], bool]) -> int:
    """The largest n <= limit with equal(n), for a monotone `equal` (binary search)."""
    low, high = 0, limit
    while low < high:
        middle = (low + high + 1) // 2
        if equal(middle):
            low = middle
        else:
            high = middle - 1
    return low


class DocumentStore:
    """The open documents by URI, all in the position encoding negotiated at initialize."""

    def __init__(self, encoding: str = "utf-16") -> None:
        self.encoding: Encoding = normalize_encoding(encoding)
        self._documents: dict[str, Document] = {}

    def open(self, uri: str, text: str, version: int | None = None, language_id: str = "") -> Document:
        doc = Document(uri, text, version, language_id, self.encoding)
        self._documents[uri] = doc
        return doc

    def get(self, uri: str) -> Document | None:
        return self._documents.get(uri)

    def change(
        self, uri: str, changes: Sequence[types.TextDocumentContentChangeEvent], version: int | None
    ) -> Document | None:
        """Apply `didChange` content changes; None (and nothing done) for a document not open."""
        doc = self._documents.get(uri)
        if doc is not None:
            doc.apply_changes(changes, version)
        return doc

    def close(self, uri: str) -> None:
        self._documents.pop(uri, None)

    def set_encoding(self, encoding: str) -> None:
        """Use the position encoding negotiated at initialize (for open and future documents)."""
        self.encoding = normalize_encoding(encoding)
        for doc in self._documents.values():
            doc.encoding = self.encoding

    def __iter__(self) -> Iterator[Document]:
        return iter(list(self._documents.values()))

    def __len__(self) -> int:
        return len(self._documents)

    def __contains__(self, uri: object) -> bool:
        return uri in self._documents
