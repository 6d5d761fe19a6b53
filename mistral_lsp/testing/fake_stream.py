"""Writing a streamed reply on the wire, as `fake_api.FakeMistralAPI` scripts it.

Serves no LSP method: test, bench and demo support. `stream` writes an `Answer`'s server-sent
events, paced by the fake's `pause` (gates, holds, delays) and cut where the `Reply` says: a
clean end of a chunked body without `[DONE]`, a closed connection or a TCP reset (`drop`).
`stream_close_delimited` writes the body on the raw socket, ended by closing the connection
(aiohttp itself always chunks), as many proxies relay a stream.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import Awaitable, Callable
from typing import Protocol

from aiohttp import web

from mistral_lsp.testing.fake_replies import Answer, Reply


class Pause(Protocol):
    """The fake's `_pause`: what the reply scripts before an event (a gate, a hold, a delay)."""

    def __call__(self, reply: Reply, *, last: bool, content: bool, sent: int) -> Awaitable[None]: ...


async def stream(
    request: web.Request, reply: Reply, answer: Answer, headers: dict[str, str], *, pause: Pause,
    disconnected: Callable[[str, int], None],
) -> web.StreamResponse:
    """`answer` as a server-sent event stream, paced by `pause` (the reply's gates, holds and
    delays) and cut where `reply` says; `disconnected(path, chunks_sent)` when the client left."""
    if reply.cut_style == "close":
        return await stream_close_delimited(request, reply, answer, headers)
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache", **headers}
    )
    sent = 0
    try:
        await response.prepare(request)
        events = list(answer.sse_events())
        for position, (data, carries_content) in enumerate(events):
            await pause(reply, last=position == len(events) - 1, content=carries_content, sent=sent)
            if position and reply.cut_after_chunks is not None \
                    and sent >= reply.cut_after_chunks:
                if reply.cut_style == "chunked":
                    await response.write_eof()  # a clean end of the body, without [DONE]
                else:
                    drop(request, reset=reply.cut_style == "reset")
                return response
            await response.write(data)
            sent += carries_content
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
    except asyncio.CancelledError:
        disconnected(request.path, sent)
        raise
    except ConnectionResetError:
        disconnected(request.path, sent)
    return response


async def stream_close_delimited(
    request: web.Request, reply: Reply, answer: Answer, headers: dict[str, str]
) -> web.StreamResponse:
    """The reply written on the raw socket as an HTTP/1.1 body that ends when the connection
    closes (aiohttp itself always chunks): how many proxies relay a stream."""
    transport = request.transport
    assert transport is not None
    head = ["HTTP/1.1 200 OK", "Content-Type: text/event-stream", "Cache-Control: no-cache",
            "Connection: close", *(f"{k}: {v}" for k, v in headers.items())]
    transport.write(("\r\n".join(head) + "\r\n\r\n").encode())
    sent = 0
    for position, (data, carries_content) in enumerate(answer.sse_events()):
        if position and reply.cut_after_chunks is not None and sent >= reply.cut_after_chunks:
            break
        if carries_content and sent and reply.delay_per_chunk:
            await asyncio.sleep(reply.delay_per_chunk)
        transport.write(data)
        sent += carries_content
    else:
        transport.write(b"data: [DONE]\n\n")
    await asyncio.sleep(0)  # let the bytes out before the close
    transport.close()
    # aiohttp has nothing left to send on a closed transport; this response is never written.
    raise web.HTTPNoContent()


def drop(request: web.Request, *, reset: bool) -> None:
    """Close the connection mid-body; with `reset`, as a TCP RST (SO_LINGER 0, then close)."""
    transport = request.transport
    if transport is None:
        return
    if reset:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    else:
        transport.close()
