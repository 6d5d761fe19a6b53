"""The language table: lookup, lazy grammar loading, and that every kind it names exists."""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import subprocess
import sys
from importlib.machinery import ModuleSpec
from types import ModuleType

import pytest

from mistral_lsp.syntax import languages
from mistral_lsp.syntax.languages import LANGUAGES, LanguageSpec, language_for


@pytest.mark.parametrize(
    ("language_id", "uri", "first_line", "expected"),
    [
        ("python", "file:///a.txt", "", "python"),
        ("typescriptreact", "file:///a.ts", "", "tsx"),
        ("javascriptreact", "", "", "javascript"),
        ("shellscript", "", "", "bash"),
        ("cs", "", "", "csharp"),
        ("", "file:///src/App.tsx", "", "tsx"),
        ("", "file:///src/mod.RS", "", "rust"),
        ("", "file:///inc/x.hpp", "", "cpp"),
        ("", "file:///x/Rakefile", "", "ruby"),
        ("", "file:///home/u/.bashrc", "", "bash"),
        ("", "file:///bin/deploy", "#!/usr/bin/env bash", "bash"),
        ("", "file:///bin/tool", "#!/usr/bin/python3.12", "python"),
        ("", "C:\\work\\main.go", "", "go"),
        ("", "file:///a%20b/c.lua", "", "lua"),
    ],
)
def test_language_from_language_id_else_file_name_else_shebang(language_id: str, uri: str, first_line: str, expected: str) -> None:
    spec = language_for(language_id, uri, first_line)
    assert spec is not None and spec.name == expected


def test_unknown_languages_are_none() -> None:
    assert language_for("plaintext", "file:///notes.txt", "hello") is None
    assert language_for("", "file:///Makefile", "") is None


def test_the_table_covers_the_fourteen_grammars() -> None:
    assert sorted(spec.name for spec in LANGUAGES) == sorted(
        ["python", "javascript", "typescript", "tsx", "go", "rust", "java", "c", "cpp", "csharp", "ruby", "php", "lua", "bash"]
    )


@pytest.mark.parametrize("spec", LANGUAGES, ids=lambda spec: spec.name)
def test_every_node_kind_and_field_in_the_table_exists_in_the_grammar(spec: LanguageSpec) -> None:
    grammar = spec.grammar()
    kinds = spec.functions | spec.classes | spec.imports | spec.wrappers | spec.namespaces | spec.leading
    kinds |= {kind for kind, _ in spec.assignments}
    assert sorted(kind for kind in kinds if grammar.id_for_node_kind(kind, True) is None) == []
    assert [field for _, field in spec.assignments if field and grammar.field_id_for_name(field) is None] == []
    assert spec.identifier_query().pattern_count == 1


def test_importing_the_syntax_and_prompt_modules_loads_no_grammar_and_no_tokenizer() -> None:
    code = (
        "import sys, mistral_lsp.syntax, mistral_lsp.prompting.context, mistral_lsp.prompting.prompts, mistral_lsp.prompting.tokens;"
        "print(sorted(m for m in sys.modules if m.startswith(('tree_sitter', 'mistral_common'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


class _CrossedGrammar(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """A grammar package whose first imports meet importlib's deadlock detection, as when another
    thread imports what the grammar needs at the same moment."""

    def __init__(self, name: str, crossings: int) -> None:
        self.name, self.crossings, self.attempts = name, crossings, 0

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> ModuleSpec | None:
        if fullname != self.name:
            return None
        self.attempts += 1
        if self.attempts <= self.crossings:
            raise importlib._bootstrap._DeadlockError(f"deadlock detected by _ModuleLock({fullname!r})")  # type: ignore[attr-defined]
        return importlib.util.spec_from_loader(fullname, self)

    def exec_module(self, module: ModuleType) -> None:
        module.language = lambda: 42  # type: ignore[attr-defined]


@pytest.mark.parametrize("crossings", [1, 2])
def test_a_grammar_import_crossed_by_another_thread_is_tried_again(crossings: int) -> None:
    finder = _CrossedGrammar(f"crossed_grammar_{crossings}", crossings)
    sys.meta_path.insert(0, finder)
    try:
        module = languages._import_grammar(finder.name)
    finally:
        sys.meta_path.remove(finder)
        sys.modules.pop(finder.name, None)
    assert module.language() == 42
    assert finder.attempts == crossings + 1


def test_a_grammar_import_that_keeps_crossing_fails_after_three_attempts() -> None:
    finder = _CrossedGrammar("crossed_grammar_always", crossings=99)
    sys.meta_path.insert(0, finder)
    try:
        with pytest.raises(RuntimeError, match="deadlock detected"):
            languages._import_grammar(finder.name)
    finally:
        sys.meta_path.remove(finder)
    assert finder.attempts == 3
