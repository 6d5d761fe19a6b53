"""Stopping a run stops the model: the server must see the connection close before it sends
anything more. And the concurrency cap holds requests back instead of flooding the API.

Timing is by order, not by the clock: the fake sends one chunk, then waits `GAP_S` before the
next, so "closed at once" is "closed before the second chunk" however loaded the machine is."""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest

from mistral_lsp.mistral import ChatRequest, MistralClient, TextDelta
from mistral_lsp.testing.fake_api import FakeMistralAPI, Reply

from .conftest import MakeClient

REQUEST = ChatRequest([{"role": "user", "content": "Review this file."}], "mistral-medium-3-5")
# Long enough that it is still streaming when cancelled: 200 chunks, 50 ms apart.
ENDLESS = Reply(chunks=["token "] * 200, delay_per_chunk=0.05)
# The wait after the first chunk: far longer than any cancellation may take, even under load.
GAP_S = 60.0
PAUSED = Reply(chunks=["token "] * 3, delay_per_chunk=GAP_S)
# How long a test waits for the disconnect: well inside the gap, so a late close still fails.
DISCONNECT_WAIT_S = GAP_S / 3


async def started_stream(client: MistralClient, first_text: asyncio.Event,
                         hold: asyncio.Event | None = None) -> asyncio.Task[None]:
    async def consume() -> None:
        async for event in client.chat_stream(REQUEST):
            if isinstance(event, TextDelta):
                first_text.set()
                if hold is not None:
                    await hold.wait()

    return asyncio.create_task(consume())


@pytest.mark.parametrize("busy_elsewhere", [False, True], ids=["awaiting-next", "between-events"])
async def test_cancelling_the_consumer_closes_the_connection_before_the_next_chunk(
    fake: FakeMistralAPI, client: MistralClient, busy_elsewhere: bool
) -> None:
    await client.resolve_model(REQUEST.model)
    fake.enqueue(PAUSED)
    first_text = asyncio.Event()
    task = await started_stream(client, first_text, asyncio.Event() if busy_elsewhere else None)
    await first_text.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    disconnect = await fake.wait_for_disconnect_async(timeout=DISCONNECT_WAIT_S)
    assert disconnect.chunks_sent == 1  # the server saw the close before it sent the second chunk


async def test_closing_the_stream_closes_the_connection_before_the_next_chunk(
    fake: FakeMistralAPI, client: MistralClient
) -> None:
    fake.enqueue(PAUSED)
    async with contextlib.aclosing(client.chat_stream(REQUEST)) as events:
        async for event in events:
            if isinstance(event, TextDelta):
                break
    disconnect = await fake.wait_for_disconnect_async(timeout=DISCONNECT_WAIT_S)
    assert disconnect.chunks_sent == 1


async def test_cancelling_while_waiting_for_the_first_byte_closes_too(
    fake: FakeMistralAPI, client: MistralClient
) -> None:
    await client.resolve_model(REQUEST.model)
    fake.enqueue(Reply(text="never seen", delay_before_first_byte=GAP_S))
    task = asyncio.create_task(client.chat(REQUEST))
    await fake.wait_for_requests_async(2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # Seen while the server still waited to send its first byte.
    disconnect = await fake.wait_for_disconnect_async(timeout=DISCONNECT_WAIT_S)
    assert disconnect.chunks_sent == 0


async def test_a_cancelled_stream_frees_its_slot_and_the_client_keeps_working(
    fake: FakeMistralAPI, make_client: MakeClient
) -> None:
    client = make_client(max_concurrent_requests=1)
    await client.resolve_model(REQUEST.model)
    fake.enqueue(ENDLESS, Reply(text="next run"))
    first_text = asyncio.Event()
    task = await started_stream(client, first_text)
    await first_text.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert (await client.chat(REQUEST)).text == "next run"


async def test_the_request_over_the_cap_waits_for_a_free_slot(
    fake: FakeMistralAPI, make_client: MakeClient
) -> None:
    client = make_client(max_concurrent_requests=2)
    await client.resolve_model(REQUEST.model)
    fake.enqueue(ENDLESS, ENDLESS, Reply(text="third"))
    first, second = asyncio.Event(), asyncio.Event()
    running = [await started_stream(client, first), await started_stream(client, second)]
    third = asyncio.create_task(client.chat(REQUEST))
    await first.wait()
    await second.wait()
    assert sum(r.path == "/v1/chat/completions" for r in fake.requests) == 2
    freed_at = time.monotonic()
    running[0].cancel()
    assert (await third).text == "third"
    third_request = fake.requests[-1]
    # The third request only reached the server once the cancelled stream gave its slot back.
    assert third_request.time > freed_at
    assert fake.disconnects[0].time <= third_request.time
    running[1].cancel()
    await asyncio.gather(*running, return_exceptions=True)
