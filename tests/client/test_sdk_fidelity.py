"""The official `mistralai` SDK reads the fake's replies: proof the fake speaks the real format
(so passing client tests mean something)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from mistralai.client import Mistral
from mistralai.client.models import TextChunk, ThinkChunk

from mistral_lsp.testing.fake_api import FakeMistralAPI, Reply

from .conftest import API_KEY

USER = [{"role": "user", "content": "What is 1+2?"}]


@pytest.fixture
def sdk(fake: FakeMistralAPI) -> Iterator[Mistral]:
    with Mistral(api_key=API_KEY, server_url=fake.base_url.removesuffix("/v1")) as client:
        yield client


def test_sdk_reads_a_whole_reply_with_thinking(fake: FakeMistralAPI, sdk: Mistral) -> None:
    fake.enqueue(Reply(text="Three.", thinking="1+2 is 3.", usage={
        "prompt_tokens": 12, "completion_tokens": 4, "total_tokens": 16,
        "prompt_tokens_details": {"cached_tokens": 8}}))
    response = sdk.chat.complete(model="mistral-medium-3-5", messages=USER,
                                 reasoning_effort="high")
    choice = response.choices[0]
    assert choice.finish_reason == "stop"
    content = choice.message.content
    assert isinstance(content, list)
    think, text = content
    assert isinstance(think, ThinkChunk) and isinstance(text, TextChunk)
    assert [t.text for t in think.thinking if isinstance(t, TextChunk)] == ["1+2 is 3."]
    assert text.text == "Three."
    assert response.usage.total_tokens == 16
    assert response.model == "mistral-medium-3-5"


def test_sdk_reads_a_streamed_reply_with_thinking(fake: FakeMistralAPI, sdk: Mistral) -> None:
    fake.enqueue(Reply(text="Three, since one plus two is three.",
                       thinking="Add the numbers: one plus two."))
    thinking, text, finish, usage = "", "", None, None
    with sdk.chat.stream(model="mistral-medium-3-5", messages=USER,
                         reasoning_effort="high") as events:
        for event in events:
            chunk = event.data
            usage = chunk.usage or usage
            for choice in chunk.choices:
                finish = choice.finish_reason or finish
                content = choice.delta.content
                if isinstance(content, str):
                    text += content
                elif isinstance(content, list):
                    for part in content:
                        if isinstance(part, ThinkChunk):
                            thinking += "".join(t.text for t in part.thinking
                                                if isinstance(t, TextChunk))
                        elif isinstance(part, TextChunk):
                            text += part.text
    assert thinking == "Add the numbers: one plus two."
    assert text == "Three, since one plus two is three."
    assert finish == "stop"
    assert usage is not None and usage.completion_tokens > 0


def test_sdk_reads_tool_calls_whole_and_streamed(fake: FakeMistralAPI, sdk: Mistral) -> None:
    call = {"id": "gSIMJiOkT", "name": "rename", "arguments": {"old": "foo"}}
    tools = [{"type": "function", "function": {"name": "rename", "parameters": {}}}]
    fake.enqueue(Reply(text="", tool_calls=[call]))
    message = sdk.chat.complete(model="mistral-medium-3-5", messages=USER, tools=tools) \
        .choices[0].message
    assert message.tool_calls is not None
    assert message.tool_calls[0].function.name == "rename"
    assert message.tool_calls[0].function.arguments == '{"old": "foo"}'

    fake.enqueue(Reply(text="", tool_calls=[call], incremental_tool_calls=True))
    arguments = ""
    with sdk.chat.stream(model="mistral-medium-3-5", messages=USER, tools=tools) as events:
        for event in events:
            for choice in event.data.choices:
                for fragment in choice.delta.tool_calls or []:
                    assert isinstance(fragment.function.arguments, str)
                    arguments += fragment.function.arguments
    assert arguments == '{"old": "foo"}'


def test_sdk_reads_fim_and_models(fake: FakeMistralAPI, sdk: Mistral) -> None:
    fake.enqueue(Reply(text="a + b"))
    fim = sdk.fim.complete(model="codestral-latest", prompt="def add(a, b):\n    return ",
                           suffix="\n")
    assert fim.choices[0].message.content == "a + b"
    cards = {card.id: card for card in sdk.models.list().data or []}
    assert cards["mistral-medium-3-5"].aliases == ["mistral-medium-3", "mistral-medium-latest"]
    assert cards["codestral-2508"].capabilities.completion_fim is True
