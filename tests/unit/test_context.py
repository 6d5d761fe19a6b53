"""Context built for a target: what it holds, in which order, and that it fits the budget."""

from __future__ import annotations

import re

import pytest
from lsprotocol import types

from mistral_lsp.prompting.context import PromptContext, build_context, outline
from mistral_lsp.prompting.tokens import estimate_tokens
from mistral_lsp.syntax import Document, select_target
from tests.unit.test_syntax_targets import CASES, Case, cursor, open_fixture


def everything(ctx: PromptContext) -> str:
    return "\n".join(section.text for section in ctx.sections)


def caller_context(case: Case, budget: int = 6000) -> PromptContext:
    doc = open_fixture(case)
    return build_context(doc, cursor(doc, case.caller[0]), budget_tokens=budget)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_context_holds_the_target_the_imports_and_the_helper_it_calls(case: Case) -> None:
    ctx = caller_context(case)
    target = ctx.section("target")
    assert target is not None and ctx.sections[0] is target
    assert ctx.target.name == case.caller[1]
    assert case.caller[0] in target.text
    # The first line carries its 1-based file line number.
    first = target.text.split("\n")[0]
    assert first.startswith(f"{ctx.target.start_line + 1}| ")
    imports = ctx.section("imports")
    assert imports is not None and case.import_line in imports.text
    references = ctx.section("references")
    assert references is not None
    helper = case.caller[2]
    assert helper in references.text
    assert "EUR" in references.text  # the helper's full body, not just its signature
    assert ctx.language == open_fixture(case).language.name  # type: ignore[union-attr]
    assert ctx.path.endswith(case.file)
    assert ctx.tokens <= 6000


@pytest.mark.parametrize("case", CASES, ids=str)
def test_a_tiny_budget_keeps_the_target_whole_and_drops_or_shortens_the_rest(case: Case) -> None:
    full = caller_context(case)
    header = full.tokens - sum(s.tokens for s in full.sections)  # the path / language line
    target_tokens = full.sections[0].tokens + header
    for extra in (0, 15, 40, 80):
        budget = target_tokens + extra
        ctx = caller_context(case, budget)
        assert ctx.tokens <= budget, (extra, [(s.kind, s.tokens) for s in ctx.sections])
        assert ctx.sections[0].text == full.sections[0].text
        assert sum(s.tokens for s in ctx.sections) <= ctx.tokens
    tight = caller_context(case, target_tokens + 40)
    assert "EUR" not in everything(tight)  # no room for the helper's body
    references = tight.section("references")
    if references is not None:  # signatures only, marked as such
        assert "…" in references.text


def test_signatures_come_before_bodies_when_the_budget_is_short() -> None:
    case = CASES[0]  # python: summarize uses Account and format_money
    full = caller_context(case)
    budget = full.tokens - 40  # not enough for Account's whole class
    ctx = caller_context(case, budget)
    references = ctx.section("references")
    assert references is not None and ctx.tokens <= budget
    assert "class Account: # …" in references.text  # the class as a signature...
    assert 'return f"{amount:.2f} EUR"' in references.text  # ...the helper function whole


def test_a_target_larger_than_the_budget_is_sent_alone_and_whole() -> None:
    doc = open_fixture(CASES[0])
    ctx = build_context(doc, cursor(doc, "self.balance += amount"), budget_tokens=10)
    assert [s.kind for s in ctx.sections] == ["target"]
    assert ctx.over_budget
    assert "return self.balance" in ctx.sections[0].text


@pytest.mark.parametrize("case", [c for c in CASES if c.member and c.method[2] == "method" and c.file not in ("sample.go", "sample.rs")], ids=str)
def test_a_method_gets_its_class_outline_and_sibling_signatures(case: Case) -> None:
    doc = open_fixture(case)
    ctx = build_context(doc, cursor(doc, case.method[0]))
    assert ctx.target.kind == "method"
    klass = ctx.section("class")
    assert klass is not None and case.member is not None
    assert case.member[1] in klass.text
    assert case.member[0] in klass.text  # a field of the class
    assert case.method[0] not in klass.text  # but not the method bodies
    siblings = ctx.section("siblings")
    assert siblings is not None
    # The target is not its own sibling; signatures come without line numbers (nothing points at them).
    assert not any(re.search(rf"\b{re.escape(case.method[1])}\b", line) for line in siblings.text.splitlines())
    assert not any(re.match(r"\s*\d+ \| ", line) for line in siblings.text.splitlines())


