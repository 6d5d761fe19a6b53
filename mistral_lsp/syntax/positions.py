"""Conversions between LSP positions, Python string offsets and UTF-8 byte offsets.

LSP counts `character` in the negotiated encoding's code units (UTF-16 unless the client offers
another), Python indexes strings by code point, tree-sitter by UTF-8 byte. Line breaks are
`\\r\\n`, `\\n` and a lone `\\r` (LSP 3.17), never the other separators `str.splitlines` knows.
Everything here is pure and clamps instead of raising: editors do send positions past the end of
a line, or inside a surrogate pair, and a language server must not fail on them.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from typing import Literal

Encoding = Literal["utf-8", "utf-16", "utf-32"]

LINE_BREAK = re.compile(r"\r\n|\r|\n")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def normalize_encoding(value: str | None) -> Encoding:
    """The encoding named by an LSP `PositionEncodingKind` value; UTF-16 when unknown."""
    if value == "utf-8":
        return "utf-8"
    if value == "utf-32":
        return "utf-32"
    return "utf-16"


def utf8_len(text: str) -> int:
    # surrogatepass: a JSON string may carry a lone surrogate; it must not crash the server.
    return len(text.encode("utf-8", "surrogatepass"))


def line_starts(text: str, start: int = 0, end: int | None = None) -> list[int]:
    """Offsets just after each line break in `text[start:end]` (absolute offsets)."""
    stop = len(text) if end is None else end
    return [m.end() for m in LINE_BREAK.finditer(text, start, stop)]


def _unit_len(ch: str, encoding: Encoding) -> int:
    code = ord(ch)
    if encoding == "utf-16":
        return 2 if code > 0xFFFF else 1
    if encoding == "utf-8":
        # Lone surrogates (< 0x10000) take 3 bytes with surrogatepass, in step with utf8_len.
        return 1 if code < 0x80 else 2 if code < 0x800 else 3 if code < 0x10000 else 4
    return 1


def column_to_index(line: str, character: int, encoding: Encoding) -> int:
    """The index into `line` of LSP column `character`, clamped to the line.

    A column inside a character (half a surrogate pair, inside a UTF-8 sequence) lands on the
    start of that character.
    """
    if character <= 0:
        return 0
    if encoding == "utf-32" or line.isascii() or (encoding == "utf-16" and not _ASTRAL.search(line)):
        return min(character, len(line))
    units = 0
    for index, ch in enumerate(line):
        units += _unit_len(ch, encoding)
        if units > character:
            return index
    return len(line)


def index_to_column(line: str, index: int, encoding: Encoding) -> int:
    """The LSP column of `line[index]` in `encoding` (index clamped to the line)."""
    index = max(0, min(index, len(line)))
    prefix = line[:index]
    if encoding == "utf-32" or prefix.isascii():
        return index
    if encoding == "utf-16":
        return index + len(_ASTRAL.findall(prefix))
    return utf8_len(prefix)


def text_length(text: str, encoding: Encoding) -> int:
    """Length of `text` in the encoding's code units."""
    return index_to_column(text, len(text), encoding)


class LineIndex:
    """The offset where each line starts, patched on every edit.

    Typing shifts the start of every later line; doing that at once costs O(lines) per
    keystroke (~0.5 ms at 10k lines). So a pending shift — "from line k on, add d" — is kept
    while the edits stay on one line without adding or removing line breaks, and folded in when
    an edit lands elsewhere.
    """

    __slots__ = ("_k", "_shift", "_starts")

    def __init__(self, text: str) -> None:
        self._starts = [0, *line_starts(text)]
        self._k = len(self._starts)
        self._shift = 0

    def __len__(self) -> int:
        return len(self._starts)

    def start(self, line: int) -> int:
        """Offset of the first character of `line` (0 <= line < len(self))."""
        start = self._starts[line]
        return start + self._shift if line >= self._k else start

    def line_of(self, offset: int) -> int:
        """The line holding `offset` (offsets past the end → the last line)."""
        starts, k = self._starts, self._k
        if k < len(starts) and offset >= starts[k] + self._shift:
            return bisect_right(starts, offset - self._shift, k) - 1
        return max(0, bisect_right(starts, offset, 0, k) - 1)

    def _flush(self) -> None:
        if self._shift:
            shift = self._shift
            self._starts[self._k :] = [start + shift for start in self._starts[self._k :]]
        self._k = len(self._starts)
        self._shift = 0

    def replace(self, old: str, start: int, end: int, new: str, text: str) -> None:
        """Account for `old[start:end]` having become `new`, giving `text`."""
        delta = len(new) - (end - start)
        first = self.line_of(start)
        last = self.line_of(end)
        removed = old[start:end]
        splits_crlf = 0 < start < len(old) and old[start - 1] == "\r" and old[start] == "\n"
        if first == last and not splits_crlf and not _has_break(new) and not _has_break(removed):
            # Inside one line (whose text holds no line break): later lines just move.
            if self._k == first + 1 or not self._shift:
                self._k = first + 1
                self._shift += delta
                return
            self._flush()
            self._k = first + 1
            self._shift = delta
            return
        self._flush()
        starts = self._starts
        # Rescan from the line before the edit (a "\n" typed after a "\r" merges two breaks)
        # to the end of the last line touched; shift the rest.
        first = max(0, first - 1)
        scan_to = (starts[last + 1] if last + 1 < len(starts) else len(old)) + delta
        middle = line_starts(text, starts[first], scan_to)
        starts[first + 1 : last + 2] = middle
        if delta:
            tail = first + 1 + len(middle)
            starts[tail:] = [s + delta for s in starts[tail:]]
        self._k = len(starts)


def _has_break(text: str) -> bool:
    return "\n" in text or "\r" in text
