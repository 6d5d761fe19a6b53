"""Decoding streamed and whole replies into events, for every variant in mistral-api.md §3/§7."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from mistral_lsp.mistral import (
    Finish,
    StreamError,
    StreamEvent,
    TextDelta,
    ThinkingDelta,
    ToolCall,
    ToolCallDelta,
    Usage,
)
from mistral_lsp.mistral.sse import ChunkDecoder, iter_events, parse_completion


def chunk(delta: dict[str, Any] | None = None, finish: str | None = None, **extra: Any) -> dict[str, Any]:
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
    return {"id": "5319", "object": "chat.completion.chunk", "created": 1769088720,
            "model": "mistral-small-latest", "choices": choices, **extra}


def decode(*chunks: dict[str, Any]) -> list[StreamEvent]:
    decoder = ChunkDecoder()
    events = [event for c in chunks for event in decoder.feed(c)]
    return [*events, decoder.finish()]


def think(text: str) -> dict[str, Any]:
    return {"type": "thinking", "thinking": [{"type": "text", "text": text}]}


def test_the_live_text_stream() -> None:
    events = decode(
        chunk({"role": "assistant", "content": ""}),
        chunk({"content": "Hello"}, logprobs=None, p="abcdefgh"),
        chunk({"content": ""}, "stop", usage={"prompt_tokens": 13, "total_tokens": 21,
                                              "completion_tokens": 8}),
    )
    assert events == [TextDelta("Hello"), Usage(13, 8, 21, 0), Finish("stop")]


def test_the_three_reasoning_phases_keep_thinking_out_of_the_text() -> None:
    events = decode(
        chunk({"role": "assistant", "content": ""}),
        chunk({"content": [think("The user wants")]}),
        chunk({"content": [think(" a number.")]}),
        chunk({"content": [{**think(""), "closed": True}, {"type": "text", "text": "Th"}]}),
        chunk({"content": "ree"}),
        chunk({"content": [{"type": "text", "text": "."}]}, "stop"),
    )
    assert events == [ThinkingDelta("The user wants"), ThinkingDelta(" a number."),
                      TextDelta("Th"), TextDelta("ree"), TextDelta("."), Finish("stop")]


@pytest.mark.parametrize("key", ["reasoning", "reasoning_content"])
def test_openai_style_reasoning_fields(key: str) -> None:
    events = decode(chunk({key: "hmm"}), chunk({"content": "42"}, "stop"))
    assert events == [ThinkingDelta("hmm"), TextDelta("42"), Finish("stop")]


def test_reasoning_sent_under_both_names_is_seen_once() -> None:
    assert decode(chunk({"reasoning": "a", "reasoning_content": "a"}))[:-1] == [ThinkingDelta("a")]


def test_usage_on_a_separate_chunk_without_choices() -> None:
    usage = {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}
    events = decode(chunk({"content": "hi"}), chunk({}, "stop"), chunk(None, usage=usage))
    assert events == [TextDelta("hi"), Usage(5, 2, 7, 0), Finish("stop")]


@pytest.mark.parametrize(
    "usage",
    [
        {"prompt_tokens": 10, "completion_tokens": 1, "prompt_tokens_details": {"cached_tokens": 8}},
        {"prompt_tokens": 10, "completion_tokens": 1, "prompt_token_details": {"cached_tokens": 8}},
        {"prompt_tokens": 10, "completion_tokens": 1, "num_cached_tokens": 8},
    ],
)
def test_cached_tokens_under_any_of_their_names(usage: dict[str, Any]) -> None:
    assert decode(chunk({}, "stop", usage=usage))[0] == Usage(10, 1, 11, 8)


def test_incremental_tool_call_fragments_merge_by_index() -> None:
    events = decode(
        chunk({"tool_calls": [{"id": "gSIMJiOkT", "type": "function", "index": 0,
                               "function": {"name": "weather", "arguments": ""}}]}),
        chunk({"tool_calls": [{"type": "function", "index": 0,
                               "function": {"name": "", "arguments": '{"location": '}}]}),
        chunk({"tool_calls": [{"type": "function", "index": 0,
                               "function": {"name": "", "arguments": '"SF"}'}}]}),
        chunk({"tool_calls": [{"id": "Xk3p9QwEr", "type": "function", "index": 1,
                               "function": {"name": "time", "arguments": "{}"}}]}),
        chunk({"content": ""}, "tool_calls"),
    )
    assert events[:4] == [
        ToolCallDelta(0, "gSIMJiOkT", "weather", ""),
        ToolCallDelta(0, "gSIMJiOkT", "weather", '{"location": '),
        ToolCallDelta(0, "gSIMJiOkT", "weather", '"SF"}'),
        ToolCallDelta(1, "Xk3p9QwEr", "time", "{}"),
    ]
    assert events[-1] == Finish("tool_calls", (
        ToolCall(0, "gSIMJiOkT", "weather", '{"location": "SF"}'),
        ToolCall(1, "Xk3p9QwEr", "time", "{}"),
    ))


def test_whole_tool_calls_without_index_and_with_object_arguments() -> None:
    events = decode(chunk(
        {"content": None, "tool_calls": [
            {"id": "gSIMJiOkT", "function": {"name": "weather", "arguments": {"location": "SF"}}},
            {"id": "Ab1Cd2Ef3", "function": {"name": "time", "arguments": "{}"}},
        ]},
        "tool_calls",
        usage={"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    ))
    finish = events[-1]
    assert isinstance(finish, Finish)
    assert finish.tool_calls == (ToolCall(0, "gSIMJiOkT", "weather", '{"location": "SF"}'),
                                 ToolCall(1, "Ab1Cd2Ef3", "time", "{}"))


def test_completions_text_choices() -> None:
    events = decode({"choices": [{"index": 0, "text": "def f():", "finish_reason": None}]},
                    {"choices": [{"index": 0, "text": "", "finish_reason": "length"}]})
    assert events == [TextDelta("def f():"), Finish("length")]


def test_finish_reason_error_is_a_stream_error() -> None:
    decoder = ChunkDecoder()
    decoder.feed(chunk({"content": "par"}, "error"))
    with pytest.raises(StreamError):
        decoder.finish()


@pytest.mark.parametrize("bad", [[1, 2], "text", {"choices": "nope"}])
def test_chunks_of_the_wrong_shape_are_stream_errors(bad: Any) -> None:
    with pytest.raises(StreamError):
        ChunkDecoder().feed(bad)


def test_an_error_object_mid_stream_is_a_stream_error_with_its_message() -> None:
    with pytest.raises(StreamError, match="overloaded"):
        ChunkDecoder().feed({"error": {"message": "overloaded", "type": "api_error"}})


def test_a_whole_completion_with_reasoning_content_list() -> None:
    body = {"id": "x", "object": "chat.completion", "model": "mistral-large-latest",
            "usage": {"prompt_tokens": 10, "completion_tokens": 3, "total_tokens": 13},
            "choices": [{"index": 0, "finish_reason": "stop", "message": {
                "role": "assistant", "tool_calls": None,
                "content": [{**think("1+2"), "closed": True}, {"type": "text", "text": "3"}]}}]}
    result = parse_completion(json.dumps(body).encode())
    assert (result.text, result.thinking, result.finish_reason) == ("3", "1+2", "stop")
    assert result.model == "mistral-large-latest"
    assert result.usage == Usage(10, 3, 13, 0)


def test_a_malformed_whole_completion() -> None:
    with pytest.raises(StreamError):
        parse_completion(b"<html>oops")


# -- SSE framing through a real httpx.Response ---------------------------------------------------


async def collect(raw: bytes, *, split: int = 7, content_type: str = "text/event-stream") -> list[StreamEvent]:
    async def body() -> AsyncIterator[bytes]:
        # Odd-sized pieces: lines, CRLFs and UTF-8 characters arrive split across reads.
        for i in range(0, len(raw), split):
            yield raw[i : i + split]

    response = httpx.Response(200, headers={"content-type": content_type}, content=body())
    return [event async for event in iter_events(response)]


def sse(*payloads: dict[str, Any] | str, newline: str = "\n") -> bytes:
    lines = []
    for payload in payloads:
        data = payload if isinstance(payload, str) else json.dumps(payload)
        lines.append(f"data: {data}{newline}{newline}")
    return "".join(lines).encode()


async def test_crlf_line_endings_and_comment_lines() -> None:
    raw = b": keep-alive\r\n\r\n" + sse(
        chunk({"role": "assistant", "content": ""}),
        chunk({"content": "Bonjour é"}),
        ": another comment",
        chunk({"content": " ça va"}, "stop"),
        "[DONE]",
        newline="\r\n",
    ).replace(b"data: : another comment", b": another comment")
    assert await collect(raw) == [TextDelta("Bonjour é"), TextDelta(" ça va"), Finish("stop")]


async def test_nothing_after_done_is_read() -> None:
    raw = sse(chunk({"content": "a"}, "stop"), "[DONE]", chunk({"content": "ignored"}))
    assert await collect(raw) == [TextDelta("a"), Finish("stop")]


async def test_a_clean_close_without_done_ends_the_stream() -> None:
    raw = sse(chunk({"content": "a"}), chunk({}, "stop"))
    assert await collect(raw) == [TextDelta("a"), Finish("stop")]


async def test_a_malformed_data_line_is_a_stream_error() -> None:
    raw = sse(chunk({"content": "a"})) + b'data: {"choices": [{"delta"\n\n'
    with pytest.raises(StreamError, match="malformed"):
        await collect(raw)


async def test_a_json_answer_to_a_stream_request_is_accepted() -> None:
    body = {"choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": "whole"}}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
    events = await collect(json.dumps(body).encode(), content_type="application/json")
    assert events == [TextDelta("whole"), Usage(1, 1, 2, 0), Finish("stop")]


async def test_an_unexpected_content_type_is_a_stream_error() -> None:
    with pytest.raises(StreamError, match="text/html"):
        await collect(b"<html></html>", content_type="text/html")
