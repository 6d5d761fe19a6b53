"""Rendered prompts: layout for prompt caching, and each action's output contract."""

from __future__ import annotations

import json
from typing import Any

import pytest
from lsprotocol import types

from mistral_lsp.prompting.context import PromptContext, build_context, outline
from mistral_lsp.prompting.prompts import (
    REVIEW_SCHEMA,
    SYSTEM_PROMPT,
    TestFileContext,
    build_messages,
    build_review_definitions_messages,
    fence,
    review_response_format,
)
from mistral_lsp.syntax import definitions
from tests.unit.test_syntax_targets import CASES, cursor, open_fixture


def context_at(needle: str, *, file_index: int = 0, diagnostics: list[types.Diagnostic] | None = None) -> PromptContext:
    doc = open_fixture(CASES[file_index])
    return build_context(doc, cursor(doc, needle), diagnostics=diagnostics or [], path="src/sample.py")


def user(messages: list[dict[str, str]]) -> str:
    assert [m["role"] for m in messages] == ["system", "user"]
    assert messages[0]["content"] == SYSTEM_PROMPT
    return messages[1]["content"]


def test_actions_on_one_target_share_everything_up_to_the_target() -> None:
    ctx = context_at('return "total')
    prompts = {action: user(build_messages(action, ctx)) for action in ("review", "explain", "fix", "tests")}
    prefix = prompts["fix"][: prompts["fix"].index("## Target:")]
    assert prefix.startswith("File: src/sample.py (python)\n\n## Imports\n```python\nimport math\n")
    for text in prompts.values():
        assert text.startswith(prefix)
        # Then the target, then the task, last.
        assert text.index("## Target:") < text.index("## Task")
        assert text.rstrip().endswith(text[text.index("## Task") :].rstrip())


def test_stable_file_context_comes_before_the_target_in_priority_order() -> None:
    ctx = context_at("self.balance += amount")
    text = user(build_messages("explain", ctx))
    order = [text.index(h) for h in ("## Imports", "## Enclosing class `Account`", "## Other members of `Account`", "## Target: method `Account.deposit` (lines 21-25)")]
    assert order == sorted(order)


def test_target_is_fenced_in_the_language_with_file_line_numbers() -> None:
    # By default the first, the last and every 5th line carry their number, and the system
    # prompt says so.
    messages = build_messages("explain", context_at('return "total'))
    text = user(messages)
    assert "```python\n31| def summarize(accounts: list[Account]) -> str:\n    total = sum(" in text
    assert "its first, its last and every 5th line (`15| code`): count from the nearest" in messages[0]["content"]
    every = build_context(open_fixture(CASES[0]), cursor(open_fixture(CASES[0]), 'return "total'), line_anchors="every")
    messages = build_messages("explain", every)
    assert "```python\n31 | def summarize(accounts: list[Account]) -> str:\n32 |     total = sum(" in messages[1]["content"]
    assert "in a left column (`12 | code`)" in messages[0]["content"]


def test_fix_asks_for_one_block_replacing_the_target_at_its_indentation() -> None:
    text = user(build_messages("fix", context_at("self.balance += amount"), instruction="raise on NaN too"))
    task = text[text.index("## Task") :]
    assert "Change the target (lines 21-25) as the user asks: raise on NaN too" in task
    assert "one short sentence saying what the change does, then one fenced code block for the target" in task
    # Other definitions that must change with it: one block each, after a `path :: name` header.
    assert "preceded by a header line `path/to/file.py :: name`" in task
    assert "complete new text of lines 21-25" in task
    assert "the first line starts with 4 spaces" in task
    assert "no line numbers" in task


def test_fix_with_diagnostics_targets_them() -> None:
    doc = open_fixture(CASES[0])
    line = doc.position_at(doc.text.index("self.balance += amount")).line
    diagnostic = types.Diagnostic(
        range=types.Range(start=types.Position(line=line, character=8), end=types.Position(line=line, character=12)),
        message='"balance" is possibly unbound', severity=types.DiagnosticSeverity.Warning, source="pyright",
    )
    ctx = build_context(doc, cursor(doc, "self.balance += amount"), diagnostics=[diagnostic])
    text = user(build_messages("fix", ctx))
    # The line is quoted: the model finds it without counting from a line anchor.
    assert f'- line {line + 1} (`self.balance += amount`): warning [pyright]: "balance" is possibly unbound' in text
    assert text.index("## Diagnostics on the target") > text.index("## Target:")
    assert "so that the diagnostics above go away" in text


def test_fix_without_instruction_or_diagnostics_may_return_the_target_unchanged() -> None:
    text = user(build_messages("fix", context_at('return "total')))
    assert "If it has none, return it unchanged." in text
    assert "the first line starts with no indentation" in text


def test_review_prompt_states_the_json_contract_and_the_line_range() -> None:
    text = user(build_messages("review", context_at("self.balance += amount"), instruction="thread safety"))
    task = text[text.index("## Task") :]
    assert "focus on: thread safety" in task
    assert "within lines 21-25" in task
    assert '{"findings": []}' in task
    for key in REVIEW_SCHEMA["properties"]["findings"]["items"]["required"]:
        assert f'"{key}"' in task
    example = json.loads(task[task.index('{"findings": [{') : task.index("}]}") + 3])
    assert set(example["findings"][0]) == set(REVIEW_SCHEMA["properties"]["findings"]["items"]["properties"])


