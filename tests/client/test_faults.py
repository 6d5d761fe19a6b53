"""Every fault the client must survive or explain: statuses, retries, timeouts, cut streams."""

from __future__ import annotations

import socket
import time

import pytest

from mistral_lsp.mistral import (
    AuthError,
    BadRequestError,
    ChatRequest,
    ConfigurationError,
    ContextTooLongError,
    MistralClient,
    MistralError,
    RateLimitError,
    ServerError,
    StreamError,
    StreamEvent,
    TextDelta,
    TransportError,
)
from mistral_lsp.testing.fake_api import FakeMistralAPI, Reply

from .conftest import MakeClient

REQUEST = ChatRequest([{"role": "user", "content": "Fix this."}], "mistral-medium-3-5")


async def run(client: MistralClient, received: list[StreamEvent] | None = None) -> str:
    """The streamed text; events are also appended to `received` as they arrive."""
    text = ""
    async for event in client.chat_stream(REQUEST):
        if received is not None:
            received.append(event)
        if isinstance(event, TextDelta):
            text += event.text
    return text


def chat_requests(fake: FakeMistralAPI) -> int:
    return sum(r.path == "/v1/chat/completions" for r in fake.requests)


async def test_429_with_retry_after_waits_that_long_then_succeeds(
    fake: FakeMistralAPI, client: MistralClient, sleeps: list[float]
) -> None:
    fake.enqueue(Reply(status=429, retry_after=2), Reply(text="fixed"))
    assert await run(client) == "fixed"
    assert sleeps == [2.0]
    assert chat_requests(fake) == 2


async def test_429_without_retry_after_backs_off(
    fake: FakeMistralAPI, client: MistralClient, sleeps: list[float]
) -> None:
    fake.enqueue(Reply(status=429), Reply(status=429), Reply(text="fixed"))
    assert await run(client) == "fixed"
    assert sleeps == [0.5, 1.0]


async def test_429_until_retries_run_out_is_a_rate_limit_error(
    fake: FakeMistralAPI, make_client: MakeClient, sleeps: list[float]
) -> None:
    client = make_client(max_retries=2)
    fake.enqueue(*[Reply(status=429, retry_after=1)] * 3)
    with pytest.raises(RateLimitError) as caught:
        await run(client)
    assert caught.value.retry_after == 1.0
    assert "Rate limit exceeded" in str(caught.value)
    assert sleeps == [1.0, 1.0]
    assert chat_requests(fake) == 3


async def test_a_retry_after_beyond_the_deadline_fails_at_once(
    fake: FakeMistralAPI, client: MistralClient, sleeps: list[float]
) -> None:
    fake.enqueue(Reply(status=429, retry_after=60))
    with pytest.raises(RateLimitError):
        await run(client)
    assert sleeps == []


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_server_errors_are_retried(
    fake: FakeMistralAPI, client: MistralClient, sleeps: list[float], status: int
) -> None:
    fake.enqueue(Reply(status=status), Reply(text="fixed"))
    assert await run(client) == "fixed"
    assert sleeps == [0.5]


async def test_server_errors_until_retries_run_out(
    fake: FakeMistralAPI, make_client: MakeClient
) -> None:
    client = make_client(max_retries=1)
    fake.enqueue(Reply(status=503), Reply(status=503))
    with pytest.raises(ServerError, match="HTTP 503"):
        await run(client)
    assert chat_requests(fake) == 2


async def test_a_wrong_key_is_an_auth_error_that_says_how_to_fix_it(
    fake: FakeMistralAPI, make_client: MakeClient, sleeps: list[float]
) -> None:
    client = make_client(api_key="sk-wrong")
    with pytest.raises(AuthError) as caught:
        await run(client)
    assert caught.value.hint == "set MISTRAL_API_KEY or mistral.apiKey"
    assert "HTTP 401" in str(caught.value)
    assert len(fake.requests) == 1 and sleeps == []


async def test_a_401_on_chat_is_not_retried(
    fake: FakeMistralAPI, client: MistralClient, sleeps: list[float]
) -> None:
    fake.enqueue(Reply(status=401))
    with pytest.raises(AuthError):
        await run(client)
    assert chat_requests(fake) == 1 and sleeps == []


async def test_no_key_fails_before_any_request(
    fake: FakeMistralAPI, make_client: MakeClient
) -> None:
    with pytest.raises(ConfigurationError, match="no API key: set MISTRAL_API_KEY"):
        await run(make_client(api_key=None))
    with pytest.raises(ConfigurationError):
        await make_client(api_key="").chat(REQUEST)
    assert fake.requests == []


async def test_context_too_long_is_not_retried(fake: FakeMistralAPI, client: MistralClient) -> None:
    fake.enqueue(Reply(status=400, body={
        "object": "error", "type": "invalid_request_error", "param": None, "code": None,
        "message": "Prompt contains 300000 tokens, too large for model with 262144 maximum "
                   "context length"}))
    with pytest.raises(ContextTooLongError, match="300000 tokens"):
        await run(client)
    assert chat_requests(fake) == 1


