"""Huge definitions: fix, explain and review at a cursor work on the part around it.

Generated functions of about 200 lines in six languages: the narrowed target is whole lines of
the function around the cursor, balanced (a loop whole, never half of one), at most
`NARROWED_LINES`, with the function's header in the prompt; tests, selections and small
functions are untouched.
"""

from __future__ import annotations

import dataclasses

import pytest
from lsprotocol import types

from mistral_lsp.actions.target import select
from mistral_lsp.prompting.context import build_context
from mistral_lsp.prompting.prompts import build_messages
from mistral_lsp.prompting.tokens import estimate_tokens
from mistral_lsp.syntax.document import Document
from mistral_lsp.syntax.narrow import MAX_TARGET_LINES, NARROWED_LINES, too_big


@dataclasses.dataclass(frozen=True)
class Shape:
    file: str
    language_id: str
    head: list[str]
    statement: str
    loop: tuple[str, str, str]
    """The loop's header, a body line (with `{k}`), its closing line."""
    tail: list[str]
    braces: bool = True

    def __str__(self) -> str:
        return self.file


SHAPES = [
    Shape("h.py", "python", ["def huge(n):"], "    a{i} = n + {i}", ("    for k in range(n):", "        b{k} = k * {k}", ""),
          ["    return a0"], braces=False),
    Shape("h.go", "go", ["package h", "", "func huge(n int) int {"], "\ta{i} := n + {i}",
          ("\tfor k := 0; k < n; k++ {", "\t\tn += k * {k}", "\t}"), ["\treturn a0", "}"]),
    Shape("h.c", "c", ["int huge(int n) {"], "    int a{i} = n + {i};",
          ("    for (int k = 0; k < n; k++) {", "        n += k * {k};", "    }"), ["    return a0;", "}"]),
    Shape("h.js", "javascript", ["function huge(n) {"], "  const a{i} = n + {i};",
          ("  for (let k = 0; k < n; k++) {", "    n += k * {k};", "  }"), ["  return a0;", "}"]),
    Shape("h.rs", "rust", ["fn huge(mut n: i64) -> i64 {"], "    let a{i} = n + {i};",
          ("    for k in 0..n {", "        n += k * {k};", "    }"), ["    a0", "}"]),
    Shape("H.java", "java", ["class H {", "    int huge(int n) {"], "        int a{i} = n + {i};",
          ("        for (int k = 0; k < n; k++) {", "            n += k * {k};", "        }"), ["        return a0;", "    }", "}"]),
]


def source(shape: Shape, before: int = 100, after: int = 80) -> tuple[str, dict[str, int]]:
    """The file, and the lines of its landmarks: the header, the loop, a body line in it."""
    lines = [*shape.head]
    marks = {"header": len(lines) - 1}
    lines += [shape.statement.format(i=i) for i in range(before)]
    marks["far"] = len(lines) - 60
    marks["loop"] = len(lines)
    lines.append(shape.loop[0])
    lines += [shape.loop[1].format(k=k) for k in range(20)]
    marks["in_loop"] = len(lines) - 10
    if shape.loop[2]:
        lines.append(shape.loop[2])
    marks["loop_end"] = len(lines) - 1
    lines += [shape.statement.format(i=before + i) for i in range(after)]
    lines += shape.tail
    return "\n".join(lines) + "\n", marks


