"""What the fake Mistral API answers, without the server: scripted replies and their wire form.

Serves no LSP method: test and demo support, used by `fake_api.py` (the loopback server) and
importable without aiohttp. It holds everything about the bytes of an answer, so the server
module keeps only routing, recording and timing:

- `Reply`, one scripted reply (text, thinking, tool calls, error status, delays, faults);
- `Answer`, its wire form for one request: a whole completion, or the SSE chunks of a stream,
  shaped like the real API's (mistral-api.md);
- the error bodies: those mistral-api.md §6 documents, and `invalid_request`, the real API's
  answers to an invalid request (unknown keys, unknown model, bad role order);
- `DEFAULT_MODELS` and `model_card`, what `GET /v1/models` lists.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

DEFAULT_MODELS: list[dict[str, Any]] = [
    {"id": "mistral-medium-3-5", "aliases": ["mistral-medium-3", "mistral-medium-latest"],
     "max_context_length": 262144,
     "capabilities": {"completion_chat": True, "function_calling": True, "completion_fim": False,
                      "reasoning": True, "vision": True}},
    {"id": "codestral-2508", "aliases": ["codestral-latest"], "max_context_length": 131072,
     "capabilities": {"completion_chat": True, "function_calling": True, "completion_fim": True}},
    {"id": "devstral-2512", "aliases": ["devstral-latest", "devstral-medium-latest"],
     "max_context_length": 262144,
     "capabilities": {"completion_chat": True, "function_calling": True, "completion_fim": False}},
    {"id": "mistral-small-2506", "aliases": ["mistral-small-latest"], "max_context_length": 131072,
     "capabilities": {"completion_chat": True, "function_calling": True, "completion_fim": False}},
]

# mistral-api.md §1 and §4: the schemas have additionalProperties:false.
CHAT_FIELDS = frozenset({
    "model", "messages", "temperature", "top_p", "max_tokens", "stream", "stop", "random_seed",
    "response_format", "tools", "tool_choice", "parallel_tool_calls", "presence_penalty",
    "frequency_penalty", "n", "prediction", "prompt_mode", "reasoning_effort", "safe_prompt",
    "metadata", "prompt_cache_key", "guardrails",
})
FIM_FIELDS = frozenset({
    "model", "prompt", "suffix", "temperature", "top_p", "max_tokens", "min_tokens", "stream",
    "stop", "random_seed", "metadata", "prompt_cache_key",
})
# OpenAI's legacy `/v1/completions` as Ollama and llama.cpp serve it (mistral-api.md §7): they
# ignore unknown keys, so the fake accepts what an OpenAI-style FIM request may carry.
TEXT_COMPLETION_FIELDS = FIM_FIELDS | {"seed", "stream_options", "echo", "n", "logprobs"}


def api_error(message: Any, kind: str, code: str | None = None) -> dict[str, Any]:
    return {"object": "error", "message": message, "type": kind, "param": None, "code": code}


# The bodies mistral-api.md §6 documents (or, where none was captured, a plausible one).
ERROR_BODIES: dict[int, Any] = {
    400: api_error("Invalid request", "invalid_request_error"),
    401: {"detail": "Unauthorized"},
    403: {"detail": "Forbidden"},
    404: {"detail": "Not Found"},
    422: api_error({"detail": [{"type": "extra_forbidden", "loc": ["body", "seed"],
                                 "msg": "Extra inputs are not permitted", "input": 0}]},
                    "invalid_request_error"),
    429: api_error("Rate limit exceeded", "rate_limited", "1300"),
}


# How a cut reply ends, as a client sees it:
#   "abort"   the connection closes inside a chunked body (no terminating chunk): a read error;
#   "chunked" the chunked body ends properly (as a proxy ending a response would), no [DONE];
#   "close"   an HTTP/1.1 body delimited by closing the connection (no Content-Length, not
#             chunked): a cut looks exactly like a clean end;
#   "reset"   a TCP reset (RST), as a proxy or load balancer dropping the connection sends.
# A "close" reply without `cut_after_chunks` sends the whole answer, [DONE] included.
CUT_STYLES = ("abort", "chunked", "close", "reset")


@dataclass
class Reply:
    """One scripted reply.

    `status` >= 400 answers with `body` (default: the documented body for that status).
    Stream-only: `chunks` (default: `text` split in four), `delay_per_chunk`, `cut_after_chunks`
    (end the reply after that many thinking/text deltas, without the final chunk or [DONE]; 0
    cuts right after the role chunk) in the way `cut_style` says (see `CUT_STYLES`), `malformed_at` (the delta at that 0-based index
    is replaced by a non-JSON data line), `incremental_tool_calls` (each call streamed in pieces:
    its id and name, then its arguments in three fragments) and `interleaved_tool_calls`, `hold_after_chunks` (the stream pauses after that many text deltas
    until `FakeMistralAPI.release()`, so a test can look at a run mid-stream without racing its
    end). `thinking` is sent only when
    the request asks `reasoning_effort: "high"`, as a real reasoning model would.
    """

    text: str = "Hello from the fake Mistral API."
    thinking: str | None = None
    chunks: list[str] | None = None
    tool_calls: list[dict[str, Any]] | None = None  # [{"name", "arguments": str|dict, "id"?}]
    incremental_tool_calls: bool = False
    # With incremental_tool_calls: the fragments of parallel calls alternate (call 0, call 1,
    # call 0…), as OpenAI-style servers may stream them; else each call is whole before the next.
    interleaved_tool_calls: bool = False
    usage: dict[str, Any] | None = None
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    retry_after: float | str | None = None
    delay_before_first_byte: float = 0.0
    delay_per_chunk: float = 0.0
    hold_after_chunks: int | None = None
    cut_after_chunks: int | None = None
    cut_style: str = "abort"
    malformed_at: int | None = None
    finish_reason: str | None = None
    model: str | None = None
    hold_before_finish: str | None = None
    """Stream-only: the last chunk (the one with `finish_reason`) waits until
    `FakeMistralAPI.release(hold_before_finish)` (at most 30 s), so a test can observe what the
    client does while the stream is still open."""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Reply:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown Reply fields: {sorted(unknown)}")
        if data.get("cut_style", "abort") not in CUT_STYLES:
            raise ValueError(f"cut_style must be one of {CUT_STYLES}")
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def response_headers(self) -> dict[str, str]:
        """A fresh correlation id, as the real API sends one, then `headers` and `retry_after`."""
        headers = {"mistral-correlation-id": uuid.uuid4().hex, **self.headers}
        if self.retry_after is not None:
            headers["Retry-After"] = str(self.retry_after)
        return headers

    def error_body(self) -> Any:
        """What a reply with an error `status` sends: `body`, else the documented body."""
        if self.body is not None:
            return self.body
        return ERROR_BODIES.get(self.status, api_error("Service unavailable", "api_error"))

    def text_pieces(self) -> list[str]:
        if self.chunks is not None:
            return list(self.chunks)
        return _split(self.text)


def _split(text: str, pieces: int = 4) -> list[str]:
    if not text:
        return []
    size = max(1, -(-len(text) // pieces))
    return [text[i : i + size] for i in range(0, len(text), size)]


def model_card(card: Mapping[str, Any]) -> dict[str, Any]:
    return {"object": "model", "created": 1767094366, "owned_by": "mistralai", "aliases": [],
            "name": card["id"], "description": "", "deprecation": None,
            "deprecation_replacement_model": None, "default_model_temperature": 0.3,
            "type": "base", **card}


def invalid_request(
    body: Any, allowed: frozenset[str], required: tuple[str, ...], known_models: set[str]
) -> tuple[int, Any] | None:
    """The status and body the real API answers an invalid completion request with, or None."""
    if not isinstance(body, dict):
        detail = [{"type": "model_attributes_type", "loc": ["body"],
                   "msg": "Input should be a valid dictionary", "input": body}]
        return 422, {"detail": detail}
    problems = [{"type": "extra_forbidden", "loc": ["body", key],
                 "msg": "Extra inputs are not permitted", "input": body[key]}
                for key in body if key not in allowed]
    problems += [{"type": "missing", "loc": ["body", key], "msg": "Field required",
                  "input": None} for key in required if key not in body]
    effort = body.get("reasoning_effort")
    if effort is not None and effort not in ("none", "high"):
        problems.append({"type": "enum", "loc": ["body", "reasoning_effort"],
                         "msg": "Input should be 'none' or 'high'", "input": effort})
    if problems:
        return 422, api_error({"detail": problems}, "invalid_request_error")
    if body["model"] not in known_models:
        return 400, api_error(f"Invalid model: {body['model']}", "invalid_model", "1500")
    if "messages" in body:
        message = _role_order_error(body["messages"])
        if message:
            return 400, api_error(message, "invalid_request_message_order", "3230")
    return None


def _role_order_error(messages: Any) -> str | None:
    """The real API's message for a conversation whose roles it does not serve, or None."""
    if not isinstance(messages, list) or not messages:
        return "Conversation must have at least one message"
    roles = [m.get("role") if isinstance(m, dict) else None for m in messages]
    if ("tool", "user") in itertools.pairwise(roles):
        return "Unexpected role 'user' after role 'tool'"
    if any(_is_empty_assistant(message) for message in messages):
        return "Assistant message must have either content or tool_calls, but not none."
    last = messages[-1] if isinstance(messages[-1], dict) else {}
    if last.get("role") == "assistant" and not last.get("prefix"):
        return ("Expected last role User or Tool (or Assistant with prefix True) for serving "
                "but got assistant")
    return None


