"""Target selection and definitions on one fixture per language (tests/fixtures/languages).

Each fixture has the same shape: imports, a helper, a class with methods (or what the language
has instead), a free function calling the helper, and a top-level statement. `CASES` says where
those are; `test_context.py` reuses it.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from lsprotocol import types

from mistral_lsp.syntax import Definition, Document, definitions, file_target, select_target
from mistral_lsp.syntax.targets import Target

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "languages"


@dataclasses.dataclass(frozen=True)
class Case:
    file: str
    language_id: str
    method: tuple[str, str, str]
    """A needle inside a method (or function), its name, and its kind."""
    member: tuple[str, str] | None
    """A needle in a class body outside any method, and the class's name."""
    statement: str
    """A needle in a top-level statement that is no definition."""
    caller: tuple[str, str, str]
    """A needle inside a free function, its name, and the same-file helper it calls."""
    import_line: str
    selection: tuple[str, str, str]
    """The first and last selected lines (needles) of most of a method, and its name."""

    def __str__(self) -> str:
        return self.file


CASES = [
    Case("sample.py", "python", ("self.balance += amount", "deposit", "method"), ("owner: str", "Account"),
         "print(summarize", ('return "total', "summarize", "format_money"), "import math",
         ("def deposit", "self.balance += amount", "deposit")),
    Case("sample.js", "javascript", ("this.balance += amount", "deposit", "method"), ('kind = "checking"', "Account"),
         "console.log", ('return "total', "summarize", "formatMoney"), 'import { join } from "node:path";',
         ("deposit(amount) {", "return this.balance;", "deposit")),
    Case("sample.ts", "typescript", ("this.balance += amount", "deposit", "method"), ("kind: string", "Account"),
         "console.log", ('return "total', "summarize", "formatMoney"), 'import { join } from "path";',
         ("deposit(amount: number): number {", "return this.balance;", "deposit")),
    Case("sample.tsx", "typescriptreact", ("balance: this.state", "deposit", "method"), ("state = {", "AccountView"),
         "export default", ("setOpen(!open)", "Summary", "formatMoney"), 'import { useState } from "react";',
         ("deposit(amount: number): void {", "this.setState", "deposit")),
    Case("sample.go", "go", ("a.Balance += amount", "Deposit", "method"), ("Owner   string", "Account"),
         "const Rate", ('return "total', "Summarize", "formatMoney"), '"math"',
         ("func (a *Account) Deposit", "return a.Balance, nil", "Deposit")),
    Case("sample.rs", "rust", ("self.balance += amount", "deposit", "method"), ("pub owner: String", "Account"),
         "const RATE", ('format!("total', "summarize", "format_money"), "use std::fmt;",
         ("pub fn deposit", "Ok(self.balance)", "deposit")),
    Case("Sample.java", "java", ("balance += amount;", "deposit", "method"), ("private double balance", "Sample"),
         "package bank", ('return "total', "summarize", "formatMoney"), "import java.util.List;",
         ("public double deposit", "return balance;", "deposit")),
    Case("sample.c", "c", ("a->balance += amount", "deposit", "function"), ("double balance;", "account"),
         "int open_accounts", ('printf("total', "summarize", "format_money"), "#include <stdio.h>",
         ("int deposit(", "return 0;", "deposit")),
    Case("sample.cpp", "cpp", ("balance_ += amount", "deposit", "method"), ("double balance_ = 0", "Account"),
         "int open_accounts", ('return "total', "summarize", "format_money"), "#include <string>",
         ("double deposit(double amount) {", "return balance_;", "deposit")),
    Case("Sample.cs", "csharp", ("Balance += amount", "Deposit", "method"), ("private const double Rate", "Account"),
         "using System;", ('return "total', "Summarize", "FormatMoney"), "using System.Collections.Generic;",
         ("public double Deposit", "return Balance;", "Deposit")),
    Case("sample.rb", "ruby", ("@balance += amount", "deposit", "method"), ("attr_reader", "Account"),
         "puts summarize", ('"total: "', "summarize", "format_money"), 'require "json"',
         ("def deposit", "@balance += amount", "deposit")),
    Case("sample.php", "php", ("$this->balance += $amount", "deposit", "method"), ("private float $balance", "Account"),
         "echo summarize", ('return "total', "summarize", "format_money"), "use InvalidArgumentException;",
         ("public function deposit", "return $this->balance;", "deposit")),
    Case("sample.lua", "lua", ("self.balance = self.balance + amount", "Account:deposit", "method"), None,
         "print(summarize", ('return "total', "summarize", "format_money"), 'local json = require("json")',
         ("function Account:deposit", "return self.balance", "Account:deposit")),
    Case("sample.sh", "shellscript", ("balance=$((balance", "deposit", "function"), None,
         "summarize 1 2 3", ('format_money "$total"', "summarize", "format_money"), "source ./lib.sh",
         ("deposit() {", "balance=$((balance", "deposit")),
]


