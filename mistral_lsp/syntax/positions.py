"""Conversions between LSP positions, Python string offsets and UTF-8 byte offsets.

LSP counts `character` in the negotiated encoding's code units (UTF-16 unless the client offers
another), Python indexes strings by code point, tree-sitter by UTF-8 byte. Line breaks are
`\\r\\n`, `\\n` and a lone `\\r` (LSP 3.17), never the other separators `str.splitlines` knows.
Everything here is pure and clamps instead of raising: editors do send positions past the end of
a line, or inside a surrogate pair, and a language server must not fail on them.
"""

from __future__ import annotations

import re
from typing import Literal

Encoding = Literal["utf-8", "utf-16", "utf-32"]
ENCODINGS: tuple[Encoding, ...] = ("utf-8", "utf-16", "utf-32")

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
