"""The fill-in-the-middle context (prompting/fim.py) and the block check (syntax/blocks.py):
what the model is shown, when a suggestion may span lines, when a streamed one is done, and
what of its text reaches the user."""

from __future__ import annotations

from mistral_lsp.prompting.fim import build_fim_context, finish
from mistral_lsp.syntax.blocks import closed_block
from mistral_lsp.syntax.document import Document


def doc_at(text: str, marker: str = "|", language: str = "python", name: str = "calc.py") -> tuple[Document, int]:
    offset = text.index(marker)
    return Document(f"file:///w/{name}", text.replace(marker, "", 1), 1, language), offset


def test_small_file_is_sent_whole_around_the_cursor() -> None:
    doc, offset = doc_at("import os\n\ndef f(x):\n    return |x\n\nprint(f(1))\n")
    ctx = build_fim_context(doc, offset)
    assert ctx.prompt == "# Path: calc.py\nimport os\n\ndef f(x):\n    return "
    assert ctx.suffix == "x\n\nprint(f(1))\n"
    assert not ctx.multiline and ctx.stop == ["\n"]


def test_prefix_is_budgeted_and_cut_where_a_definition_starts() -> None:
    functions = "".join(f"def function_{i}(value):\n    total = value + {i}\n    return total\n\n" for i in range(400))
    doc, offset = doc_at(functions + "def last(value):\n    |\n")
    ctx = build_fim_context(doc, offset, budget_tokens=600)
    prefix = ctx.prompt.split("\n", 1)[1]
    assert prefix.startswith("def function_")  # a whole definition, never half of one
    assert prefix.endswith("def last(value):\n    ")
    assert len(prefix) < len(functions) // 10


def test_header_lists_definitions_used_near_the_cursor_but_out_of_the_window() -> None:
    helper = "def scale(value: float, factor: float = 2.0) -> float:\n    return value * factor\n\n\n"
    filler = "".join(f"def filler_{i}():\n    return {i}\n\n\n" for i in range(300))
    doc, offset = doc_at(helper + filler + "def main(x):\n    y = scale(x)\n    |\n")
    ctx = build_fim_context(doc, offset, budget_tokens=800)
    assert "def scale(" not in ctx.prompt[len(ctx.header):]  # out of the window
    assert "# def scale(value: float, factor: float = 2.0) -> float" in ctx.header
    assert ctx.prompt.startswith(ctx.header)


def test_multi_line_only_on_an_empty_line_or_after_a_block_opener() -> None:
    for text, multiline in [
        ("def f(x):\n    |\n", True),
        ("def f(x):|\n", True),
        ("if (x) {|}\n", True),
        ("x = compute(|)\n", False),
        ("    return x + |\n", False),
        ("def f(x):| pass\n", False),
    ]:
        doc, offset = doc_at(text, language="javascript" if "{" in text else "python")
        assert build_fim_context(doc, offset).multiline is multiline, text


def test_finish_drops_empty_repeats_and_the_closers_after_the_cursor() -> None:
    doc, offset = doc_at("print(|)\n")
    ctx = build_fim_context(doc, offset)
    assert finish(ctx, "value)") == "value"
    assert finish(ctx, ")") is None
    assert finish(ctx, "   ") is None
    assert finish(ctx, "a, b)\nmore()") == "a, b"  # one line here
    doc, offset = doc_at("def f(x):\n    |\n    return y\n")
    ctx = build_fim_context(doc, offset)
    assert finish(ctx, "y = x * 2\n    return y") == "y = x * 2"
    assert finish(ctx, "return y") is None


def test_python_block_closes_at_the_first_line_back_at_its_level() -> None:
    doc, offset = doc_at("class A:\n    def f(self):|\n")
    ctx = build_fim_context(doc, offset)
    text = "\n        return 1\n\n    def g(self):\n"
    keep = closed_block(doc.language, ctx.prefix_text, text, block_start=ctx.block_start, base_indent=ctx.base_indent)
    assert keep is not None and text[:keep].rstrip() == "\n        return 1"
    # Still inside the body: not closed.
    assert closed_block(doc.language, ctx.prefix_text, "\n        x = 1\n", block_start=True, base_indent=4) is None


def test_brace_block_keeps_its_own_closer_and_leaves_the_enclosing_one() -> None:
    doc, offset = doc_at("function f(xs) {\n  for (const x of xs) {|\n}\n", language="javascript", name="a.js")
    ctx = build_fim_context(doc, offset)
    text = "\n    use(x);\n  }\n  return 1;\n}\n"
    keep = closed_block(doc.language, ctx.prefix_text, text, block_start=True, base_indent=ctx.base_indent)
    assert keep is not None and text[:keep] == "\n    use(x);\n  }\n"
    doc, offset = doc_at("function f(xs) {\n  |\n}\n", language="javascript", name="a.js")
    ctx = build_fim_context(doc, offset)
    text = "return xs.length;\n}\nfunction g() {}\n"
    keep = closed_block(doc.language, ctx.prefix_text, text, block_start=False, base_indent=ctx.base_indent)
    assert keep is not None and text[:keep] == "return xs.length;\n"


def test_lua_end_closes_a_block() -> None:
    doc, offset = doc_at("local function f(x)\n  if x then|\nend\n", language="lua", name="a.lua")
    ctx = build_fim_context(doc, offset)
    text = "\n    return 1\n  end\n  return 2\nend\n"
    keep = closed_block(doc.language, ctx.prefix_text, text, block_start=ctx.block_start, base_indent=ctx.base_indent)
    assert keep is not None and text[:keep] == "\n    return 1\n  end\n"