def open_fixture(case: Case, language_id: str | None = None) -> Document:
    path = FIXTURES / case.file
    return Document(path.as_uri(), path.read_text(encoding="utf-8"), 1, case.language_id if language_id is None else language_id)


def cursor(doc: Document, needle: str) -> types.Range:
    at = doc.position_at(doc.text.index(needle) + 1)
    return types.Range(start=at, end=at)


def line_of(doc: Document, needle: str) -> int:
    return doc.position_at(doc.text.index(needle)).line


def by_name(doc: Document) -> dict[str, Definition]:
    """The first definition of each name (a constructor or an `impl` shares its class's)."""
    found: dict[str, Definition] = {}
    for d in definitions(doc):
        found.setdefault(d.name, d)
    return found


def assert_whole_lines(doc: Document, target: Target) -> None:
    assert target.range.start == types.Position(line=target.start_line, character=0)
    assert target.range.end.line == target.end_line
    assert target.text == "\n".join(doc.lines[target.start_line : target.end_line + 1])
    assert doc.offset_at(target.range.end) == doc.line_end(target.end_line)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_cursor_in_a_method_selects_the_method(case: Case) -> None:
    doc = open_fixture(case)
    needle, name, kind = case.method
    target = select_target(doc, cursor(doc, needle))
    assert (target.kind, target.name) == (kind, name)
    assert target.start_line <= line_of(doc, needle) <= target.end_line
    assert_whole_lines(doc, target)
    # The method is all there: its header line and its last line.
    assert name.split(":")[-1] in doc.lines[target.start_line] or name in target.text.split("\n")[1]


@pytest.mark.parametrize("case", [c for c in CASES if c.member], ids=str)
def test_cursor_in_a_class_body_outside_methods_selects_the_class(case: Case) -> None:
    doc = open_fixture(case)
    assert case.member is not None
    needle, name = case.member
    target = select_target(doc, cursor(doc, needle))
    assert (target.kind, target.name) == ("class", name)
    method_line = line_of(doc, case.method[0])
    if case.method[2] == "method" and case.file not in ("sample.go", "sample.rs"):
        assert target.start_line < method_line < target.end_line  # the whole class, methods included
    assert_whole_lines(doc, target)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_cursor_on_a_top_level_statement_selects_that_statement(case: Case) -> None:
    doc = open_fixture(case)
    target = select_target(doc, cursor(doc, case.statement))
    assert target.kind == "statement"
    assert target.start_line <= line_of(doc, case.statement) <= target.end_line
    assert target.end_line - target.start_line <= 1
    assert_whole_lines(doc, target)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_selection_of_most_of_a_method_grows_to_the_method(case: Case) -> None:
    doc = open_fixture(case)
    first, last, name = case.selection
    start = doc.position_at(doc.text.index(first) + 2)
    end = doc.position_at(doc.text.index(last, doc.text.index(first)) + 3)
    target = select_target(doc, types.Range(start=start, end=end))
    assert target.name == name
    assert target.start_line == start.line
    assert target.end_line > end.line  # grown to the method's last line
    assert_whole_lines(doc, target)


def test_selection_across_two_methods_stays_the_selected_lines() -> None:
    doc = open_fixture(CASES[0])
    start = doc.position_at(doc.text.index("return self.balance") + 4)
    end = doc.position_at(doc.text.index("def interest") + 4)
    target = select_target(doc, types.Range(start=start, end=end))
    assert (target.kind, target.start_line, target.end_line) == ("selection", start.line, end.line)
    assert_whole_lines(doc, target)


