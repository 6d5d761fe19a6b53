"""Property: after random edits, the file index kept up to date incrementally (pieces reused
whole, moved, walked again) is the index a walk from scratch finds in the same tree.

Both indexes are built from the same tree (the incremental one), so that tree-sitter's error
recovery — which may differ between an incremental and a fresh parse of broken code — cannot
make them differ: what is compared is the index alone.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lsprotocol import types

from mistral_lsp.syntax import Document
from mistral_lsp.syntax.index import FileIndex, build_index, file_index
from mistral_lsp.syntax.nodes import DefInfo, Syntax, syntax_of

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "languages"
SOURCES = {
    "python": (FIXTURES / "sample.py").read_text(encoding="utf-8"),
    "javascript": (FIXTURES / "sample.js").read_text(encoding="utf-8"),
    "typescript": (FIXTURES / "sample.ts").read_text(encoding="utf-8"),
    "go": (FIXTURES / "sample.go").read_text(encoding="utf-8"),
    "rust": (FIXTURES / "sample.rs").read_text(encoding="utf-8"),  # leading `#[derive]` attributes
    "cpp": (FIXTURES / "sample.cpp").read_text(encoding="utf-8"),  # namespaces
}
# Many small pieces, several on one line, classes with members: what pieces are reused around.
SOURCES["javascript"] += "".join(
    f"function f{i}(a) {{ return g{i}(a); }} class C{i} {{ m(x) {{ return x; }} n() {{}} }}\n" for i in range(8)
)
SOURCES["python"] += "".join(f"\n\ndef f{i}(a):\n    return g{i}(a)\n\n\nclass C{i}:\n    def m(self):\n        pass\n"
                             for i in range(8))

PIECES = ["x", "(", ")", "{", "}", ":", ";", "\n", "\r\n", "\r", "    ", "def ", "class ", "function ", "func ",
          "fn ", "#[test]\n", "return ", "é", "😀", "#", "'", '"', "/*", "*/", "@d\n"]
EDIT = st.tuples(
    st.integers(0, 120),  # start line (past the end is clamped)
    st.integers(0, 60),  # start character (past the end of the line is clamped)
    st.integers(0, 3),  # lines spanned
    st.integers(0, 30),  # end character
    st.lists(st.sampled_from(PIECES), max_size=5).map("".join),
    st.booleans(),  # build the index after this edit (else the edits pile up)
)


def describe(syntax: Syntax, index: FileIndex, info: DefInfo) -> tuple[object, ...]:
    node, first = info.node, info.first
    return (
        info.kind, info.name, info.parent, info.short_name, info.start_line, info.end_line, info.node_type,
        node.type, node.start_byte, node.end_byte, first.type, first.start_byte, first.end_byte,
        index.signature(syntax, info),
    )


def fresh_index(doc: Document) -> FileIndex:
    """A walk from scratch over the document's current tree (the incremental memo put back)."""
    syntax = syntax_of(doc)
    assert syntax is not None
    saved = dict(doc.memo)
    doc.memo.clear()
    try:
        return build_index(syntax)
    finally:
        doc.memo.clear()
        doc.memo.update(saved)


def assert_same_index(doc: Document) -> None:
    syntax = syntax_of(doc)
    assert syntax is not None
    kept, fresh = file_index(doc), fresh_index(doc)
    assert [describe(syntax, kept, info) for info in kept.definitions] == [
        describe(syntax, fresh, info) for info in fresh.definitions
    ]
    # Signatures as computed now, not as remembered.
    assert [syntax.signature(info) for info in kept.definitions] == [
        syntax.signature(info) for info in fresh.definitions
    ]
    assert kept.imports == fresh.imports
    assert {name: [(i.start_line, i.kind) for i in infos] for name, infos in kept.by_name.items()} == {
        name: [(i.start_line, i.kind) for i in infos] for name, infos in fresh.by_name.items()
    }


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    language=st.sampled_from(sorted(SOURCES)),
    crlf=st.booleans(),
    edits=st.lists(EDIT, min_size=1, max_size=10),
)
def test_incremental_index_matches_a_walk_from_scratch(
    language: str, crlf: bool, edits: list[tuple[int, int, int, int, str, bool]]
) -> None:
    source = SOURCES[language].replace("\n", "\r\n") if crlf else SOURCES[language]
    doc = Document(f"file:///t/sample.{language}", source, 1, language)
    assert_same_index(doc)
    for line, character, span, end_character, inserted, look in edits:
        start = types.Position(line=line, character=character)
        end = types.Position(line=line + span, character=end_character if span else max(character, end_character))
        doc.apply_change(types.TextDocumentContentChangePartial(range=types.Range(start=start, end=end), text=inserted))
        if look:
            assert_same_index(doc)
    assert_same_index(doc)


def test_pieces_after_an_edit_are_reused_and_moved() -> None:
    """A line added in the middle of a file: the definitions after it are the same objects,
    one line further down, and find their nodes in the new tree."""
    source = "".join(f"def f{i}(a):\n    return a + {i}\n\n\nclass C{i}:\n    def m(self):\n        pass\n\n\n"
                     for i in range(20))
    doc = Document("file:///t/m.py", source, 1, "python")
    before = list(file_index(doc).definitions)
    at = types.Position(line=source.count("\n", 0, source.index("def f10")), character=0)
    doc.apply_change(types.TextDocumentContentChangePartial(range=types.Range(start=at, end=at), text="x = 1\n"))
    after = list(file_index(doc).definitions)
    assert [info.name for info in after] == [info.name for info in before]
    for old, new in zip(before, after, strict=True):
        if old.start_line > at.line:
            assert new is old  # reused whole, moved one line down
        assert doc.line_text(new.start_line).lstrip().startswith(("def ", "class "))
        assert new.node.start_point.row == new.start_line  # found in the new tree
    f15 = next(info for info in after if info.name == "f15")
    assert f15.start_line == source.count("\n", 0, source.index("def f15")) + 1
    assert_same_index(doc)


def test_code_on_an_edited_line_is_not_reused() -> None:
    """A signature runs from the start of its line: a class after an edited function on the
    same line is walked again, not reused with the signature of the old line."""
    source = "function f0(a) { return g0(a); } class C0 { m(x) { return x; } }\nfunction h() {}\n"
    doc = Document("file:///t/a.js", source, 1, "javascript")
    assert_same_index(doc)
    at = types.Position(line=0, character=20)
    doc.apply_change(types.TextDocumentContentChangePartial(range=types.Range(start=at, end=at), text="zz"))
    assert_same_index(doc)
    syntax = syntax_of(doc)
    assert syntax is not None
    index = file_index(doc)
    c0 = next(info for info in index.definitions if info.name == "C0")
    assert index.signature(syntax, c0).startswith("function f0(a) { retzzurn")
