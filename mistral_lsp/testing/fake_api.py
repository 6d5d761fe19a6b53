"""A loopback fake of Mistral's HTTP API, faithful to the wire-format reference (mistral-api.md).

A real aiohttp server on 127.0.0.1 running its own event loop in a background thread, so sync
tests, async tests (whatever their loop), subprocess servers and the offline demo can all use it.

- `POST /v1/chat/completions`, `POST /v1/fim/completions` (streamed or not), `GET /v1/models`;
  files and batch jobs (`/v1/files`, `/v1/batch/jobs`) in `fake_batch.py` (`fake.batches`);
  `POST /v1/completions` (`choices[].text`), the OpenAI-style FIM of Ollama and llama.cpp.
  Generation ends at a request's `stop` string, which is not returned, as on the real API.
- Requests are validated like the real API: unknown keys → 422 `extra_forbidden`, unknown model →
  400 `invalid_model`, bad role order → 400, wrong bearer → 401 (when a key is configured).
- Replies are scripted with `enqueue(Reply(...))`: text, thinking, tool calls, error statuses,
  delays and holds, a cut (aborted, chunked, close-delimited, reset) or a malformed chunk at a given
  point. `default_reply` or `responder(request_json)` answers when the queue is empty.
- `requests` records every request; `disconnects` records when a streaming reply found its client
  gone (the handler is cancelled as soon as the connection drops), timed with `time.monotonic`.
- An HTTP control API under `/_fake/` (`fake_control.py`) lets non-Python harnesses do the same.

CLI: `python -m mistral_lsp.testing.fake_api [--port N] [--api-key K] [--replies file.json]`
prints `READY http://127.0.0.1:PORT/v1` and serves until killed.

Serves no LSP method: test, bench and demo support. This module is the server (routes, recording,
the scripted pauses, the CLI); writing a stream, with its cuts and resets on the wire, is
`fake_stream.py`'s; what each answer holds (`Reply`, error bodies, validation, model cards) is
built in `fake_replies.py`, re-exported here: `from mistral_lsp.testing.fake_api import
FakeMistralAPI, Reply` stays the one import a harness needs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import signal
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from mistral_lsp.testing.fake_batch import FakeBatches, add_batch_routes
from mistral_lsp.testing.fake_control import add_control_routes
from mistral_lsp.testing.fake_replies import (
    CHAT_FIELDS,
    DEFAULT_MODELS,
    ERROR_BODIES,
    FIM_FIELDS,
    TEXT_COMPLETION_FIELDS,
    Answer,
    Reply,
    api_error,
    invalid_request,
    model_card,
)
from mistral_lsp.testing.fake_stream import stream

__all__ = ["Disconnect", "FakeMistralAPI", "RecordedRequest", "Reply", "main"]


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    json: Any
    time: float
    peer: str  # "host:port" of the client's socket: equal peers mean a reused connection

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Disconnect:
    path: str
    time: float
    chunks_sent: int

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class FakeMistralAPI:
    def __init__(
        self,
        api_key: str | None = None,
        models: list[dict[str, Any]] | None = None,
        *,
        port: int = 0,
        default_reply: Reply | None = None,
        responder: Callable[[Any], Reply] | None = None,
        serve_models: bool = True,
    ) -> None:
        self.api_key = api_key
        self.models = list(DEFAULT_MODELS if models is None else models)
        self.default_reply = default_reply or Reply()
        self.responder = responder
        # False mimics OpenAI-style servers without GET /models.
        self.serve_models = serve_models
        self._port = port
        self._queue: deque[Reply] = deque()
        self._requests: list[RecordedRequest] = []
        self._disconnects: list[Disconnect] = []
        self._changed = threading.Condition()
        self._released = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self.batches = FakeBatches(self)
        self._gates: dict[str, asyncio.Event] = {}

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeMistralAPI:
        if self._thread is not None:
            return self
        ready = threading.Event()
        failure: list[BaseException] = []

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self._start_site())
            except BaseException as exc:
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            loop.run_forever()
            if self._runner is not None:
                loop.run_until_complete(self._runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=serve, name="fake-mistral-api", daemon=True)
        self._thread.start()
        ready.wait(30)
        if failure:
            self._thread = None
            raise RuntimeError("the fake Mistral API could not start") from failure[0]
        return self

    def stop(self) -> None:
        if self._thread is None or self._loop is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(30)
        self._thread = None

    def __enter__(self) -> FakeMistralAPI:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._port}/v1"

    async def _start_site(self) -> None:
        app = web.Application(client_max_size=512 * 1024 * 1024)  # batch files are large
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_post("/v1/fim/completions", self._fim)
        app.router.add_post("/v1/completions", self._text_completion)
        app.router.add_get("/v1/models", self._list_models)
        app.router.add_get("/v1/models/{id}", self._one_model)
        add_batch_routes(app, self)  # /v1/files and /v1/batch/jobs: fake_batch.py
        add_control_routes(app, self)
        # handler_cancellation: a client closing the connection cancels the handler at once,
        # which is how disconnects are timed without waiting for the next write to fail.
        self._runner = web.AppRunner(
            app, handler_cancellation=True, access_log=None, shutdown_timeout=0.1
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self._port)
        await site.start()
        self._port = int(self._runner.addresses[0][1])

    # -- scripting and inspection (thread-safe) -----------------------------------------------

    def enqueue(self, *replies: Reply) -> None:
        with self._changed:
            self._queue.extend(replies)

    def release(self, gate: str | None = None) -> None:
        """No `gate`: held streams (`hold_after_chunks`) go on; else `hold_before_finish == gate` ones end."""
        if self._loop is None:
            return
        event = self._released if gate is None else None
        self._loop.call_soon_threadsafe(lambda: (event or self._gate(str(gate))).set())

    def _gate(self, name: str) -> asyncio.Event:
        return self._gates.setdefault(name, asyncio.Event())

    def reset(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._released.clear)
        with self._changed:
            self._queue.clear()
            self._requests.clear()
            self._disconnects.clear()

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._changed:
            return list(self._requests)

    @property
    def disconnects(self) -> list[Disconnect]:
        with self._changed:
            return list(self._disconnects)

    def _notify(self) -> None:
        with self._changed:
            self._changed.notify_all()

    def wait_for_requests(self, n: int, timeout: float = 5.0) -> list[RecordedRequest]:
        """Blocks until at least `n` requests arrived; raises TimeoutError otherwise."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._requests) >= n, timeout):
                raise TimeoutError(f"{len(self._requests)} requests after {timeout} s, wanted {n}")
            return list(self._requests)

    def wait_for_disconnect(self, timeout: float = 5.0, n: int = 1) -> Disconnect:
        """Blocks until `n` streaming replies saw their client leave; returns the n-th."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._disconnects) >= n, timeout):
                raise TimeoutError(f"no client disconnect within {timeout} s")
            return self._disconnects[n - 1]

    async def wait_for_requests_async(self, n: int, timeout: float = 5.0) -> list[RecordedRequest]:
        return await asyncio.to_thread(self.wait_for_requests, n, timeout)

    async def wait_for_disconnect_async(self, timeout: float = 5.0, n: int = 1) -> Disconnect:
        return await asyncio.to_thread(self.wait_for_disconnect, timeout, n)

    def _record(self, request: web.Request, body: Any) -> None:
        peer = request.transport.get_extra_info("peername") if request.transport else None
        recorded = RecordedRequest(
            request.method, request.path, dict(request.headers), body, time.monotonic(),
            f"{peer[0]}:{peer[1]}" if peer else "",
        )
        with self._changed:
            self._requests.append(recorded)
        self._notify()

    def _record_disconnect(self, path: str, chunks_sent: int) -> None:
        with self._changed:
            self._disconnects.append(Disconnect(path, time.monotonic(), chunks_sent))
        self._notify()

    def _next_reply(self, body: Any) -> Reply:
        with self._changed:
            if self._queue:
                return self._queue.popleft()
        return self.responder(body) if self.responder else self.default_reply

    # -- the API ----------------------------------------------------------------------------

    def _unauthorized(self, request: web.Request) -> web.Response | None:
        if self.api_key is None or request.headers.get("Authorization") == f"Bearer {self.api_key}":
            return None
        return web.json_response(ERROR_BODIES[401], status=401)

    def _known_models(self) -> set[str]:
        return {name for card in self.models for name in (card["id"], *card.get("aliases", []))}

    async def _list_models(self, request: web.Request) -> web.Response:
        self._record(request, None)
        if denied := self._unauthorized(request):
            return denied
        if not self.serve_models:
            return web.json_response(ERROR_BODIES[404], status=404)
        return web.json_response({"object": "list", "data": [model_card(c) for c in self.models]})

    async def _one_model(self, request: web.Request) -> web.Response:
        self._record(request, None)
        if denied := self._unauthorized(request):
            return denied
        for card in self.models:
            if request.match_info["id"] in (card["id"], *card.get("aliases", [])):
                return web.json_response(model_card(card))
        return web.json_response(ERROR_BODIES[404], status=404)

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        return await self._complete(request, CHAT_FIELDS, ("model", "messages"))

    async def _fim(self, request: web.Request) -> web.StreamResponse:
        return await self._complete(request, FIM_FIELDS, ("model", "prompt"))

    async def _text_completion(self, request: web.Request) -> web.StreamResponse:
        return await self._complete(request, TEXT_COMPLETION_FIELDS, ("model", "prompt"),
                                    text_completion=True)

    def _validate(self, body: Any, allowed: frozenset[str], required: tuple[str, ...]) -> web.Response | None:
        invalid = invalid_request(body, allowed, required, self._known_models())
        if invalid is None:
            return None
        status, error = invalid
        return web.json_response(error, status=status)

    async def _complete(
        self, request: web.Request, allowed: frozenset[str], required: tuple[str, ...],
        *, text_completion: bool = False,
    ) -> web.StreamResponse:
        raw = await request.read()
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        self._record(request, body)
        invalid = self._unauthorized(request) or self._validate(body, allowed, required)
        if invalid is not None:
            return invalid
        try:
            reply = self._next_reply(body)
        except Exception as exc:
            return web.json_response(api_error(f"responder failed: {exc}", "api_error"), status=500)
        if reply.delay_before_first_byte:
            await self._sleep_or_record(request.path, reply.delay_before_first_byte, 0)
        headers = reply.response_headers()
        if reply.status >= 400:
            error_body = reply.error_body()
            if isinstance(error_body, str):
                return web.Response(status=reply.status, text=error_body, headers=headers)
            return web.json_response(error_body, status=reply.status, headers=headers)
        answer = Answer(reply, body, text_completion=text_completion)
        if not body.get("stream"):
            return web.json_response(answer.completion(), headers=headers)
        return await stream(request, reply, answer, headers, pause=self._pause, disconnected=self._record_disconnect)

    async def _sleep_or_record(self, path: str, delay: float, chunks_sent: int) -> None:
        try:
            await asyncio.sleep(delay)
        except asyncio.CancelledError:
            self._record_disconnect(path, chunks_sent)
            raise

    async def _pause(self, reply: Reply, *, last: bool, content: bool, sent: int) -> None:
        """What the reply scripts before an event: a gate before the last, a hold, a delay."""
        if reply.hold_before_finish and last:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._gate(reply.hold_before_finish).wait(), 30)
        if content and sent == reply.hold_after_chunks:
            await self._released.wait()
        if content and sent and reply.delay_per_chunk:
            await asyncio.sleep(reply.delay_per_chunk)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mistral_lsp.testing.fake_api",
                                     description="Serve a fake Mistral API on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    parser.add_argument("--api-key", help="require this bearer key (default: accept any)")
    parser.add_argument("--replies", help="JSON file with a list of Reply objects to queue")
    args = parser.parse_args(argv)
    fake = FakeMistralAPI(api_key=args.api_key, port=args.port)
    if args.replies:
        with open(args.replies, encoding="utf-8") as file:
            data = json.load(file)
        fake.enqueue(*(Reply.from_dict(item) for item in (data if isinstance(data, list) else [data])))
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    with fake:
        print(f"READY {fake.base_url}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stopped.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
