"""Prompt templates: the system prompt, one task per action, and their output contracts.

Messages are laid out for prompt caching: the system prompt (the same for every action), then
the file context (path, language, imports, enclosing class, definitions used, siblings), then
the action-specific part last (target, diagnostics, task). Explain, review and fix on one target
share everything up to the target; actions on one file share at least the imports.

Output contracts, which `replies` parses:

- fix: one fenced code block, the whole replacement of the target's lines, at the
  target's indentation, without line numbers; then, optionally, a block for each other
  definition that must change with it, after a header line `path :: name` (`replies.fix_blocks`);
- tests: one fenced code block, the code to append to the test file;
- review: JSON matching `REVIEW_SCHEMA` (enforced with `review_response_format()` when the
  backend supports structured outputs; described in the prompt for those that do not);
- explain and ask: markdown. Ask's follow-ups (and explain's) are a conversation: the first
  user message is built as for any action, from the current context, then the earlier answers
  and questions alternate, the new question last (`build_conversation_messages`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from typing import Any, Literal

from mistral_lsp.prompting.context import PromptContext, Section, header_text, numbered
from mistral_lsp.prompting.sections import DEFAULT_LINE_ANCHORS, anchors_rule, enclosing_name
from mistral_lsp.syntax.targets import Definition, Target

Action = Literal["review", "explain", "fix", "tests", "ask"]
ACTIONS: tuple[Action, ...] = ("review", "explain", "fix", "tests", "ask")

_SYSTEM_PROMPT = """\
You are Mistral, a senior software engineer working inside the user's code editor through a \
language server.

Each request shows part of one source file: its path and language, its imports, the class \
around the code, the definitions from the same file that the code uses, and the signatures of \
other definitions. Then comes the target — the code the request is about — {anchors} \
Diagnostics reported on the target, if any, follow it, each with its line number and the \
line's text. The task comes last.

Rules:
- Ground everything in the code shown. When an answer depends on code you cannot see, say so \
rather than guess.
- Keep the code's language, conventions, naming and indentation.
- Follow the task's output format exactly: a program parses your answer."""
SYSTEM_PROMPTS = {anchors: _SYSTEM_PROMPT.format(anchors=anchors_rule(anchors)) for anchors in ("sparse", "every")}
"""One system prompt per `lineAnchors` value: the same for every action (a cached prefix)."""
SYSTEM_PROMPT = SYSTEM_PROMPTS[DEFAULT_LINE_ANCHORS]


def system_prompt(anchors: str) -> str:
    return SYSTEM_PROMPTS.get(anchors, SYSTEM_PROMPT)


SEVERITIES = ("error", "warning", "information", "hint")
CATEGORIES = ("bug", "security", "performance", "correctness", "style", "maintainability")
MAX_FINDINGS = 10

REVIEW_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "findings": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "startLine": {"type": "integer"},
                    "endLine": {"type": "integer"},
                    "severity": {"type": "string", "enum": list(SEVERITIES)},
                    "category": {"type": "string", "enum": list(CATEGORIES)},
                    "title": {"type": "string"},
                    "message": {"type": "string"},
                    "snippet": {"type": "string"},
                    "replacement": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                },
                "required": [
                    "startLine", "endLine", "severity", "category", "title", "message", "snippet", "replacement",
                ],
                "additionalProperties": False,
            },
        }
    },
    "required": ["findings"],
    "additionalProperties": False,
}
"""A review answer. Lines are the file's, 1-based; `snippet` is line `startLine`'s text,
trimmed, so a finding can be re-anchored after edits; `replacement` replaces lines
`startLine..endLine` whole, or is null. Strict mode: every key required, nothing else allowed."""


def review_response_format() -> dict[str, Any]:
    """The `response_format` that makes the API enforce `REVIEW_SCHEMA`."""
    return {"type": "json_schema", "json_schema": {"name": "review", "schema": REVIEW_SCHEMA, "strict": True}}


