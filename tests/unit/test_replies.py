"""The model's answers are parsed tolerantly: prose, missing fences, JSON in fences."""

from __future__ import annotations

from mistral_lsp.prompting.replies import extract_code_block, parse_json_object


def test_code_block_inside_prose() -> None:
    reply = "Sure! Here it is:\n\n```python\ndef f():\n    return 1\n```\n\nThis returns one."
    assert extract_code_block(reply) == "def f():\n    return 1"


def test_missing_closing_fence() -> None:
    assert extract_code_block("```go\nfunc f() {}\n") == "func f() {}"


def test_no_fence_at_all_is_the_code() -> None:
    assert extract_code_block("x = 1\ny = 2\n") == "x = 1\ny = 2"


def test_largest_of_several_blocks() -> None:
    reply = "```\nsmall\n```\ntext\n```python\nthe\nbig\nblock\n```"
    assert extract_code_block(reply) == "the\nbig\nblock"


def test_four_backtick_fence_with_inner_fence() -> None:
    reply = "````markdown\n```python\nx\n```\n````"
    assert extract_code_block(reply) == "```python\nx\n```"


def test_empty_answer_has_no_code() -> None:
    assert extract_code_block("") is None
    assert extract_code_block("```python\n```") is None


def test_json_bare_fenced_and_in_prose() -> None:
    assert parse_json_object('{"findings": []}') == {"findings": []}
    assert parse_json_object('```json\n{"findings": [1]}\n```') == {"findings": [1]}
    assert parse_json_object('Here you go: {"findings": [2]} hope it helps') == {"findings": [2]}
    assert parse_json_object('[{"title": "x"}]') == {"findings": [{"title": "x"}]}
    assert parse_json_object("no json here") is None
