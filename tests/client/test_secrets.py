"""The API key never appears in a log line, an error message, a traceback or a repr."""

from __future__ import annotations

import logging
import socket
import traceback

import pytest

from mistral_lsp.mistral import ChatRequest, MistralClient, MistralError
from mistral_lsp.testing.fake_api import FakeMistralAPI, Reply

from .conftest import API_KEY, MakeClient

REQUEST = ChatRequest([{"role": "user", "content": "hi"}], "mistral-medium-3.5")


def leaks(text: str) -> bool:
    return API_KEY in text or API_KEY[-16:] in text


async def drain(client: MistralClient, request: ChatRequest = REQUEST) -> None:
    async for _ in client.chat_stream(request):
        pass


async def test_no_log_record_or_error_contains_the_key(
    fake: FakeMistralAPI, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = make_client(max_retries=1)
    errors: list[BaseException] = []

    async def expect_failure(request: ChatRequest = REQUEST, on: MistralClient = client) -> None:
        with pytest.raises(MistralError) as caught:
            await drain(on, request)
        errors.append(caught.value)

    fake.enqueue(Reply(status=429, retry_after=0), Reply(text="fine"))
    await drain(client)
    assert (await client.chat(REQUEST)).text  # a default reply
    # Servers that echo the key back in their error bodies.
    fake.enqueue(Reply(status=400, body={"message": f"Invalid API key: {API_KEY}"}))
    await expect_failure()
    fake.enqueue(Reply(status=500, body=f"upstream rejected Authorization: Bearer {API_KEY}"))
    fake.enqueue(Reply(status=500, body=f"upstream rejected Authorization: Bearer {API_KEY}"))
    await expect_failure()
    fake.enqueue(Reply(status=401, body={"detail": f"key {API_KEY} revoked"}))
    await expect_failure()
    fake.enqueue(Reply(chunks=["a", "b"], cut_after_chunks=1))
    await expect_failure()
    fake.enqueue(Reply(chunks=["a", "b"], malformed_at=1))
    await expect_failure()
    await expect_failure(ChatRequest(REQUEST.messages, "no-such-model"))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    await expect_failure(on=make_client(base_url=f"http://127.0.0.1:{closed_port}/v1",
                                        max_retries=0))
    await expect_failure(on=make_client(api_key=API_KEY + "-wrong"))

    assert len(errors) == 8
    for error in errors:
        rendered = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        for text in (str(error), repr(error), rendered):
            assert not leaks(text), text
    assert caplog.records, "the run logged nothing at DEBUG: the test would prove nothing"
    for record in caplog.records:
        assert not leaks(record.getMessage()), record.getMessage()
        if record.exc_info:
            assert not leaks("".join(traceback.format_exception(*record.exc_info)))
    assert not leaks(caplog.text)
    assert not leaks(repr(client))
    assert "api_key=set" in repr(client)