@dataclasses.dataclass(frozen=True)
class TestFileContext:
    """Where generated tests go, and what is there already."""

    __test__ = False  # not a pytest test class, despite the name

    path: str
    """The test file's path, as shown to the model (relative to the project when possible)."""
    exists: bool
    head: str | None = None
    """The beginning of the existing test file: its imports and fixtures, to reuse."""
    same_file: bool = False
    """The tests go in the source file itself (Rust's `#[cfg(test)] mod tests`)."""
    source_path: str | None = None
    """The source file's path, relative like `path`, for imports."""


# The framework to use when the existing test file does not show one.
_TEST_FRAMEWORKS = {
    "python": "pytest (plain `assert`, fixtures, `pytest.mark.parametrize`)",
    "javascript": "Jest-style `describe` / `test` / `expect` (runs under Jest and Vitest)",
    "typescript": "Jest-style `describe` / `test` / `expect` (runs under Jest and Vitest)",
    "tsx": "Jest-style tests with React Testing Library",
    "go": "the standard `testing` package, table-driven with `t.Run`",
    "rust": "`#[test]` functions in a `#[cfg(test)] mod tests { use super::*; ... }` module",
    "java": "JUnit 5 (`org.junit.jupiter.api`)",
    "csharp": "xUnit (`[Fact]`, `[Theory]`)",
    "c": "plain `assert.h` checks called from `main`",
    "cpp": "GoogleTest (`TEST`, `EXPECT_EQ`)",
    "ruby": "Minitest (`Minitest::Test`, `assert_equal`)",
    "php": "PHPUnit (`TestCase`)",
    "lua": "busted (`describe` / `it` / `assert`)",
    "bash": "bats (`@test`)",
}


def fence(text: str, language: str = "") -> str:
    """`text` in a fenced block longer than any backtick run inside it."""
    longest = max((len(run) for run in re.findall(r"`{3,}", text)), default=0)
    marks = "`" * max(3, longest + 1)
    return f"{marks}{language}\n{text.rstrip(chr(10))}\n{marks}"


def _render(section: Section, language: str) -> str:
    body = fence(section.text, language) if section.code else section.text
    return f"## {section.title}\n{body}"


_ACTION_KINDS = ("target", "diagnostics")


def _lines(target: Target) -> str:
    lines = f"lines {target.start_line + 1}-{target.end_line + 1}"
    return f"{lines}, part of `{enclosing_name(target)}`" if target.enclosing is not None else lines


def _part_rule(target: Target) -> str:
    """For a narrowed target: the lines around it stay, so its blocks may be left open."""
    if target.enclosing is None:
        return ""
    return (
        "- only these lines are replaced: the code before and after them stays as it is, so leave "
        "blocks that begin before them or continue after them open, as they are;\n"
    )


def _indent_words(indent: str) -> str:
    if not indent:
        return "no indentation"
    if set(indent) == {"\t"}:
        return f"{len(indent)} tab{'s' if len(indent) > 1 else ''}"
    if set(indent) == {" "}:
        return f"{len(indent)} space{'s' if len(indent) > 1 else ''}"
    return f"the same mix of tabs and spaces ({indent!r})"


def _fix_task(ctx: PromptContext, instruction: str | None) -> str:
    target = ctx.target
    if instruction:
        goal = f"Change the target ({_lines(target)}) as the user asks: {instruction.strip()}"
    elif ctx.section("diagnostics") is not None:
        goal = f"Fix the target ({_lines(target)}) so that the diagnostics above go away, with no other change in behaviour."
    else:
        goal = f"Fix the bugs in the target ({_lines(target)}). If it has none, return it unchanged."
    return (
        f"{goal}\n\n"
        "Answer with one short sentence saying what the change does, then one fenced code "
        "block for the target. The block holds the "
        f"complete new text of {_lines(target)} — every line, changed or not — which will replace "
        "them as they are:\n"
        f"- keep the original indentation: the first line starts with {_indent_words(target.indent)};\n"
        "- no line numbers, no `...` placeholders, nothing from outside the target's lines;\n"
        f"{_part_rule(target)}"
        "- keep the target's name and signature unless the task requires changing them.\n\n"
        "If other definitions must change with the target (callers of a changed signature, say), you "
        "may add one fenced block for each after the target's block, each preceded by a header line "
        "`path/to/file.py :: name` (the path relative to the workspace root, the definition's name) "
        "right before its fence; the block holds that definition's complete new text. Add none otherwise."
    )