def test_linewise_selection_ending_at_column_zero_excludes_that_line() -> None:
    doc = open_fixture(CASES[0])
    first = line_of(doc, "total = sum(")
    rng = types.Range(start=types.Position(line=first, character=0), end=types.Position(line=first + 1, character=0))
    target = select_target(doc, rng)
    assert (target.start_line, target.end_line) == (first, first)


def test_cursor_in_indentation_of_a_method_header_selects_the_method() -> None:
    doc = open_fixture(CASES[0])
    line = line_of(doc, "def interest")
    target = select_target(doc, types.Range(start=types.Position(line=line, character=1), end=types.Position(line=line, character=1)))
    assert (target.kind, target.name) == ("method", "interest")


def test_cursor_on_a_decorator_selects_the_decorated_class_with_its_decorator() -> None:
    doc = open_fixture(CASES[0])
    target = select_target(doc, cursor(doc, "@dataclass"))
    assert (target.kind, target.name) == ("class", "Account")
    assert target.text.startswith("@dataclass\nclass Account:")


def test_anonymous_callback_at_top_level_is_the_target() -> None:
    text = 'describe("bank", () => {\n  it("adds", () => {\n    expect(add(1, 2)).toBe(3);\n  });\n});\n'
    doc = Document("file:///t/bank.test.js", text, 1, "javascript")
    target = select_target(doc, cursor(doc, "expect("))
    assert (target.kind, target.start_line, target.end_line) == ("function", 1, 3)


def test_method_target_has_its_class_indentation_and_owner() -> None:
    doc = open_fixture(CASES[0])
    target = select_target(doc, cursor(doc, "return math.floor"))
    assert (target.indent, target.parent) == ("    ", "Account")


def test_file_target_covers_every_line() -> None:
    doc = open_fixture(CASES[0])
    target = file_target(doc)
    assert (target.kind, target.start_line, target.end_line) == ("file", 0, doc.line_count - 1)
    assert target.text == doc.text


@pytest.mark.parametrize("case", CASES, ids=str)
def test_definitions_list_helper_class_members_and_caller_with_signatures(case: Case) -> None:
    doc = open_fixture(case)
    found = by_name(doc)
    caller, helper = case.caller[1], case.caller[2]
    method_name, method_kind = case.method[1], case.method[2]
    assert {caller, helper, method_name} <= set(found)
    assert found[method_name].kind == method_kind
    if case.member is not None:
        assert found[case.member[1]].kind == "class"
        if method_kind == "method":
            assert found[method_name].parent == case.member[1]
    helper_def = found[helper]
    assert "EUR" in helper_def.text  # the whole body...
    assert "EUR" not in helper_def.signature  # ...but only the header in the signature
    assert helper.split(".")[-1] in helper_def.signature
    assert "\n" not in helper_def.signature
    starts = [d.start_line for d in definitions(doc)]
    assert starts == sorted(starts)


def test_definitions_include_decorators_and_attributes_in_their_text() -> None:
    python = by_name(open_fixture(CASES[0]))
    assert python["Account"].text.startswith("@dataclass\n")
    rust = by_name(open_fixture(next(c for c in CASES if c.file == "sample.rs")))
    assert rust["Account"].text.startswith("#[derive(Debug, Clone)]\npub struct Account {")


def test_go_methods_belong_to_their_receiver_type() -> None:
    found = by_name(open_fixture(next(c for c in CASES if c.file == "sample.go")))
    assert (found["Deposit"].kind, found["Deposit"].parent) == ("method", "Account")
    assert (found["formatMoney"].kind, found["formatMoney"].parent) == ("function", None)


def test_arrow_function_const_is_named_after_its_variable() -> None:
    doc = open_fixture(next(c for c in CASES if c.file == "sample.ts"))
    found = by_name(doc)
    assert found["summarize"].kind == "function"
    assert found["summarize"].signature.startswith("export const summarize = (accounts: Account[]): string =>")


# -- never fail ---------------------------------------------------------------------------------


def test_binary_content_has_no_tree_and_falls_back_to_lines() -> None:
    doc = Document("file:///x/blob.py", "def f():\n    return 1\x00\x01\x02\n" * 3, 1, "python")
    assert doc.tree is None
    target = select_target(doc, cursor(doc, "return"))
    assert target.kind == "lines"
    assert target.start_line <= 1 <= target.end_line
    assert definitions(doc) == []