def _is_empty_assistant(message: Any) -> bool:
    """An assistant message with no content, no tool calls and no prefix."""
    return isinstance(message, dict) and message.get("role") == "assistant" and not (
        message.get("content") or message.get("tool_calls") or message.get("prefix")
    )


class Answer:
    """The wire form of one reply for one request: chunks for a stream, or a whole completion."""

    def __init__(self, reply: Reply, body: dict[str, Any], *, text_completion: bool = False) -> None:
        self.reply = reply
        self.id = uuid.uuid4().hex
        self.model = reply.model or str(body.get("model"))
        self.object = "text_completion" if text_completion else "chat.completion"
        # `/v1/completions` answers `choices[].text`, not a message or a delta.
        self.text_completion = text_completion
        # Like the real API, generation ends at a `stop` string, which is not returned.
        self.pieces = _until_stop(reply.text_pieces(), body.get("stop"))
        self.thinks = bool(reply.thinking) and body.get("reasoning_effort") == "high"
        self.calls: list[dict[str, Any]] = []
        for index, call in enumerate(reply.tool_calls or []):
            arguments = call.get("arguments", "{}")
            function = {"name": call["name"],
                        "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments)}
            self.calls.append({"id": call.get("id") or uuid.uuid4().hex[:9], "type": "function",
                               "index": index, "function": function})
        self.finish_reason = reply.finish_reason or ("tool_calls" if self.calls else "stop")
        prompt_chars = len(json.dumps(body.get("messages", body.get("prompt", ""))))
        completion_chars = len(reply.text) + len(reply.thinking or "") if self.thinks \
            else len(reply.text)
        prompt, completion = max(1, prompt_chars // 4), max(1, completion_chars // 4)
        self.usage = reply.usage or {
            "prompt_tokens": prompt, "completion_tokens": completion,
            "total_tokens": prompt + completion, "prompt_tokens_details": {"cached_tokens": 0},
        }

    def completion(self) -> dict[str, Any]:
        text = "".join(self.pieces)
        if self.text_completion:
            return {"id": self.id, "object": self.object, "created": int(time.time()),
                    "model": self.model, "usage": self.usage,
                    "choices": [{"index": 0, "text": text, "finish_reason": self.finish_reason}]}
        content: Any = text
        if self.thinks:
            content = [_think(self.reply.thinking or ""), {"type": "text", "text": text}]
        message = {"role": "assistant", "content": content, "tool_calls": self.calls or None,
                   "prefix": False}
        return {"id": self.id, "object": self.object, "created": int(time.time()),
                "model": self.model, "usage": self.usage,
                "choices": [{"index": 0, "message": message, "finish_reason": self.finish_reason}]}

    def _tool_call_fragments(self) -> list[dict[str, Any]]:
        per_call = [_pieces_of_call(call) for call in self.calls]
        if not self.reply.interleaved_tool_calls:
            return [fragment for pieces in per_call for fragment in pieces]
        rounds = itertools.zip_longest(*per_call)
        return [fragment for row in rounds for fragment in row if fragment is not None]

    def _chunk(self, delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
        if self.text_completion:
            text = delta.get("content")
            return {"id": self.id, "object": self.object, "created": int(time.time()),
                    "model": self.model,
                    "choices": [{"index": 0, "text": text if isinstance(text, str) else "",
                                 "finish_reason": finish}], **extra}
        return {"id": self.id, "object": "chat.completion.chunk", "created": int(time.time()),
                "model": self.model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}

    def sse_events(self) -> Iterator[tuple[bytes, bool]]:
        """`chunks()` as SSE `data:` events, (bytes, carries thinking/text); the thinking/text
        delta at the reply's `malformed_at` is replaced by a line that is not JSON."""
        deltas = 0
        for payload, carries_content in self.chunks():
            if carries_content and deltas == self.reply.malformed_at:
                yield b'data: {"id": "broken", "choices": [{"delta": {"content": "oops\n\n', True
            else:
                yield b"data: " + json.dumps(payload).encode() + b"\n\n", carries_content
            deltas += carries_content

    def chunks(self) -> Iterator[tuple[dict[str, Any], bool]]:
        """(payload, carries thinking/text) in order, as the real API streams them."""
        yield self._chunk({"role": "assistant", "content": ""}), False
        texts = list(self.pieces)
        thoughts = _split(self.reply.thinking or "") if self.thinks else []
        for thought in thoughts[:-1]:
            yield self._chunk({"content": [_think(thought, closed=False)]}), True
        if thoughts:
            # The transition chunk: the last thought and the first text together.
            first = [{"type": "text", "text": texts.pop(0)}] if texts else []
            yield self._chunk({"content": [_think(thoughts[-1]), *first]}), True
        for text in texts:
            yield self._chunk({"content": text}), True
        if self.calls and self.reply.incremental_tool_calls:
            for fragment in self._tool_call_fragments():
                yield self._chunk({"tool_calls": [fragment]}), False
            yield self._chunk({"content": ""}, self.finish_reason, usage=self.usage), False
        elif self.calls:
            whole = [{k: v for k, v in call.items() if k in ("id", "function")} for call in self.calls]
            yield self._chunk({"content": None, "tool_calls": whole}, self.finish_reason,
                              usage=self.usage), False
        else:
            yield self._chunk({"content": ""}, self.finish_reason, usage=self.usage), False


def _pieces_of_call(call: dict[str, Any]) -> list[dict[str, Any]]:
    """One call as the incremental stream sends it: {id, type, function:{name, arguments:""},
    index} first, then {type, function:{name:"", arguments:piece}, index} fragments."""
    name, arguments = call["function"]["name"], call["function"]["arguments"]
    head = {**call, "function": {"name": name, "arguments": ""}}
    return [head, *({"type": "function", "index": call["index"], "function": {"name": "", "arguments": piece}}
                    for piece in _split(arguments, 3))]


def _until_stop(pieces: list[str], stop: Any) -> list[str]:
    """`pieces` cut before the first `stop` string (a string or a list of them)."""
    stops = [stop] if isinstance(stop, str) else [s for s in stop or [] if isinstance(s, str) and s]
    text = "".join(pieces)
    cut = min((i for i in (text.find(s) for s in stops) if i >= 0), default=-1)
    if cut < 0:
        return list(pieces)
    kept: list[str] = []
    used = 0
    for piece in pieces:
        if used + len(piece) >= cut:
            if cut > used:
                kept.append(piece[: cut - used])
            break
        kept.append(piece)
        used += len(piece)
    return kept


def _think(text: str, *, closed: bool = True) -> dict[str, Any]:
    return {"type": "thinking", "thinking": [{"type": "text", "text": text}], "closed": closed}
