"""The model looks things up: tool calls streamed by the fake API, run by the server, and their
results sent back as `tool` messages, end to end (real server over stdio, the loopback fake)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from mistralai.client.models import ChatCompletionStreamRequest

from mistral_lsp.lookup import TOOL_SCHEMAS
from mistral_lsp.testing.fake_api import FakeMistralAPI, Reply

from ..samples import CART, EXPECTED_AFTER_FIX, FIXED_TOTAL_DEDENTED
from .conftest import Editor, rng, start_editor

PRICING = "def percent(value):\n    return value / 100\n"
ANSWER_NOW = "\n\n(No more lookups: answer now with what you have.)"


def fenced(code: str) -> str:
    return f"Here is the fix:\n\n```python\n{code}\n```\n"


async def open_workspace(fake: FakeMistralAPI, tmp_path: Path, settings: dict[str, Any] | None = None) -> Editor:
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / "pricing.py").write_text(PRICING)
    (workspace / "cart.py").write_text(CART)
    # Enough files for the index build to show progress, whose end the test waits for.
    (workspace / "filler").mkdir()
    for i in range(100):
        (workspace / "filler" / f"module_{i}.py").write_text(f"def filler_{i}():\n    return {i}\n")
    editor = await start_editor(fake, tmp_path, "visual_studio_code", settings=settings)
    await editor.wait_until(lambda: any(m.startswith("Indexed") for m in progress_messages(editor)),
                            what="the index build to end")
    return editor


def progress_messages(editor: Editor) -> list[str]:
    return [
        r.message or "" for reports in editor.client.progress_reports.values() for r in reports
        if isinstance(r, (types.WorkDoneProgressReport, types.WorkDoneProgressEnd))
    ]


@pytest.fixture
async def editor(fake_api: FakeMistralAPI, tmp_path: Path) -> AsyncIterator[Editor]:
    ed = await open_workspace(fake_api, tmp_path)
    try:
        yield ed
    finally:
        await ed.client.shutdown_session()
        await ed.client.stop()


def assert_sdk_accepts(body: dict[str, Any]) -> None:
    """The official SDK's request model reads `body` with every key known to it (the API
    answers 422 to a key outside its schema; the SDK would silently drop it)."""
    request = ChatCompletionStreamRequest.model_validate(body)
    assert set(body) <= set(ChatCompletionStreamRequest.model_fields)
    assert request.tool_choice == body.get("tool_choice") and request.parallel_tool_calls == body.get("parallel_tool_calls")
    for sent, parsed in zip(body["messages"], request.messages, strict=True):
        assert parsed.role == sent["role"]
        assert set(sent) <= set(type(parsed).model_fields), (sent, type(parsed).__name__)
    for sent_tool, parsed_tool in zip(body.get("tools") or [], request.tools or [], strict=True):
        assert set(sent_tool["function"]) <= set(type(parsed_tool.function).model_fields)
        assert parsed_tool.function.name == sent_tool["function"]["name"]


def call(call_id: str, name: str, arguments: str) -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


@pytest.mark.parametrize("interleaved", [False, True], ids=["one-after-the-other", "interleaved"])
async def test_parallel_tool_calls_streamed_in_pieces_get_exact_tool_messages(
    editor: Editor, interleaved: bool
) -> None:
    uri = await editor.open("cart.py", CART)
    calls = [{"id": "defcall01", "name": "definition", "arguments": {"name": "percent"}},
             {"id": "refcall02", "name": "references", "arguments": '{"name": "round_up"}'}]
    editor.fake.enqueue(
        Reply(text="", tool_calls=calls, incremental_tool_calls=True, interleaved_tool_calls=interleaved),
        Reply(text=fenced(FIXED_TOTAL_DEDENTED)),
    )
    result = await editor.command("mistral.fix", {"uri": uri, "range": rng(9, 0, 9, 0), "id": "tools-1"})
    first, second = (r.json for r in editor.fake.requests[-2:])
    assert first["tools"] == TOOL_SCHEMAS and first["tool_choice"] == "auto" and first["parallel_tool_calls"] is True
    assert second["messages"][:-3] == first["messages"]
    assert second["messages"][-3:] == [
        {"role": "assistant", "content": "",
         "tool_calls": [call("defcall01", "definition", '{"name": "percent"}'),
                        call("refcall02", "references", '{"name": "round_up"}')]},
        {"role": "tool", "tool_call_id": "defcall01", "name": "definition",
         "content": "pricing.py:1\ndef percent(value):\n    return value / 100"},
        {"role": "tool", "tool_call_id": "refcall02", "name": "references",
         "content": "cart.py:13: def round_up(value):"},
    ]
    assert_sdk_accepts(first)
    assert_sdk_accepts(second)
    # The cached prefix holds across rounds: same tools, same key.
    assert second["tools"] == first["tools"] and second["prompt_cache_key"] == first["prompt_cache_key"]
    assert result.applied is True and editor.texts[uri] == EXPECTED_AFTER_FIX
    lines = ["looking up `percent` — pricing.py:1", "looking up `round_up` — 1 use in 1 file"]
    assert [s["lookup"] for s in editor.streams if s.get("id") == "tools-1" and "lookup" in s] == lines
    assert all(line in progress_messages(editor) for line in lines)
    assert result.context["lookups"] == ["definition percent — pricing.py:1", "references round_up — 1 use in 1 file"]


async def test_each_lookup_runs_as_its_call_completes_while_the_round_still_streams(editor: Editor) -> None:
    uri = await editor.open("cart.py", CART)
    calls = [{"id": "defcall01", "name": "definition", "arguments": {"name": "percent"}},
             {"id": "refcall02", "name": "references", "arguments": {"name": "round_up"}}]
    # The round's last chunk (its finish_reason) is held until the test releases it.
    editor.fake.enqueue(
        Reply(text="", tool_calls=calls, incremental_tool_calls=True, interleaved_tool_calls=True,
              hold_before_finish="round-1"),
        Reply(text=fenced(FIXED_TOTAL_DEDENTED)),
    )
    task = editor.run_command("mistral.fix", {"uri": uri, "range": rng(9, 0, 9, 0), "id": "early"})

    def lookups() -> list[str]:
        return [s["lookup"] for s in editor.streams if s.get("id") == "early" and "lookup" in s]

    try:
        await editor.wait_until(lambda: len(lookups()) == 2, what="both lookups while round one still streams")
        assert lookups() == ["looking up `percent` — pricing.py:1", "looking up `round_up` — 1 use in 1 file"]
        # Round one has not ended: no second request yet.
        assert len([r for r in editor.fake.requests if r.path.endswith("/chat/completions")]) == 1
    finally:
        editor.fake.release("round-1")
    result = await task
    assert result.applied is True and editor.texts[uri] == EXPECTED_AFTER_FIX
    second = editor.fake.requests[-1].json
    assert [m["role"] for m in second["messages"][-3:]] == ["assistant", "tool", "tool"]
    assert [m.get("tool_call_id") for m in second["messages"][-2:]] == ["defcall01", "refcall02"]
    assert second["messages"][-2]["content"] == "pricing.py:1\ndef percent(value):\n    return value / 100"
    assert lookups() == ["looking up `percent` — pricing.py:1", "looking up `round_up` — 1 use in 1 file"]


async def test_a_fix_after_two_rounds_is_applied_and_the_last_round_offers_no_more(
    fake_api: FakeMistralAPI, tmp_path: Path
) -> None:
    editor = await open_workspace(fake_api, tmp_path, settings={"tools": {"maxRounds": 2}})
    try:
        uri = await editor.open("cart.py", CART)
        editor.fake.enqueue(
            Reply(text="Let me read it.", tool_calls=[{"id": "read00001", "name": "read",
                                                       "arguments": {"path": "cart.py", "start": 9, "end": 10}}]),
            Reply(text="", tool_calls=[{"id": "search002", "name": "search", "arguments": {"text": "/ 100"}}],
                  incremental_tool_calls=True),
            Reply(text=fenced(FIXED_TOTAL_DEDENTED)),
        )
        result = await editor.command("mistral.fix", {"uri": uri, "range": rng(9, 0, 9, 0), "id": "two"})
        assert result.applied is True and editor.texts[uri] == EXPECTED_AFTER_FIX
        bodies = [r.json for r in editor.fake.requests[-3:]]
        assert [b["tool_choice"] for b in bodies] == ["auto", "auto", "none"]
        for body in bodies:
            assert_sdk_accepts(body)
        assert all(b["tools"] == TOOL_SCHEMAS for b in bodies)
        read, searched = bodies[1]["messages"][-1], bodies[2]["messages"][-1]
        assert bodies[1]["messages"][-2]["content"] == "Let me read it."
        assert read["content"] == ("cart.py:9-10 (of 14)\n        subtotal = sum(item.price for item in self.items)\n"
                                   "        return subtotal - subtotal * discount / 10")
        assert searched["content"] == "pricing.py:2: return value / 100" + ANSWER_NOW
        assert result.text == fenced(FIXED_TOTAL_DEDENTED)
        assert len(result.context["lookups"]) == 2
    finally:
        await editor.client.shutdown_session()
        await editor.client.stop()


async def test_a_cancel_in_round_two_closes_the_stream_and_applies_nothing(editor: Editor) -> None:
    uri = await editor.open("cart.py", CART)
    editor.fake.enqueue(
        Reply(text="", tool_calls=[{"id": "defcall01", "name": "definition", "arguments": {"name": "percent"}}]),
        Reply(text=fenced(FIXED_TOTAL_DEDENTED), delay_per_chunk=60),
    )
    task = editor.run_command("mistral.fix", {"uri": uri, "range": rng(9, 0, 9, 0), "id": "cancel-2"})
    await editor.wait_until(lambda: editor.stream_text("cancel-2"), what="round two's first text")
    cancel = await editor.command("mistral.cancel", {"id": "cancel-2"})
    assert cancel.cancelled == ["cancel-2"]
    disconnect = await editor.fake.wait_for_disconnect_async(timeout=20)
    assert disconnect.chunks_sent == 1
    result = await task
    assert result.cancelled is True and result.applied is False
    assert editor.texts[uri] == CART
    assert len([r for r in editor.fake.requests if r.path.endswith("/chat/completions")]) == 2