def at(doc: Document, line: int) -> types.Range:
    text = doc.lines[line]
    position = types.Position(line=line, character=len(text) - len(text.lstrip()) + 1)
    return types.Range(start=position, end=position)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_a_cursor_in_a_huge_function_targets_the_balanced_part_around_it(shape: Shape) -> None:
    text, marks = source(shape)
    doc = Document(f"file:///w/{shape.file}", text, 1, shape.language_id)
    target = select("fix", doc, at(doc, marks["in_loop"]))
    assert target.kind == "block" and target.name == "huge"
    assert target.enclosing is not None and "huge" in target.enclosing.header
    assert target.end_line - target.start_line + 1 <= NARROWED_LINES
    # The loop the cursor is in, whole, and the statements around it while they fit.
    assert target.start_line < marks["loop"] and target.end_line > marks["loop_end"]
    if shape.braces:
        assert target.text.count("{") == target.text.count("}")
    # In the middle of plain statements: a window of them around the cursor.
    far = select("review", doc, at(doc, marks["far"]))
    assert far.kind == "block" and far.start_line <= marks["far"] <= far.end_line
    assert far.end_line - far.start_line + 1 <= NARROWED_LINES
    # On the header: the header and the first statements.
    head = select("explain", doc, at(doc, marks["header"]))
    assert head.kind == "block" and head.start_line == marks["header"]
    assert head.end_line - head.start_line + 1 <= NARROWED_LINES and head.end_line > head.start_line


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_tests_selections_and_small_functions_are_never_narrowed(shape: Shape) -> None:
    text, marks = source(shape)
    doc = Document(f"file:///w/{shape.file}", text, 1, shape.language_id)
    whole = select("tests", doc, at(doc, marks["in_loop"]))
    assert whole.name == "huge" and whole.kind in ("function", "method") and whole.enclosing is None
    assert too_big(doc, whole.start_line, whole.end_line)
    selected = types.Range(start=types.Position(line=whole.start_line, character=0),
                           end=types.Position(line=whole.end_line + 1, character=0))
    assert select("fix", doc, selected) == whole  # what the user selected is honoured whole
    small_text, small_marks = source(shape, before=20, after=20)
    small = Document(f"file:///w/{shape.file}", small_text, 1, shape.language_id)
    assert select("fix", small, at(small, small_marks["in_loop"])).kind in ("function", "method")


def test_in_a_big_file_a_tenth_of_its_lines_is_already_too_big() -> None:
    filler = "".join(f"def f{i}(x):\n    return x + {i}\n\n\n" for i in range(300))
    body = "".join(f"    a{i} = n + {i}\n" for i in range(140))
    text = filler + "def big(n):\n" + body + "    return a0\n"
    doc = Document("file:///w/big.py", text, 1, "python")
    assert doc.line_count > 1000
    line = text.split("\n").index("    a70 = n + 70")
    assert MAX_TARGET_LINES > 142 and select("fix", doc, at(doc, line)).kind == "block"
    alone = Document("file:///w/alone.py", "def big(n):\n" + body + "    return a0\n", 1, "python")
    assert select("fix", alone, at(alone, 71)).kind == "function"


def test_the_prompt_shows_the_part_with_the_function_header_and_stays_a_small_share_of_a_big_file() -> None:
    filler = "".join(f"def helper_{i}(value):\n    return value * {i}\n\n\n" for i in range(250))
    body = "".join(f"    a{i} = helper_{i % 250}(n) + {i}\n" for i in range(600))
    text = "import os\n\n\n" + filler + "@cached\ndef huge(n, *, strict=False):\n" + body + "    return a0\n"
    doc = Document("file:///w/huge.py", text, 1, "python")
    line = text.split("\n").index("    a300 = helper_50(n) + 300")
    target = select("fix", doc, at(doc, line))
    ctx = build_context(doc, target.range, target=target, budget_tokens=6000)
    enclosing = ctx.section("enclosing")
    assert enclosing is not None and "@cached\ndef huge(n, *, strict=False):" in enclosing.text
    references = ctx.section("references")
    assert references is not None and "def helper_50(value):" in references.text
    assert "def huge" not in references.text  # the function itself is not sent whole
    user = build_messages("fix", ctx)[1]["content"]
    assert f"## Target: lines {target.start_line + 1}-{target.end_line + 1}, part of function `huge`" in user
    assert "leave blocks that begin before them or continue after them open" in user
    assert ctx.tokens <= 0.25 * estimate_tokens(text)