def test_go_method_gets_its_receiver_struct() -> None:
    case = next(c for c in CASES if c.file == "sample.go")
    doc = open_fixture(case)
    ctx = build_context(doc, cursor(doc, case.method[0]))
    references = ctx.section("references")
    assert references is not None and "type Account struct" in references.text and "Balance float64" in references.text


def test_diagnostics_on_the_target_are_listed_with_file_line_numbers() -> None:
    doc = open_fixture(CASES[0])
    line = doc.position_at(doc.text.index("self.balance += amount")).line
    on_target = types.Diagnostic(
        range=types.Range(start=types.Position(line=line, character=8), end=types.Position(line=line, character=20)),
        message="Unsupported operand", severity=types.DiagnosticSeverity.Error, source="pyright", code="reportOperatorIssue",
    )
    elsewhere = types.Diagnostic(
        range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=1)),
        message="module docstring", severity=types.DiagnosticSeverity.Hint,
    )
    ctx = build_context(doc, cursor(doc, "self.balance += amount"), diagnostics=[elsewhere, on_target])
    diagnostics = ctx.section("diagnostics")
    assert diagnostics is not None and not diagnostics.code
    assert diagnostics.text == f"- line {line + 1} (`self.balance += amount`): error [pyright/reportOperatorIssue]: Unsupported operand"


def test_whole_file_tokens_dwarf_the_context_of_one_function_in_a_big_file() -> None:
    body = "\n\n".join(f"def helper_{i}(x):\n    return x * {i}\n\n\ndef use_{i}(y):\n    return helper_{i}(y) + 1" for i in range(400))
    doc = Document("file:///big.py", "import os\n\n" + body + "\n", 1, "python")
    ctx = build_context(doc, cursor(doc, "return helper_200(y)"), budget_tokens=2000)
    assert ctx.target.name == "use_200"
    assert "def helper_200(x):\n    return x * 200" in everything(ctx)
    assert ctx.tokens <= 2000
    assert ctx.whole_file_tokens == estimate_tokens(doc.text)
    assert ctx.whole_file_tokens > 5 * ctx.tokens


def test_outline_lists_every_definition_with_its_line_and_nesting() -> None:
    doc = open_fixture(CASES[0])
    text = outline(doc)
    lines = text.split("\n")
    assert " 9: def format_money(amount: float) -> str:" in lines
    assert "14: class Account:" in lines
    assert "21:   def deposit(self, amount: float) -> float:" in lines
    assert "31: def summarize(accounts: list[Account]) -> str:" in lines


# -- never fail ---------------------------------------------------------------------------------


def test_unknown_language_context_is_the_target_alone() -> None:
    doc = Document("file:///x/notes.txt", "one\ntwo\n\nthree\n", 1, "plaintext")
    ctx = build_context(doc, cursor(doc, "two"))
    assert ctx.language == "plaintext"
    assert [s.kind for s in ctx.sections] == ["target"]
    assert ctx.sections[0].text == "1| one\n2| two"


def test_binary_and_huge_files_get_a_line_window_context() -> None:
    binary = Document("file:///x/a.py", "x = 1\x00\ny = 2\n", 1, "python")
    assert [s.kind for s in build_context(binary, cursor(binary, "y")).sections] == ["target"]
    huge = Document("file:///x/h.py", "def f():\n    return 1\n\n" * 200_000, 1, "python")
    middle = types.Position(line=huge.line_count // 2, character=5)
    ctx = build_context(huge, types.Range(start=middle, end=middle))
    assert ctx.target.kind == "lines" and ctx.tokens < 200


def test_an_unexpected_error_in_the_builder_falls_back_to_the_target(monkeypatch: pytest.MonkeyPatch) -> None:
    from mistral_lsp.prompting import builder

    def broken(self: object, enclosing: object) -> set[int]:
        raise RuntimeError("boom")

    monkeypatch.setattr(builder.Builder, "add_references", broken)
    doc = open_fixture(CASES[0])
    ctx = build_context(doc, cursor(doc, 'return "total'))
    assert ctx.target == select_target(doc, cursor(doc, 'return "total'))
    assert [s.kind for s in ctx.sections] == ["target"]


def test_context_of_the_file_target_is_the_file_alone() -> None:
    from mistral_lsp.syntax import file_target

    doc = open_fixture(CASES[0])
    ctx = build_context(doc, file_target(doc).range, target=file_target(doc))
    assert [s.kind for s in ctx.sections] == ["target"]
    assert ctx.sections[0].title.startswith("The whole file")