async def test_a_422_is_reported_with_the_apis_words(fake: FakeMistralAPI, client: MistralClient) -> None:
    fake.enqueue(Reply(status=422))
    with pytest.raises(BadRequestError, match=r"body\.seed: Extra inputs are not permitted"):
        await run(client)


async def test_connection_refused_names_the_url(make_client: MakeClient, sleeps: list[float]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base_url = f"http://127.0.0.1:{port}/v1"
    client = make_client(base_url=base_url, max_retries=2)
    with pytest.raises(TransportError) as caught:
        await run(client)
    assert base_url in str(caught.value)
    assert caught.value.base_url == base_url
    assert caught.value.hint is not None and "mistral.baseUrl" in caught.value.hint
    assert len(sleeps) == 2  # connect errors are retried


@pytest.mark.parametrize("base_url", ["localhost:8000/v1", "api.mistral.ai", "http://[::1"])
def test_a_malformed_base_url_is_a_configuration_error(base_url: str) -> None:
    with pytest.raises(ConfigurationError, match=r"mistral\.baseUrl") as caught:
        MistralClient(base_url=base_url, api_key="sk-" + "x" * 32)
    assert repr(base_url) in str(caught.value)


async def test_a_slow_first_byte_within_the_deadline_is_waited_for(
    fake: FakeMistralAPI, make_client: MakeClient
) -> None:
    client = make_client(timeout_seconds=5)
    await client.resolve_model(REQUEST.model)
    fake.enqueue(Reply(text="late", delay_before_first_byte=0.3))
    started = time.monotonic()
    assert await run(client) == "late"
    assert time.monotonic() - started >= 0.3


async def test_no_first_byte_before_the_deadline_is_a_transport_error(
    fake: FakeMistralAPI, make_client: MakeClient
) -> None:
    client = make_client(timeout_seconds=0.3)
    await client.resolve_model(REQUEST.model)
    fake.enqueue(Reply(text="too late", delay_before_first_byte=60))
    with pytest.raises(TransportError, match=r"no answer from .* within 0\.3 s"):
        await run(client)
    # The client hung up while the server still waited to send its first byte (order, not time).
    disconnect = await fake.wait_for_disconnect_async(timeout=20)
    assert disconnect.chunks_sent == 0


async def test_a_stream_cut_after_text_is_a_stream_error_and_not_retried(
    fake: FakeMistralAPI, client: MistralClient, sleeps: list[float]
) -> None:
    fake.enqueue(Reply(chunks=["def f", "(x):", " return x"], cut_after_chunks=2),
                 Reply(text="must not be requested"))
    received: list[StreamEvent] = []
    with pytest.raises(StreamError, match="cut mid-answer"):
        await run(client, received)
    assert received == [TextDelta("def f"), TextDelta("(x):")]
    assert chat_requests(fake) == 1 and sleeps == []


async def test_a_stream_cut_before_any_text_is_retried(
    fake: FakeMistralAPI, client: MistralClient, sleeps: list[float]
) -> None:
    fake.enqueue(Reply(text="lost", cut_after_chunks=0), Reply(text="whole"))
    assert await run(client) == "whole"
    assert chat_requests(fake) == 2 and sleeps == [0.5]


async def test_a_malformed_chunk_is_a_stream_error(fake: FakeMistralAPI, client: MistralClient) -> None:
    fake.enqueue(Reply(chunks=["a", "b", "c"], malformed_at=1))
    received: list[StreamEvent] = []
    with pytest.raises(StreamError, match="malformed chunk"):
        await run(client, received)
    assert received == [TextDelta("a")]
    assert chat_requests(fake) == 1


async def test_finish_reason_error_is_a_stream_error(fake: FakeMistralAPI, client: MistralClient) -> None:
    fake.enqueue(Reply(text="partial", finish_reason="error"))
    with pytest.raises(StreamError, match="finish_reason 'error'"):
        await run(client)


async def test_non_streaming_chat_maps_faults_the_same_way(
    fake: FakeMistralAPI, client: MistralClient, sleeps: list[float]
) -> None:
    fake.enqueue(Reply(status=502), Reply(text="ok"))
    assert (await client.chat(REQUEST)).text == "ok"
    fake.enqueue(Reply(status=401))
    with pytest.raises(AuthError):
        await client.chat(REQUEST)
    assert sleeps == [0.5]


async def test_every_error_is_a_mistral_error_with_a_message(
    fake: FakeMistralAPI, client: MistralClient
) -> None:
    fake.enqueue(Reply(status=418, body="I'm a teapot"))
    with pytest.raises(MistralError) as caught:
        await run(client)
    assert "I'm a teapot" in caught.value.message
