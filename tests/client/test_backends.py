"""Each backend gets only the keys it accepts, and replies in each server's dialect are read.

Mistral rejects unknown keys with 422 (the fake does too, so every Mistral-backend test in this
directory doubles as a check that no `seed`/`stream_options` is ever sent). OpenAI-compatible
servers (vLLM, Ollama) are scripted through `httpx.MockTransport` with their own chunk shapes.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from mistral_lsp.mistral import (
    BadRequestError,
    ChatRequest,
    FimRequest,
    Finish,
    MistralClient,
    StreamEvent,
    TextDelta,
    ThinkingDelta,
    ToolCall,
    ToolCallDelta,
    Usage,
)
from mistral_lsp.testing.fake_api import FakeMistralAPI

from .conftest import MakeClient

USER = [{"role": "user", "content": "hi"}]
FULL = ChatRequest(USER, "mistral-medium-3-5", temperature=0.1, max_tokens=64,
                   reasoning_effort="high", prediction="x = 1", prompt_cache_key="doc",
                   random_seed=3, tool_choice="any",
                   tools=[{"type": "function", "function": {"name": "f", "parameters": {}}}])


async def test_the_mistral_backend_sends_nothing_mistral_rejects(
    fake: FakeMistralAPI, client: MistralClient
) -> None:
    events = [e async for e in client.chat_stream(FULL)]
    assert isinstance(events[-1], Finish)
    sent = fake.requests[-1].json
    assert "seed" not in sent and "stream_options" not in sent
    assert sent["random_seed"] == 3
    assert sent["tool_choice"] == "any"


async def test_the_openai_body_would_be_rejected_by_mistral(
    fake: FakeMistralAPI, make_client: MakeClient
) -> None:
    client = make_client(backend="openai")
    with pytest.raises(BadRequestError) as caught:
        async for _ in client.chat_stream(FULL):
            pass
    assert "body.seed: Extra inputs are not permitted" in str(caught.value)
    assert "body.stream_options: Extra inputs are not permitted" in str(caught.value)
    assert caught.value.hint is not None and "mistral.backend" in caught.value.hint


def sse(*chunks: dict[str, Any]) -> bytes:
    return b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks) + \
        b"data: [DONE]\n\n"


class OpenAIServer:
    """A scripted OpenAI-style server; `/models` is missing, like on many llama.cpp builds."""

    def __init__(self, stream: bytes) -> None:
        self.stream = stream
        self.requests: list[httpx.Request] = []

    def transport(self) -> httpx.MockTransport:
        async def handle(request: httpx.Request) -> httpx.Response:
            self.requests.append(request)
            if request.url.path.endswith("/models"):
                return httpx.Response(404, json={"error": {"message": "not found"}})
            return httpx.Response(200, headers={"content-type": "text/event-stream"},
                                  content=self.stream)

        return httpx.MockTransport(handle)

    def body(self) -> Any:
        return json.loads(self.requests[-1].content)


def vllm_chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": "mistral-medium",
            "system_fingerprint": None,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish,
                         "stop_reason": None}]}


async def test_openai_backend_body_headers_and_vllm_stream() -> None:
    server = OpenAIServer(sse(
        vllm_chunk({"role": "assistant", "content": ""}),
        vllm_chunk({"reasoning": "Think."}),
        vllm_chunk({"content": "Answer"}),
        vllm_chunk({"tool_calls": [{"id": "call_1", "type": "function", "index": 0,
                                    "function": {"name": "f", "arguments": ""}}]}),
        vllm_chunk({"tool_calls": [{"index": 0, "function": {"arguments": "{}"}}]}),
        vllm_chunk({}, "tool_calls"),
        {"id": "chatcmpl-1", "object": "chat.completion.chunk", "choices": [],
         "usage": {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10}},
    ))
    async with MistralClient(base_url="http://localhost:8000/v1", api_key=None, backend="openai",
                             transport=server.transport()) as client:
        events: list[StreamEvent] = [e async for e in client.chat_stream(FULL)]
    assert events[:2] == [ThinkingDelta("Think."), TextDelta("Answer")]
    assert events[-2:] == [Usage(7, 3, 10, 0),
                           Finish("tool_calls", (ToolCall(0, "call_1", "f", "{}"),))]
    request = server.requests[-1]
    assert "authorization" not in request.headers
    assert request.headers["accept"] == "text/event-stream"
    assert server.body() == {
        "model": "mistral-medium-3-5", "messages": USER, "stream": True, "temperature": 0.1,
        "max_tokens": 64, "reasoning_effort": "high", "seed": 3, "tool_choice": "required",
        "stream_options": {"include_usage": True},
        "tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}],
    }


async def test_openai_backend_sends_the_key_when_there_is_one() -> None:
    server = OpenAIServer(sse(vllm_chunk({"content": "ok"}, "stop")))
    async with MistralClient(base_url="http://localhost:8000/v1", api_key="local-key",
                             backend="openai", transport=server.transport()) as client:
        events = [e async for e in client.chat_stream(ChatRequest(USER, "m"))]
    assert events[0] == TextDelta("ok")
    assert server.requests[-1].headers["authorization"] == "Bearer local-key"


async def test_ollama_stream_with_reasoning_and_whole_tool_calls() -> None:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {"id": "chatcmpl-9", "object": "chat.completion.chunk", "model": "qwen3",
                "system_fingerprint": "fp_ollama",
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    server = OpenAIServer(sse(
        chunk({"role": "assistant", "content": "", "reasoning": "Hmm"}),
        chunk({"role": "assistant", "content": "", "tool_calls": [
            {"id": "call_x", "index": 0, "type": "function",
             "function": {"name": "f", "arguments": '{"a":1}'}}]}, "tool_calls"),
    ))
    async with MistralClient(base_url="http://localhost:11434/v1", api_key="ollama",
                             backend="openai", transport=server.transport()) as client:
        events = [e async for e in client.chat_stream(ChatRequest(USER, "qwen3"))]
    assert events == [ThinkingDelta("Hmm"), ToolCallDelta(0, "call_x", "f", '{"a":1}'),
                      Finish("tool_calls", (ToolCall(0, "call_x", "f", '{"a":1}'),))]


async def test_openai_fim_uses_completions_with_suffix() -> None:
    server = OpenAIServer(sse(
        {"id": "cmpl-1", "object": "text_completion",
         "choices": [{"index": 0, "text": "a + b", "finish_reason": None}]},
        {"id": "cmpl-1", "object": "text_completion",
         "choices": [{"index": 0, "text": "", "finish_reason": "stop"}]},
    ))
    async with MistralClient(base_url="http://localhost:11434/v1", api_key=None,
                             backend="openai", transport=server.transport()) as client:
        events = [e async for e in client.fim_stream(
            FimRequest("qwen2.5-coder", "return ", "\n", random_seed=1))]
    assert events == [TextDelta("a + b"), Finish("stop")]
    assert server.requests[-1].url.path == "/v1/completions"
    assert server.body() == {"model": "qwen2.5-coder", "prompt": "return ", "suffix": "\n",
                             "stream": True, "seed": 1,
                             "stream_options": {"include_usage": True}}