def _objects(schema: Any) -> list[dict[str, Any]]:
    found = []
    if isinstance(schema, dict):
        if schema.get("type") == "object":
            found.append(schema)
        for value in schema.values():
            found += _objects(value)
    elif isinstance(schema, list):
        for value in schema:
            found += _objects(value)
    return found


def test_review_schema_is_strict_everywhere() -> None:
    objects = _objects(REVIEW_SCHEMA)
    assert len(objects) == 2
    for obj in objects:
        assert obj["additionalProperties"] is False
        assert sorted(obj["required"]) == sorted(obj["properties"])
    item = REVIEW_SCHEMA["properties"]["findings"]["items"]["properties"]
    assert item["severity"]["enum"] == ["error", "warning", "information", "hint"]
    assert item["category"]["enum"] == ["bug", "security", "performance", "correctness", "style", "maintainability"]
    assert item["replacement"] == {"anyOf": [{"type": "string"}, {"type": "null"}]}
    assert review_response_format() == {
        "type": "json_schema",
        "json_schema": {"name": "review", "schema": REVIEW_SCHEMA, "strict": True},
    }


def test_explain_asks_for_markdown_and_carries_the_question() -> None:
    text = user(build_messages("explain", context_at('return "total'), instruction="why a generator?"))
    assert "The user asks: why a generator?" in text
    assert "Answer in Markdown" in text


def test_tests_for_an_existing_test_file_reuse_its_head_and_append() -> None:
    head = "import pytest\n\nfrom sample import summarize\n\n\n@pytest.fixture\ndef accounts():\n    return []\n"
    test_file = TestFileContext(path="tests/test_sample.py", exists=True, head=head, source_path="src/sample.py")
    text = user(build_messages("tests", context_at('return "total'), test_file=test_file))
    assert "## Beginning of the existing test file `tests/test_sample.py`\n```python\nimport pytest\n" in text
    assert "@pytest.fixture\ndef accounts():\n    return []\n```" in text
    assert text.index("## Beginning of the existing test file") > text.index("## Target:")
    assert "appended after the last line of the existing test file `tests/test_sample.py`" in text
    assert "with pytest" in text
    assert "exactly one fenced code block holding only the test code" in text


def test_tests_for_a_new_test_file_import_the_source() -> None:
    test_file = TestFileContext(path="tests/test_sample.py", exists=False, source_path="src/sample.py")
    text = user(build_messages("tests", context_at('return "total'), test_file=test_file))
    assert "content of the new test file `tests/test_sample.py`" in text
    assert "from `src/sample.py`" in text
    assert "Beginning of the existing test file" not in text


def test_tests_in_the_same_file_use_the_in_file_test_module() -> None:
    rust = next(i for i, c in enumerate(CASES) if c.file == "sample.rs")
    doc = open_fixture(CASES[rust])
    ctx = build_context(doc, cursor(doc, 'format!("total'))
    test_file = TestFileContext(path="src/sample.rs", exists=True, head="use super::*;", same_file=True)
    text = user(build_messages("tests", ctx, test_file=test_file))
    assert "appended to the end of the source file itself (`src/sample.rs`)" in text
    assert "#[cfg(test)] mod tests" in text
    assert "Beginning of the existing test file" not in text


def test_code_containing_fences_gets_a_longer_fence() -> None:
    assert fence("a\n```\nb", "md") == "````md\na\n```\nb\n````"
    assert fence("plain\n", "py") == "```py\nplain\n```"


def test_unknown_action_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown action"):
        build_messages("refactor", context_at('return "total'))  # type: ignore[arg-type]


def test_review_of_changed_definitions_has_the_outline_then_each_definition_numbered() -> None:
    doc = open_fixture(CASES[0])
    changed = [d for d in definitions(doc) if d.name in ("deposit", "summarize")]
    messages = build_review_definitions_messages("src/sample.py", "python", outline(doc), changed)
    text = user(messages)
    assert text.startswith("File: src/sample.py (python)\n\n## Outline of the file (line: signature)\n```\n")
    assert "21:   def deposit(self, amount: float) -> float:" in text
    assert "## Changed method `Account.deposit` (lines 21-25)\n```python\n21|     def deposit(" in text
    assert "\n25|         return self.balance\n```" in text  # the 5th and the last line
    assert "\n22 | " not in text and "\n22| " not in text
    assert "## Changed function `summarize` (lines 31-33)" in text
    assert text.index("## Outline") < text.index("## Changed method") < text.index("## Changed function") < text.index("## Task")
    assert "within lines 21-25, lines 31-33" in text


@pytest.mark.parametrize("action", ["fix", "explain", "review", "tests"])
@pytest.mark.parametrize("anchors", ["sparse", "every"])
def test_the_frame_around_the_code_fits_what_big_files_reserve_for_it(action: str, anchors: str) -> None:
    # In a file over 1k lines the whole request stays under a share of the file: the builder
    # reserves PROMPT_FRAME_TOKENS for the system prompt, header and task. A longer frame would
    # push big files' prompts past that share unnoticed.
    from mistral_lsp.prompting.sections import PROMPT_FRAME_TOKENS
    from mistral_lsp.prompting.tokens import estimate_tokens

    doc = open_fixture(CASES[0])
    ctx = build_context(doc, cursor(doc, 'return "total'), path="src/sample.py", line_anchors=anchors)
    messages = build_messages(action, ctx)  # type: ignore[arg-type]
    whole = sum(estimate_tokens(m["content"]) for m in messages)
    code = sum(section.tokens for section in ctx.sections)
    assert 0 < whole - code <= PROMPT_FRAME_TOKENS