def _explain_task(ctx: PromptContext, instruction: str | None) -> str:
    target = ctx.target
    question = f" The user asks: {instruction.strip()}" if instruction else ""
    return (
        f"Explain the target ({_lines(target)}) to a developer who is about to change it.{question}\n\n"
        "Answer in Markdown: a one- or two-sentence summary of what it does and why first; then "
        "how it works — the non-obvious parts, what the definitions it uses contribute, inputs, "
        "outputs and side effects; then pitfalls and edge cases you notice. Refer to code by "
        "quoting it briefly (`name`, a short expression), with its line number when that helps. "
        "Be brief: no line-by-line narration, no restating the code."
    )


def _ask_task(ctx: PromptContext, question: str | None) -> str:
    target = ctx.target
    return (
        f"The user has a question about the target ({_lines(target)}): {(question or '').strip()}\n\n"
        "Answer it in Markdown, directly and briefly: the answer first, then only the explanation "
        "it needs. Refer to code by quoting it briefly (`name`, a short expression), with its line "
        "number when that helps; show code in fenced blocks only when the answer is code. When the "
        "answer depends on code you cannot see, say what is missing."
    )


def _review_rules(lines: str) -> str:
    return (
        "Answer with JSON only, of this shape:\n"
        '{"findings": [{"startLine": 12, "endLine": 13, "severity": "warning", "category": "bug", '
        '"title": "Off-by-one in loop bound", "message": "Why it is wrong and what happens.", '
        '"snippet": "for i in range(len(items) + 1):", "replacement": "for i in range(len(items)):"}]}\n'
        f"- `startLine` / `endLine`: 1-based file line numbers within {lines}, read or counted from "
        "the numbers shown left of the code;\n"
        "- `snippet`: the exact text of line `startLine`, without leading and trailing whitespace — "
        "it places the finding, so copy it exactly;\n"
        "- `replacement`: the full corrected text of lines `startLine`..`endLine` with their original "
        "indentation and without line numbers, or null when the fix is not a local rewrite;\n"
        f"- `severity`: one of {', '.join(SEVERITIES)} (error: fails, corrupts data or is insecure; "
        "warning: likely bug); `category`: one of " + ", ".join(CATEGORIES) + ";\n"
        f"- at most {MAX_FINDINGS} findings, the most important first; "
        '`{"findings": []}` when nothing is worth reporting.'
    )


def _review_task(ctx: PromptContext, instruction: str | None) -> str:
    target = ctx.target
    focus = f" The user asks you to focus on: {instruction.strip()}" if instruction else ""
    return (
        f"Review the target ({_lines(target)}).{focus} Report real, specific problems — bugs, "
        "security issues, performance traps, incorrect behaviour on edge cases — and style or "
        "maintainability issues only when clearly worth a change. No praise, no summaries, no "
        "findings about code outside the target.\n\n" + _review_rules(_lines(target))
    )


def _tests_task(ctx: PromptContext, instruction: str | None, test_file: TestFileContext | None) -> str:
    target = ctx.target
    framework = _TEST_FRAMEWORKS.get(ctx.language, "the project's usual test framework")
    extra = f" The user asks: {instruction.strip()}" if instruction else ""
    if test_file is None:
        where = "The block will be added to the project's test file for this source file."
    elif test_file.same_file:
        where = (
            f"The block will be appended to the end of the source file itself (`{test_file.path}`), "
            "in the language's in-file test module."
        )
    elif test_file.exists:
        where = (
            f"The block will be appended after the last line of the existing test file `{test_file.path}` "
            "(its beginning is shown above): reuse its imports, fixtures and helpers, do not repeat "
            "its package clause or imports, and avoid names it already uses. If the tests need an "
            "import it lacks, put it at the top of your block when the language allows that."
        )
    else:
        source = f" `{test_file.source_path}`" if test_file.source_path else ""
        where = (
            f"The block will be the content of the new test file `{test_file.path}`: include the "
            f"imports it needs, importing the code under test from{source or ' the source file'}."
        )
    return (
        f"Write tests for the target ({_lines(target)}) with {framework}, unless the existing test "
        f"file uses another framework.{extra} Cover the normal behaviour, edge cases and error "
        "handling you can see in the code; each test checks one behaviour and has a descriptive "
        "name. Test through the public interface; do not test private details.\n\n"
        f"{where}\n\nAnswer with exactly one fenced code block holding only the test code, and no "
        "text outside it."
    )


