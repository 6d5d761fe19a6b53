"""LSP positions <-> offsets in every position encoding, with emoji, CRLF and lone CR."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lsprotocol import types

from mistral_lsp.syntax import Document, DocumentStore

EMOJI = "😀"  # outside the BMP: 2 UTF-16 code units, 4 UTF-8 bytes, 1 code point


def pos(line: int, character: int) -> types.Position:
    return types.Position(line=line, character=character)


def change(start: types.Position, end: types.Position, text: str) -> types.TextDocumentContentChangePartial:
    return types.TextDocumentContentChangePartial(range=types.Range(start=start, end=end), text=text)


@pytest.mark.parametrize(
    ("encoding", "column_of_x"),
    [("utf-16", 3), ("utf-8", 5), ("utf-32", 2)],
)
def test_columns_after_an_emoji_count_in_the_negotiated_encoding(encoding: str, column_of_x: int) -> None:
    doc = Document("file:///a.py", f"a = {EMOJI}\nb{EMOJI}x = 1\n", encoding=encoding)
    offset = doc.text.index("x")
    assert doc.position_at(offset) == pos(1, column_of_x)
    assert doc.offset_at(pos(1, column_of_x)) == offset


def test_a_column_inside_a_surrogate_pair_lands_on_the_emoji() -> None:
    doc = Document("file:///a.py", f"{EMOJI}b\n")
    assert doc.offset_at(pos(0, 1)) == 0
    assert doc.offset_at(pos(0, 2)) == 1


def test_crlf_is_one_line_break_and_lines_have_no_endings() -> None:
    doc = Document("file:///a.py", "one\r\ntwo\r\n\r\nfour")
    assert doc.lines == ["one", "two", "", "four"]
    assert doc.offset_at(pos(1, 0)) == 5
    assert doc.position_at(doc.text.index("four")) == pos(3, 0)
    # Past the end of a line's text means the end of its text, never into its "\r\n".
    assert doc.offset_at(pos(0, 99)) == 3
    assert doc.position_at(4) == pos(0, 3)  # between "\r" and "\n"


def test_a_lone_cr_is_a_line_break_too_but_no_other_unicode_separator() -> None:
    doc = Document("file:///a.txt", "a\rb\u2028c\x0cd\n")
    assert doc.lines == ["a", "b\u2028c\x0cd", ""]


def test_line_range_spans_whole_lines_in_the_encoding() -> None:
    doc = Document("file:///a.py", f"x\r\n  y = '{EMOJI}'\r\nz")
    assert doc.line_range(1, 1) == types.Range(start=pos(1, 0), end=pos(1, 10))
    assert doc.line_range(0, 99).end == pos(2, 1)


def test_positions_out_of_range_are_clamped() -> None:
    doc = Document("file:///a.py", "ab\ncd")
    assert doc.offset_at(pos(7, 3)) == len(doc.text)
    assert doc.position_at(-5) == pos(0, 0)
    assert doc.position_at(10_000) == pos(1, 2)


def test_an_edit_after_an_emoji_lands_where_the_client_meant_it() -> None:
    doc = Document("file:///a.py", f"s = '{EMOJI}'  # ok\nt = 1\n", language_id="python")
    assert doc.tree is not None
    # UTF-16 column 8 is right after the closing quote: the emoji counts 2.
    doc.apply_change(change(pos(0, 8), pos(0, 8), " x"))
    assert doc.lines[0] == f"s = '{EMOJI}' x  # ok"
    assert str(doc.tree.root_node) == str(Document("file:///b.py", doc.text, language_id="python").tree.root_node)  # type: ignore[union-attr]


def test_edits_that_add_and_remove_crlf_line_breaks_keep_the_line_index_right() -> None:
    doc = Document("file:///a.py", "a\r\nb\r\nc")
    doc.apply_change(change(pos(0, 1), pos(1, 0), ""))  # join: removes "\r\n"
    assert doc.lines == ["ab", "c"]
    doc.apply_change(change(pos(0, 1), pos(0, 1), "\r\n"))
    assert doc.lines == ["a", "b", "c"]
    doc.apply_change(change(pos(1, 1), pos(1, 1), "\r"))  # "b\r" + "\r\n": a lone "\r", then "\r\n"
    assert doc.lines == ["a", "b", "", "c"]
    assert doc.offset_at(pos(3, 0)) == doc.text.index("c")


def test_a_whole_document_change_replaces_the_text_and_keeps_the_tree_right() -> None:
    doc = Document("file:///a.py", "def f():\n    return 1\n", language_id="python")
    assert doc.tree is not None
    doc.apply_changes([types.TextDocumentContentChangeWholeDocument(text="def f():\n    return 2\n\nx = f()\n")], 2)
    assert doc.version == 2
    assert doc.lines == ["def f():", "    return 2", "", "x = f()", ""]
    fresh = Document("file:///b.py", doc.text, language_id="python").tree
    assert fresh is not None and doc.tree is not None
    assert str(doc.tree.root_node) == str(fresh.root_node)


def test_store_opens_changes_closes_and_switches_encoding() -> None:
    store = DocumentStore()
    doc = store.open("file:///a.py", f"{EMOJI}x\n", 1, "python")
    assert store.get("file:///a.py") is doc
    store.change("file:///a.py", [change(pos(0, 2), pos(0, 3), "y")], 2)
    assert (doc.text, doc.version) == (f"{EMOJI}y\n", 2)
    store.set_encoding("utf-8")
    assert doc.position_at(1) == pos(0, 4)
    assert store.open("file:///b.py", "", 1).encoding == "utf-8"
    assert store.change("file:///nope.py", [], 3) is None
    store.close("file:///a.py")
    assert store.get("file:///a.py") is None


TEXT = st.lists(st.sampled_from(["a", " ", "é", EMOJI, "\n", "\r\n", "\r", "\t", "中"]), max_size=40).map("".join)


@settings(max_examples=150, deadline=None)
@given(text=TEXT, encoding=st.sampled_from(["utf-8", "utf-16", "utf-32"]))
def test_position_offset_round_trip_at_every_character(text: str, encoding: str) -> None:
    doc = Document("file:///a.txt", text, encoding=encoding)
    for offset in range(len(text) + 1):
        inside_crlf = 0 < offset < len(text) and text[offset - 1] == "\r" and text[offset] == "\n"
        if inside_crlf:
            continue
        position = doc.position_at(offset)
        assert doc.offset_at(position) == offset
        line_text = doc.lines[position.line]
        assert position.character == len(line_text[: offset - doc.line_start(position.line)].encode(
            {"utf-8": "utf-8", "utf-16": "utf-16-le", "utf-32": "utf-32-le"}[encoding]
        )) // {"utf-8": 1, "utf-16": 2, "utf-32": 4}[encoding]
