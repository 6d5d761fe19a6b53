"""Decoding replies into events: SSE streams of chunks, and whole JSON completions.

httpx-sse does the framing (CRLF, `:` comments, multi-line data); this module reads the chunk
JSON, tolerating every variant in mistral-api.md §3 and §7: content as a string or a list of
chunks, thinking chunks, `reasoning` / `reasoning_content` (vLLM, Ollama), padding fields,
`choices: []` usage chunks, `choices[].text` (OpenAI `/completions`) and tool calls either whole
or in fragments merged by index.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from httpx_sse import EventSource

from mistral_lsp.mistral.errors import StreamError, extract_api_message
from mistral_lsp.mistral.events import (
    ChatResult,
    Finish,
    StreamEvent,
    TextDelta,
    ThinkingDelta,
    ToolCall,
    ToolCallDelta,
    Usage,
)


def _thinking_text(thinking: Any) -> str:
    if isinstance(thinking, str):
        return thinking
    if isinstance(thinking, list):
        return "".join(
            part["text"]
            for part in thinking
            if isinstance(part, Mapping) and isinstance(part.get("text"), str)
        )
    return ""


def content_events(content: Any) -> list[StreamEvent]:
    """Events for a `content` that is a string, null, or a list of text/thinking chunks."""
    if isinstance(content, str):
        return [TextDelta(content)] if content else []
    events: list[StreamEvent] = []
    if isinstance(content, list):
        for chunk in content:
            if not isinstance(chunk, Mapping):
                continue
            kind = chunk.get("type")
            if kind == "thinking":
                text = _thinking_text(chunk.get("thinking"))
                if text:
                    events.append(ThinkingDelta(text))
            elif kind in ("text", None) and isinstance(chunk.get("text"), str) and chunk["text"]:
                events.append(TextDelta(chunk["text"]))
    return events


@dataclass
class _PartialCall:
    index: int
    id: str | None = None
    name: str | None = None
    arguments: str = ""


class ChunkDecoder:
    """Turns the chunks of one stream into events, merging tool-call fragments by index."""

    def __init__(self) -> None:
        self._calls: dict[int, _PartialCall] = {}
        self.finish_reason: str | None = None
        self.model: str | None = None

    def feed(self, chunk: Any) -> list[StreamEvent]:
        checked = _checked_chunk(chunk)
        if isinstance(checked.get("model"), str):
            self.model = checked["model"]
        choices = checked.get("choices")
        if choices is None:
            choices = []
        if not isinstance(choices, list):
            raise StreamError("malformed chunk from the server ('choices' is not a list)", MALFORMED_HINT)
        events: list[StreamEvent] = []
        for choice in choices:
            # n > 1 is never requested; other indexes would interleave unrelated answers.
            if isinstance(choice, Mapping) and choice.get("index", 0) in (0, None):
                events.extend(self._choice_events(choice))
        if isinstance(checked.get("usage"), Mapping):
            events.append(Usage.from_json(checked["usage"]))
        return events

    def _choice_events(self, choice: Mapping[str, Any]) -> list[StreamEvent]:
        """A choice's events (a chat `delta` or `message`, or a completion's `text`); notes its finish reason."""
        events: list[StreamEvent] = []
        delta = choice.get("delta")
        if not isinstance(delta, Mapping):
            delta = choice.get("message")
        if isinstance(delta, Mapping):
            events.extend(self._delta_events(delta))
        if isinstance(choice.get("text"), str) and choice["text"]:
            events.append(TextDelta(choice["text"]))
        if isinstance(choice.get("finish_reason"), str):
            self.finish_reason = choice["finish_reason"]
        return events

    def _delta_events(self, delta: Mapping[str, Any]) -> list[StreamEvent]:
        events: list[StreamEvent] = []
        # vLLM renamed reasoning_content to reasoning and some versions send both: take one.
        for key in ("reasoning", "reasoning_content"):
            if isinstance(delta.get(key), str) and delta[key]:
                events.append(ThinkingDelta(delta[key]))
                break
        events.extend(content_events(delta.get("content")))
        tool_calls = delta.get("tool_calls")
        if isinstance(tool_calls, list):
            for position, raw in enumerate(tool_calls):
                if isinstance(raw, Mapping):
                    events.append(self._merge_call(position, raw))
        return events

    def _merge_call(self, position: int, raw: Mapping[str, Any]) -> ToolCallDelta:
        call_id = raw.get("id") if isinstance(raw.get("id"), str) and raw.get("id") else None
        index = self._call_index(raw.get("index"), call_id, position)
        call = self._calls.setdefault(index, _PartialCall(index))
        if call_id and not call.id:
            call.id = call_id
        function = raw.get("function")
        fragment = _merge_function(call, function) if isinstance(function, Mapping) else ""
        return ToolCallDelta(index, call.id, call.name, fragment)

    def _call_index(self, index: Any, call_id: str | None, position: int) -> int:
        """The index of the call a fragment belongs to: its own, else (whole calls, Mistral's
        default, come without one) the call with its id, else a new one."""
        if isinstance(index, int) and not isinstance(index, bool):
            return index
        known = [c.index for c in self._calls.values() if call_id and c.id == call_id]
        return known[0] if known else (max(self._calls) + 1 if self._calls else position)

    def tool_calls(self) -> tuple[ToolCall, ...]:
        return tuple(
            ToolCall(c.index, c.id, c.name, c.arguments)
            for c in sorted(self._calls.values(), key=lambda c: c.index)
        )

    def finish(self) -> Finish:
        if self.finish_reason == "error":
            raise StreamError("the model stopped with finish_reason 'error'", "try again")
        return Finish(self.finish_reason, self.tool_calls())


def _checked_chunk(chunk: Any) -> Mapping[str, Any]:
    """The chunk, if it is an object and not an error the server sent mid-stream."""
    if not isinstance(chunk, Mapping):
        raise StreamError(f"malformed chunk from the server (not an object: {str(chunk)[:60]})", MALFORMED_HINT)
    if "error" in chunk and "choices" not in chunk:
        said = extract_api_message(chunk) or "unknown error"
        raise StreamError(f"the server reported an error mid-stream: {said}")
    return chunk


def _merge_function(call: _PartialCall, function: Mapping[str, Any]) -> str:
    """Merge a fragment's `function` into `call` (the first name; arguments as text fragments,
    or whole as an object); returns the arguments' text it added."""
    name = function.get("name")
    if isinstance(name, str) and name and not call.name:
        call.name = name
    arguments = function.get("arguments")
    if isinstance(arguments, str):
        call.arguments += arguments
        return arguments
    if isinstance(arguments, Mapping):
        call.arguments = json.dumps(arguments)
        return call.arguments
    return ""