def test_unknown_language_falls_back_to_the_paragraph_around_the_cursor() -> None:
    text = "alpha\nbeta gamma\ndelta\n\nepsilon\n"
    doc = Document("file:///x/notes.unknown", text, 1, "")
    assert doc.language is None and doc.tree is None
    target = select_target(doc, cursor(doc, "gamma"))
    assert (target.kind, target.start_line, target.end_line) == ("lines", 0, 2)
    selected = select_target(doc, types.Range(start=types.Position(line=1, character=2), end=types.Position(line=4, character=1)))
    assert (selected.kind, selected.start_line, selected.end_line) == ("selection", 1, 4)


def test_a_five_megabyte_file_gets_no_tree_but_still_a_target() -> None:
    text = "def f(x):\n    return x + 1\n\n" * 190_000  # ~5 MB
    doc = Document("file:///x/huge.py", text, 1, "python")
    assert len(text) > 5_000_000
    assert doc.tree is None
    middle = doc.line_count // 2
    target = select_target(doc, types.Range(start=types.Position(line=middle, character=4), end=types.Position(line=middle, character=4)))
    assert target.kind == "lines"
    assert target.start_line <= middle <= target.end_line <= target.start_line + 40


@pytest.mark.parametrize("language_id", ["python", "javascript", "go", "rust", "cpp", "ruby", "php", "lua", "shellscript"])
def test_garbage_syntax_still_gives_whole_line_targets(language_id: str) -> None:
    text = "}{ ))( def class fn ::: <?php >>> \n\tend end }\n((((\n  'unterminated\n" * 20
    doc = Document("file:///x/garbage", text, 1, language_id)
    assert doc.tree is not None
    for line in range(0, doc.line_count, 7):
        for character in (0, 3, 50):
            at = types.Position(line=line, character=character)
            target = select_target(doc, types.Range(start=at, end=at))
            assert_whole_lines(doc, target)
            assert target.start_line <= min(line, doc.line_count - 1) <= target.end_line
    assert isinstance(definitions(doc), list)


def test_a_grammar_that_fails_to_load_means_no_tree_not_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from mistral_lsp.syntax import languages

    def broken(self: languages.LanguageSpec) -> object:
        raise OSError("grammar wheel is broken")

    monkeypatch.setattr(languages.LanguageSpec, "grammar", broken)
    doc = Document("file:///x/broken.go", "package x\n\nfunc f() {}\n", 1, "go")
    assert doc.tree is None
    assert select_target(doc, cursor(doc, "func")).kind == "lines"


def test_positions_past_the_end_are_clamped() -> None:
    doc = open_fixture(CASES[0])
    far = types.Position(line=10_000, character=500)
    target = select_target(doc, types.Range(start=far, end=far))
    assert target.end_line == doc.line_count - 1 or target.end_line <= doc.line_count - 1
    assert_whole_lines(doc, target)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_the_file_index_agrees_with_looking_up_from_each_definition(case: Case) -> None:
    # The index walks top-down and reuses unchanged code; target selection looks up from a
    # node. Both must describe each definition the same way.
    from mistral_lsp.syntax.index import file_index
    from mistral_lsp.syntax.nodes import syntax_of

    doc = open_fixture(case)
    syntax = syntax_of(doc)
    assert syntax is not None
    indexed = file_index(doc).definitions
    assert indexed
    for info in indexed:
        looked_up = syntax.info(info.node)
        assert (looked_up.kind, looked_up.name, looked_up.parent, looked_up.start_line, looked_up.end_line) == (
            info.kind, info.name, info.parent, info.start_line, info.end_line
        )
        assert looked_up.first == info.first


@pytest.mark.parametrize(
    ("source", "language_id"),
    [
        ("export default () => {\n  const a = 1;\n  return a + 2;\n};\n", "javascript"),
        ("export default function () {\n  const a = 1;\n  return a + 2;\n}\n", "typescript"),
    ],
)
def test_cursor_in_an_exported_unnamed_function_selects_it(source: str, language_id: str) -> None:
    # The `export` wraps a function with no name: the target is that function (this once looped
    # forever, climbing from the function back to its `export`).
    doc = Document(f"file:///work/a.{language_id[:2]}", source, language_id=language_id)
    target = select_target(doc, types.Range(types.Position(2, 4), types.Position(2, 4)))
    assert (target.start_line, target.end_line) == (0, 3)
    assert "return a + 2;" in target.text
