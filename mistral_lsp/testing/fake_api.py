"""A loopback fake of Mistral's HTTP API, faithful to the wire-format reference (mistral-api.md).

A real aiohttp server on 127.0.0.1 running its own event loop in a background thread, so sync
tests, async tests (whatever their loop), subprocess servers and the offline demo can all use it.

- `POST /v1/chat/completions`, `POST /v1/fim/completions` (streamed or not), `GET /v1/models`.
- Requests are validated like the real API: unknown keys → 422 `extra_forbidden`, unknown model →
  400 `invalid_model`, bad role order → 400, wrong bearer → 401 (when a key is configured).
- Replies are scripted with `enqueue(Reply(...))`: text, thinking, tool calls, error statuses,
  delays, a connection cut or a malformed chunk at a given point. `default_reply` or
  `responder(request_json)` answers when the queue is empty.
- `requests` records every request; `disconnects` records when a streaming reply found its client
  gone (the handler is cancelled as soon as the connection drops), timed with `time.monotonic`.
- An HTTP control API under `/_fake/` lets non-Python harnesses do the same:
  `POST /_fake/replies` (a Reply dict or a list), `POST /_fake/default_reply`,
  `GET /_fake/requests`, `GET /_fake/disconnects`, `POST /_fake/reset`.

CLI: `python -m mistral_lsp.testing.fake_api [--port N] [--api-key K] [--replies file.json]`
prints `READY http://127.0.0.1:PORT/v1` and serves until killed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import itertools
import json
import signal
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

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


def _api_error(message: Any, kind: str, code: str | None = None) -> dict[str, Any]:
    return {"object": "error", "message": message, "type": kind, "param": None, "code": code}


# The bodies mistral-api.md §6 documents (or, where none was captured, a plausible one).
ERROR_BODIES: dict[int, Any] = {
    400: _api_error("Invalid request", "invalid_request_error"),
    401: {"detail": "Unauthorized"},
    403: {"detail": "Forbidden"},
    404: {"detail": "Not Found"},
    422: _api_error({"detail": [{"type": "extra_forbidden", "loc": ["body", "seed"],
                                 "msg": "Extra inputs are not permitted", "input": 0}]},
                    "invalid_request_error"),
    429: _api_error("Rate limit exceeded", "rate_limited", "1300"),
}


@dataclass
class Reply:
    """One scripted reply.

    `status` >= 400 answers with `body` (default: the documented body for that status).
    Stream-only: `chunks` (default: `text` split in four), `delay_per_chunk`, `cut_after_chunks`
    (close the connection after that many thinking/text deltas, without the final chunk or
    [DONE]; 0 cuts right after the role chunk), `malformed_at` (the delta at that 0-based index
    is replaced by a non-JSON data line), `incremental_tool_calls`. `thinking` is sent only when
    the request asks `reasoning_effort: "high"`, as a real reasoning model would.
    """

    text: str = "Hello from the fake Mistral API."
    thinking: str | None = None
    chunks: list[str] | None = None
    tool_calls: list[dict[str, Any]] | None = None  # [{"name", "arguments": str|dict, "id"?}]
    incremental_tool_calls: bool = False
    usage: dict[str, Any] | None = None
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    retry_after: float | str | None = None
    delay_before_first_byte: float = 0.0
    delay_per_chunk: float = 0.0
    cut_after_chunks: int | None = None
    malformed_at: int | None = None
    finish_reason: str | None = None
    model: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Reply:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown Reply fields: {sorted(unknown)}")
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def text_pieces(self) -> list[str]:
        if self.chunks is not None:
            return list(self.chunks)
        return _split(self.text)


def _split(text: str, pieces: int = 4) -> list[str]:
    if not text:
        return []
    size = max(1, -(-len(text) // pieces))
    return [text[i : i + size] for i in range(0, len(text), size)]


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
        self._listeners: list[Callable[[], None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None

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
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_post("/v1/fim/completions", self._fim)
        app.router.add_get("/v1/models", self._list_models)
        app.router.add_get("/v1/models/{id}", self._one_model)
        app.router.add_post("/_fake/replies", self._control_replies)
        app.router.add_post("/_fake/default_reply", self._control_default)
        app.router.add_get("/_fake/requests", self._control_requests)
        app.router.add_get("/_fake/disconnects", self._control_disconnects)
        app.router.add_post("/_fake/reset", self._control_reset)
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

    def reset(self) -> None:
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

    def subscribe(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Calls `listener()` (from the server thread) after each recorded request or disconnect,
        so a harness can re-check its conditions instead of polling; returns an unsubscribe."""
        with self._changed:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._changed:
                self._listeners.remove(listener)

        return unsubscribe

    def _notify(self) -> None:
        with self._changed:
            self._changed.notify_all()
            listeners = list(self._listeners)
        for listener in listeners:
            listener()

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
        return web.json_response({"object": "list", "data": [_card(c) for c in self.models]})

    async def _one_model(self, request: web.Request) -> web.Response:
        self._record(request, None)
        if denied := self._unauthorized(request):
            return denied
        for card in self.models:
            if request.match_info["id"] in (card["id"], *card.get("aliases", [])):
                return web.json_response(_card(card))
        return web.json_response(ERROR_BODIES[404], status=404)

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        return await self._complete(request, CHAT_FIELDS, ("model", "messages"))

    async def _fim(self, request: web.Request) -> web.StreamResponse:
        return await self._complete(request, FIM_FIELDS, ("model", "prompt"))

    def _validate(self, body: Any, allowed: frozenset[str], required: tuple[str, ...]) -> web.Response | None:
        if not isinstance(body, dict):
            detail = [{"type": "model_attributes_type", "loc": ["body"],
                       "msg": "Input should be a valid dictionary", "input": body}]
            return web.json_response({"detail": detail}, status=422)
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
            error = _api_error({"detail": problems}, "invalid_request_error")
            return web.json_response(error, status=422)
        if body["model"] not in self._known_models():
            error = _api_error(f"Invalid model: {body['model']}", "invalid_model", "1500")
            return web.json_response(error, status=400)
        if "messages" in body:
            message = _role_order_error(body["messages"])
            if message:
                error = _api_error(message, "invalid_request_message_order", "3230")
                return web.json_response(error, status=400)
        return None

    async def _complete(
        self, request: web.Request, allowed: frozenset[str], required: tuple[str, ...]
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
            return web.json_response(_api_error(f"responder failed: {exc}", "api_error"), status=500)
        if reply.delay_before_first_byte:
            await self._sleep_or_record(request.path, reply.delay_before_first_byte, 0)
        headers = {"mistral-correlation-id": uuid.uuid4().hex, **reply.headers}
        if reply.retry_after is not None:
            headers["Retry-After"] = str(reply.retry_after)
        if reply.status >= 400:
            error_body = reply.body if reply.body is not None else ERROR_BODIES.get(
                reply.status, _api_error("Service unavailable", "api_error"))
            if isinstance(error_body, str):
                return web.Response(status=reply.status, text=error_body, headers=headers)
            return web.json_response(error_body, status=reply.status, headers=headers)
        answer = _Answer(reply, body)
        if not body.get("stream"):
            return web.json_response(answer.completion(), headers=headers)
        return await self._stream(request, reply, answer, headers)

    async def _sleep_or_record(self, path: str, delay: float, chunks_sent: int) -> None:
        try:
            await asyncio.sleep(delay)
        except asyncio.CancelledError:
            self._record_disconnect(path, chunks_sent)
            raise

    async def _stream(
        self, request: web.Request, reply: Reply, answer: _Answer, headers: dict[str, str]
    ) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache", **headers}
        )
        sent = 0
        try:
            await response.prepare(request)
            for position, (payload, carries_content) in enumerate(answer.chunks()):
                if position and reply.cut_after_chunks is not None \
                        and sent >= reply.cut_after_chunks:
                    # Close without the chunked terminator: the client sees a cut, not an end.
                    if request.transport is not None:
                        request.transport.close()
                    return response
                if carries_content and sent == reply.malformed_at:
                    data = b'data: {"id": "broken", "choices": [{"delta": {"content": "oops\n\n'
                else:
                    data = b"data: " + json.dumps(payload).encode() + b"\n\n"
                if carries_content and sent and reply.delay_per_chunk:
                    await asyncio.sleep(reply.delay_per_chunk)
                await response.write(data)
                sent += carries_content
            await response.write(b"data: [DONE]\n\n")
            await response.write_eof()
        except asyncio.CancelledError:
            self._record_disconnect(request.path, sent)
            raise
        except ConnectionResetError:
            self._record_disconnect(request.path, sent)
        return response

    # -- control API ------------------------------------------------------------------------

    async def _control_replies(self, request: web.Request) -> web.Response:
        data = await request.json()
        items = data if isinstance(data, list) else [data]
        try:
            replies = [Reply.from_dict(item) for item in items]
        except (TypeError, ValueError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        self.enqueue(*replies)
        return web.json_response({"queued": len(replies)})

    async def _control_default(self, request: web.Request) -> web.Response:
        try:
            self.default_reply = Reply.from_dict(await request.json())
        except (TypeError, ValueError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response({"ok": True})

    async def _control_requests(self, request: web.Request) -> web.Response:
        return web.json_response([r.to_dict() for r in self.requests])

    async def _control_disconnects(self, request: web.Request) -> web.Response:
        return web.json_response([d.to_dict() for d in self.disconnects])

    async def _control_reset(self, request: web.Request) -> web.Response:
        self.reset()
        return web.json_response({"ok": True})


def _card(card: Mapping[str, Any]) -> dict[str, Any]:
    return {"object": "model", "created": 1767094366, "owned_by": "mistralai", "aliases": [],
            "name": card["id"], "description": "", "deprecation": None,
            "deprecation_replacement_model": None, "default_model_temperature": 0.3,
            "type": "base", **card}


def _role_order_error(messages: Any) -> str | None:
    if not isinstance(messages, list) or not messages:
        return "Conversation must have at least one message"
    roles = [m.get("role") if isinstance(m, dict) else None for m in messages]
    for previous, current in itertools.pairwise(roles):
        if previous == "tool" and current == "user":
            return "Unexpected role 'user' after role 'tool'"
    for message in messages:
        if isinstance(message, dict) and message.get("role") == "assistant" \
                and not message.get("content") and not message.get("tool_calls") \
                and not message.get("prefix"):
            return "Assistant message must have either content or tool_calls, but not none."
    last = messages[-1] if isinstance(messages[-1], dict) else {}
    if last.get("role") == "assistant" and not last.get("prefix"):
        return ("Expected last role User or Tool (or Assistant with prefix True) for serving "
                "but got assistant")
    return None


class _Answer:
    """The wire form of one reply for one request: chunks for a stream, or a whole completion."""

    def __init__(self, reply: Reply, body: dict[str, Any]) -> None:
        self.reply = reply
        self.id = uuid.uuid4().hex
        self.model = reply.model or str(body.get("model"))
        self.object = "chat.completion"
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
        text = "".join(self.reply.text_pieces())
        content: Any = text
        if self.thinks:
            content = [_think(self.reply.thinking or ""), {"type": "text", "text": text}]
        message = {"role": "assistant", "content": content, "tool_calls": self.calls or None,
                   "prefix": False}
        return {"id": self.id, "object": self.object, "created": int(time.time()),
                "model": self.model, "usage": self.usage,
                "choices": [{"index": 0, "message": message, "finish_reason": self.finish_reason}]}

    def _chunk(self, delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
        return {"id": self.id, "object": "chat.completion.chunk", "created": int(time.time()),
                "model": self.model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}

    def chunks(self) -> Iterator[tuple[dict[str, Any], bool]]:
        """(payload, carries thinking/text) in order, as the real API streams them."""
        yield self._chunk({"role": "assistant", "content": ""}), False
        texts = self.reply.text_pieces()
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
            for call in self.calls:
                name, arguments = call["function"]["name"], call["function"]["arguments"]
                head = {**call, "function": {"name": name, "arguments": ""}}
                yield self._chunk({"tool_calls": [head]}), False
                for piece in _split(arguments, 3):
                    fragment = {"type": "function", "index": call["index"],
                                "function": {"name": "", "arguments": piece}}
                    yield self._chunk({"tool_calls": [fragment]}), False
            yield self._chunk({"content": ""}, self.finish_reason, usage=self.usage), False
        elif self.calls:
            whole = [{k: v for k, v in call.items() if k in ("id", "function")} for call in self.calls]
            yield self._chunk({"content": None, "tool_calls": whole}, self.finish_reason,
                              usage=self.usage), False
        else:
            yield self._chunk({"content": ""}, self.finish_reason, usage=self.usage), False


def _think(text: str, *, closed: bool = True) -> dict[str, Any]:
    return {"type": "thinking", "thinking": [{"type": "text", "text": text}], "closed": closed}


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