def build_messages(
    action: Action,
    ctx: PromptContext,
    *,
    instruction: str | None = None,
    test_file: TestFileContext | None = None,
) -> list[dict[str, str]]:
    """The Mistral chat `messages` (system, user) for `action` on the context `ctx`."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; expected one of {', '.join(ACTIONS)}")
    language = ctx.language
    stable = [f"{header_text(ctx.path, language)}"]
    stable += [_render(s, language) for s in ctx.sections if s.kind not in _ACTION_KINDS]
    specific = [_render(s, language) for kind in _ACTION_KINDS if (s := ctx.section(kind)) is not None]
    if action == "tests" and test_file is not None and test_file.head and not test_file.same_file:
        specific.append(f"## Beginning of the existing test file `{test_file.path}`\n{fence(test_file.head, language)}")
    if action == "fix":
        task = _fix_task(ctx, instruction)
    elif action == "explain":
        task = _explain_task(ctx, instruction)
    elif action == "review":
        task = _review_task(ctx, instruction)
    elif action == "ask":
        task = _ask_task(ctx, instruction)
    else:
        task = _tests_task(ctx, instruction, test_file)
    specific.append(f"## Task\n{task}")
    return [
        {"role": "system", "content": system_prompt(ctx.anchors)},
        {"role": "user", "content": "\n\n".join([*stable, *specific])},
    ]


def build_conversation_messages(
    ctx: PromptContext, turns: Sequence[tuple[str | None, str]], question: str, *, instruction: str | None = None,
) -> list[dict[str, str]]:
    """Ask, or a follow-up of ask or explain: the first message as `build_messages` makes it
    (from the current context) with the conversation's first question — None is explain's own
    task — then its earlier answers and questions in turn, and `question` last. Earlier turns
    come before the new question, so follow-ups share a growing cached prefix."""
    if not turns:
        return build_messages("ask", ctx, instruction=question)
    (first_question, first_answer), rest = turns[0], turns[1:]
    if first_question is None:
        messages = build_messages("explain", ctx, instruction=instruction)
    else:
        messages = build_messages("ask", ctx, instruction=first_question)
    messages.append({"role": "assistant", "content": first_answer})
    for earlier_question, answer in rest:
        messages += [{"role": "user", "content": earlier_question or ""}, {"role": "assistant", "content": answer}]
    messages.append({"role": "user", "content": question.strip()})
    return messages


def build_review_definitions_messages(
    doc_path: str, language: str, outline: str, definitions: Sequence[Definition],
    anchors: str = DEFAULT_LINE_ANCHORS,
) -> list[dict[str, str]]:
    """Review on save and `mistral-lsp review`: the changed `definitions` of one file, numbered
    as `anchors` says, with the file's outline as context."""
    parts = [header_text(doc_path, language)]
    if outline.strip():
        parts.append(f"## Outline of the file (line: signature)\n{fence(outline)}")
    spans = []
    for d in definitions:
        lines = f"lines {d.start_line + 1}-{d.end_line + 1}"
        spans.append(lines)
        owner = f"{d.parent}." if d.parent and not d.name.startswith(d.parent) else ""
        parts.append(f"## Changed {d.kind} `{owner}{d.name}` ({lines})\n{fence(numbered(d.text, d.start_line, anchors), language)}")
    where = ", ".join(spans) if spans else "the definitions above"
    parts.append(
        "## Task\n"
        "These definitions changed since their last review. Review them — only them, using the "
        "outline for what the rest of the file provides. Report real, specific problems — bugs, "
        "security issues, performance traps, incorrect behaviour on edge cases — and style or "
        "maintainability issues only when clearly worth a change. No praise, no summaries.\n\n"
        + _review_rules(where)
    )
    return [
        {"role": "system", "content": system_prompt(anchors)},
        {"role": "user", "content": "\n\n".join(parts)},
    ]
