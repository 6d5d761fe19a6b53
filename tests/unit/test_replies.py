"""Code is taken only from a closed fence (never prose, never half a block); review JSON is parsed
tolerantly: prose around it, JSON in fences."""

from __future__ import annotations

from mistral_lsp.prompting.replies import (
    explanation_of,
    extract_code_block,
    missing_code_reason,
    parse_json_object,
)


def test_code_block_inside_prose() -> None:
    reply = "Sure! Here it is:\n\n```python\ndef f():\n    return 1\n```\n\nThis returns one."
    assert extract_code_block(reply) == "def f():\n    return 1"


def test_an_unclosed_fence_is_no_code_and_says_so() -> None:
    assert extract_code_block("```go\nfunc f() {}\n") is None
    assert missing_code_reason("```go\nfunc f() {}\n") == "unclosed"


def test_an_unclosed_fence_after_a_closed_one_still_counts_as_unclosed() -> None:
    reply = "```\nx = 1\n```\nand the rest:\n```python\ndef f():\n"
    assert extract_code_block(reply) == "x = 1"


def test_prose_without_a_fence_is_no_code() -> None:
    reply = "I looked at this function carefully and it seems fine.\n"
    assert extract_code_block(reply) is None
    assert missing_code_reason(reply) == "no_fence"


def test_largest_of_several_blocks() -> None:
    reply = "```\nsmall\n```\ntext\n```python\nthe\nbig\nblock\n```"
    assert extract_code_block(reply) == "the\nbig\nblock"


def test_four_backtick_fence_with_inner_fence() -> None:
    reply = "````markdown\n```python\nx\n```\n````"
    assert extract_code_block(reply) == "```python\nx\n```"


def test_empty_answer_has_no_code() -> None:
    assert extract_code_block("") is None
    assert missing_code_reason("  \n") == "empty"
    assert extract_code_block("```python\n```") is None
    assert missing_code_reason("```python\n```") == "empty"


def test_json_bare_fenced_and_in_prose() -> None:
    assert parse_json_object('{"findings": []}') == {"findings": []}
    assert parse_json_object('```json\n{"findings": [1]}\n```') == {"findings": [1]}
    assert parse_json_object('Here you go: {"findings": [2]} hope it helps') == {"findings": [2]}
    assert parse_json_object('[{"title": "x"}]') == {"findings": [{"title": "x"}]}
    assert parse_json_object("no json here") is None


def test_fix_explanation_is_the_first_sentence_of_the_prose_on_one_line() -> None:
    reply = "The subtraction should be\nan addition: `a + b`. Tests pass now.\n\n```python\nreturn a + b\n```\n"
    assert explanation_of(reply) == "The subtraction should be an addition: `a + b`."


def test_fix_explanation_after_the_block_when_none_before() -> None:
    assert explanation_of("```python\nx = 1\n```\nGuards the empty list:\n") == "Guards the empty list"


def test_fix_explanation_is_none_for_code_only_replies() -> None:
    assert explanation_of("```python\n# a comment that is code\nx = 1\n```") is None
    assert explanation_of("x = 1  # a bare reply is all code") is None


def test_fix_explanation_is_cut_to_one_short_line() -> None:
    explanation = explanation_of("word " * 100 + "\n```\nx\n```")
    assert explanation is not None and len(explanation) <= 200 and explanation.endswith("…")
