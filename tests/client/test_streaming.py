"""The client against the loopback fake: what a caller receives, and what goes on the wire."""

from __future__ import annotations

import pytest

from mistral_lsp.mistral import (
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
from mistral_lsp.testing.fake_api import FakeMistralAPI, Reply

from .conftest import API_KEY

USER = [{"role": "user", "content": "Explain this function."}]


async def stream(client: MistralClient, request: ChatRequest) -> list[StreamEvent]:
    return [event async for event in client.chat_stream(request)]


def text_of(events: list[StreamEvent]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


def thinking_of(events: list[StreamEvent]) -> str:
    return "".join(e.text for e in events if isinstance(e, ThinkingDelta))


async def test_a_streamed_answer_arrives_in_pieces_then_usage_then_finish(
    fake: FakeMistralAPI, client: MistralClient
) -> None:
    fake.enqueue(Reply(text="It adds two numbers.", chunks=["It adds", " two", " numbers."],
                       usage={"prompt_tokens": 30, "completion_tokens": 5, "total_tokens": 35,
                              "prompt_tokens_details": {"cached_tokens": 24}}))
    events = await stream(client, ChatRequest(USER, "mistral-medium-3.5"))
    assert events == [TextDelta("It adds"), TextDelta(" two"), TextDelta(" numbers."),
                      Usage(30, 5, 35, 24), Finish("stop")]
    chat = fake.requests[-1]
    assert chat.path == "/v1/chat/completions"
    assert chat.headers["Authorization"] == f"Bearer {API_KEY}"
    assert chat.headers["Accept"] == "text/event-stream"
    # The dotted marketing name was resolved against GET /v1/models.
    assert chat.json["model"] == "mistral-medium-3-5"
    assert chat.json["stream"] is True


async def test_thinking_streams_separately_from_the_answer(
    fake: FakeMistralAPI, client: MistralClient
) -> None:
    fake.enqueue(Reply(text="Use a set.", thinking="Membership tests on a list are O(n)."))
    events = await stream(client, ChatRequest(USER, "mistral-medium-3-5", reasoning_effort="high"))
    assert thinking_of(events) == "Membership tests on a list are O(n)."
    assert text_of(events) == "Use a set."
    first_text = next(i for i, e in enumerate(events) if isinstance(e, TextDelta))
    assert all(not isinstance(e, ThinkingDelta) for e in events[first_text:])


async def test_no_thinking_without_reasoning_effort_high(
    fake: FakeMistralAPI, client: MistralClient
) -> None:
    fake.enqueue(Reply(text="Use a set.", thinking="hidden"))
    events = await stream(client, ChatRequest(USER, "mistral-medium-3-5", reasoning_effort="none"))
    assert thinking_of(events) == ""
    assert fake.requests[-1].json["reasoning_effort"] == "none"


@pytest.mark.parametrize("incremental", [False, True])
async def test_tool_calls_are_merged_by_the_end(
    fake: FakeMistralAPI, client: MistralClient, incremental: bool
) -> None:
    fake.enqueue(Reply(text="", incremental_tool_calls=incremental, tool_calls=[
        {"id": "gSIMJiOkT", "name": "rename", "arguments": {"old": "foo", "new": "bar"}},
        {"id": "Xk3p9QwEr", "name": "format", "arguments": "{}"},
    ]))
    tools = [{"type": "function", "function": {"name": "rename", "parameters": {}}}]
    events = await stream(client, ChatRequest(USER, "mistral-medium-3-5", tools=tools,
                                              tool_choice="any"))
    assert events[-1] == Finish("tool_calls", (
        ToolCall(0, "gSIMJiOkT", "rename", '{"old": "foo", "new": "bar"}'),
        ToolCall(1, "Xk3p9QwEr", "format", "{}"),
    ))
    deltas = [e for e in events if isinstance(e, ToolCallDelta)]
    assert {d.name for d in deltas} == {"rename", "format"}
    assert fake.requests[-1].json["tool_choice"] == "any"


async def test_chat_returns_the_whole_answer(fake: FakeMistralAPI, client: MistralClient) -> None:
    fake.enqueue(Reply(text="Three.", thinking="1+2", usage={
        "prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11, "num_cached_tokens": 4}))
    result = await client.chat(ChatRequest(USER, "mistral-medium-latest", reasoning_effort="high"))
    assert (result.text, result.thinking, result.finish_reason) == ("Three.", "1+2", "stop")
    assert result.usage == Usage(9, 2, 11, 4)
    assert result.model == "mistral-medium-latest"
    assert result.tool_calls == ()
    assert fake.requests[-1].headers["Accept"] == "application/json"
    assert fake.requests[-1].json["stream"] is False


async def test_fill_in_the_middle(fake: FakeMistralAPI, client: MistralClient) -> None:
    fake.enqueue(Reply(text="a + b", chunks=["a", " + b"]))
    request = FimRequest("codestral-latest", "def add(a, b):\n    return ", "\n", max_tokens=16)
    events = [e async for e in client.fim_stream(request)]
    assert text_of(events) == "a + b"
    sent = fake.requests[-1]
    assert sent.path == "/v1/fim/completions"
    assert sent.json == {"model": "codestral-latest", "prompt": "def add(a, b):\n    return ",
                         "suffix": "\n", "stream": True, "max_tokens": 16}


async def test_models_lists_the_servers_cards(client: MistralClient) -> None:
    cards = {card.id: card for card in await client.models()}
    medium = cards["mistral-medium-3-5"]
    assert medium.aliases == ("mistral-medium-3", "mistral-medium-latest")
    assert medium.max_context_length == 262144
    assert medium.capabilities["reasoning"] is True
    assert cards["codestral-2508"].capabilities["completion_fim"] is True


async def test_every_chat_field_reaches_mistral_under_its_own_name(
    fake: FakeMistralAPI, client: MistralClient
) -> None:
    request = ChatRequest(
        USER, "mistral-medium-3-5", temperature=0.2, max_tokens=512, reasoning_effort="high",
        response_format={"type": "json_object"}, prediction="def f(): pass",
        prompt_cache_key="doc-1", random_seed=7, tools=[{"type": "function", "function": {
            "name": "f", "parameters": {}}}], tool_choice="auto", stop=["```"],
    )
    events = await stream(client, request)
    assert isinstance(events[-1], Finish)  # the fake's allowlist accepted every key
    assert fake.requests[-1].json == {
        "model": "mistral-medium-3-5", "messages": USER, "stream": True, "temperature": 0.2,
        "max_tokens": 512, "reasoning_effort": "high", "response_format": {"type": "json_object"},
        "prediction": {"type": "content", "content": "def f(): pass"},
        "prompt_cache_key": "doc-1", "random_seed": 7,
        "tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}],
        "tool_choice": "auto", "stop": ["```"],
    }


async def test_unset_fields_are_not_sent(fake: FakeMistralAPI, client: MistralClient) -> None:
    await stream(client, ChatRequest(USER, "mistral-medium-3-5"))
    assert fake.requests[-1].json == {"model": "mistral-medium-3-5", "messages": USER,
                                      "stream": True}


async def test_one_connection_serves_many_calls(fake: FakeMistralAPI, client: MistralClient) -> None:
    for _ in range(3):
        await client.chat(ChatRequest(USER, "mistral-medium-3-5"))
    assert len(fake.requests) == 4  # GET /models, then three chats
    assert len({r.peer for r in fake.requests}) == 1