def collect(events: Iterable[StreamEvent], *, model: str | None = None) -> ChatResult:
    """Accumulates events into one result."""
    text: list[str] = []
    thinking: list[str] = []
    usage: Usage | None = None
    finish = Finish(None)
    for event in events:
        if isinstance(event, TextDelta):
            text.append(event.text)
        elif isinstance(event, ThinkingDelta):
            thinking.append(event.text)
        elif isinstance(event, Usage):
            usage = event
        elif isinstance(event, Finish):
            finish = event
    return ChatResult("".join(text), "".join(thinking), finish.tool_calls, usage, finish.reason,
                      model)


def parse_completion(body: bytes) -> ChatResult:
    """A non-streamed completion (`message` or `text` choices) as a result."""
    try:
        data = json.loads(body)
    except ValueError:
        raise StreamError(f"malformed reply from the server (not JSON: {body[:60]!r})", MALFORMED_HINT) from None
    decoder = ChunkDecoder()
    events = decoder.feed(data)
    events.append(decoder.finish())
    return collect(events, model=decoder.model)


MALFORMED_HINT = "try again; if it persists, check that mistral.baseUrl is a Mistral or OpenAI-compatible API"
CUT_OFF = "the answer was cut off before it finished (the stream ended without [DONE] or a finish_reason)"


async def iter_events(response: httpx.Response) -> AsyncGenerator[StreamEvent, None]:
    """Events of a 200 response, ending with `Finish`.

    A stream is complete only when it ends with `[DONE]` or after a chunk carrying a
    `finish_reason`. A proxy or load balancer cutting a response looks like a clean end of the
    body (close-delimited, or a chunked body whose terminator the proxy wrote itself): that is
    a `StreamError`, never a shorter answer.
    """
    content_type = response.headers.get("content-type", "")
    if "text/event-stream" not in content_type:
        if "json" not in content_type:
            raise StreamError(f"the server answered a stream request with {content_type!r}")
        # Some OpenAI-compatible servers ignore `stream` and answer with one JSON body.
        result = parse_completion(await response.aread())
        if result.thinking:
            yield ThinkingDelta(result.thinking)
        if result.text:
            yield TextDelta(result.text)
        if result.usage:
            yield result.usage
        yield Finish(result.finish_reason, result.tool_calls)
        return
    decoder = ChunkDecoder()
    done = False
    async for sse in EventSource(response).aiter_sse():
        data = sse.data.strip()
        if sse.event == "error":
            raise StreamError(f"the server reported an error mid-stream: {data[:200]}")
        if data == "[DONE]":
            done = True
            break
        if not data:
            continue
        try:
            chunk = json.loads(data)
        except ValueError:
            raise StreamError(f"malformed chunk from the server (not JSON: {data[:60]!r})", MALFORMED_HINT) from None
        for event in decoder.feed(chunk):
            yield event
    if not done and decoder.finish_reason is None:
        raise StreamError(CUT_OFF, "try again")
    yield decoder.finish()
