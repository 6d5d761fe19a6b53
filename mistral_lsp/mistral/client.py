"""The HTTP client for Mistral's API and OpenAI-compatible servers (vLLM, Ollama, llama.cpp).

One long-lived `httpx.AsyncClient` per `MistralClient`. Every call:
- takes one of `max_concurrent_requests` slots (waiting for a slot does not count against the
  deadline: a queued request should not time out because others are slow);
- retries 429/5xx and connection failures with backoff (see `retry.py`) within `timeout_seconds`,
  but never once an event has reached the caller, since the caller may already have shown it;
- maps every failure to a `MistralError` that says what happened and how to fix it.

Streams are async generators holding the HTTP response open: closing the generator, or
cancelling the task consuming it, closes the connection at once so the server stops generating.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any

import httpx

from mistral_lsp import __version__
from mistral_lsp.mistral.errors import (
    KEY_HINT,
    ConfigurationError,
    MistralError,
    StreamError,
    TransportError,
    error_from_response,
)
from mistral_lsp.mistral.events import Backend, ChatRequest, ChatResult, FimRequest, StreamEvent
from mistral_lsp.mistral.models import ModelCard, parse_models, resolve_model_name
from mistral_lsp.mistral.retry import RETRYABLE_STATUSES, Backoff, parse_retry_after
from mistral_lsp.mistral.sse import iter_events, parse_completion

logger = logging.getLogger(__name__)

# A multipart/form-data body: httpx's `files` (name -> (filename, bytes, type)) and `data` fields.
Multipart = tuple[dict[str, tuple[str, bytes, str]], dict[str, str]]

# Statuses meaning "this server has no such endpoint": /models is optional on OpenAI-style servers.
_NO_ENDPOINT = frozenset({404, 405, 501})


class MistralClient:
    """A client for one server. `timeout_seconds` bounds connecting, retrying and every wait for
    data, so a silent server fails in time while an answer that keeps streaming is never cut.
    `sleep`, `clock` and `rng` drive the retry backoff (tests inject them); `transport` replaces
    the network (httpx.MockTransport). Raises `ConfigurationError` for a malformed `base_url`.
    """

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str | None,
        backend: Backend = "mistral",
        timeout_seconds: float = 120.0,
        max_retries: int = 3,
        max_concurrent_requests: int = 4,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._base_url = base_url.strip().rstrip("/")
        if not self._base_url.startswith(("http://", "https://")):
            raise ConfigurationError(
                f"invalid base URL {base_url!r}",
                "set mistral.baseUrl to a URL such as https://api.mistral.ai/v1",
            )
        self._api_key = api_key or None
        self._backend: Backend = backend
        self._timeout = timeout_seconds
        self._max_retries = max_retries
        self._sleep = sleep
        self._clock = clock
        self._rng = rng
        self._slots = asyncio.Semaphore(max(1, max_concurrent_requests))
        try:
            self._http = httpx.AsyncClient(
                base_url=self._base_url + "/",
                transport=transport,
                timeout=timeout_seconds,
                headers={"User-Agent": f"mistral-lsp/{__version__}"},
            )
        except httpx.InvalidURL as exc:
            raise ConfigurationError(
                f"invalid base URL {base_url!r} ({exc})",
                "set mistral.baseUrl to a URL such as https://api.mistral.ai/v1",
            ) from None
        self._resolved: dict[str, str] = {}
        self._cards: list[ModelCard] | None = None
        self._cards_fetched = False
        self._resolve_lock = asyncio.Lock()

    def __repr__(self) -> str:
        key = "set" if self._api_key else "unset"
        return f"MistralClient(base_url={self._base_url!r}, backend={self._backend!r}, api_key={key})"

    @property
    def base_url(self) -> str:
        return self._base_url

    @property
    def backend(self) -> Backend:
        return self._backend

    async def __aenter__(self) -> MistralClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- public calls ---------------------------------------------------------------------

    async def chat_stream(self, request: ChatRequest) -> AsyncGenerator[StreamEvent, None]:
        """Streams the answer; use `contextlib.aclosing` (or cancel) to stop it early."""
        self._require_key()
        model = await self.resolve_model(request.model)
        body = request.to_body(backend=self._backend, model=model, stream=True)
        async with contextlib.aclosing(self._stream("chat/completions", body)) as events:
            async for event in events:
                yield event

    async def chat(self, request: ChatRequest) -> ChatResult:
        self._require_key()
        model = await self.resolve_model(request.model)
        body = request.to_body(backend=self._backend, model=model, stream=False)
        return parse_completion(await self._fetch("POST", "chat/completions", body))

    async def fim_stream(self, request: FimRequest) -> AsyncGenerator[StreamEvent, None]:
        """Streams a fill-in-the-middle completion (`/completions` with `suffix` on openai)."""
        self._require_key()
        model = await self.resolve_model(request.model)
        body = request.to_body(backend=self._backend, model=model, stream=True)
        path = "fim/completions" if self._backend == "mistral" else "completions"
        async with contextlib.aclosing(self._stream(path, body)) as events:
            async for event in events:
                yield event

    async def fetch(self, method: str, path: str, body: Any = None, *, multipart: Multipart | None = None) -> bytes:
        """Any other endpoint's whole response (`path` relative to the base URL), with the same
        key check, retries and errors as chat: the Files and Batch APIs (`batch_api.py`)."""
        self._require_key()
        return await self._fetch(method, path, body, multipart)

    async def models(self) -> list[ModelCard]:
        self._require_key()
        return parse_models(await self._fetch("GET", "models", None))

    async def resolve_model(self, name: str) -> str:
        """The id to send for `name`, resolved once against `/models` and cached.

        Passes `name` through unchanged when the server has no `/models` endpoint.
        """
        if name in self._resolved:
            return self._resolved[name]
        async with self._resolve_lock:
            if name not in self._resolved:
                if not self._cards_fetched:
                    self._cards = await self._models_if_served()
                    self._cards_fetched = True
                resolved = name if self._cards is None else resolve_model_name(name, self._cards)
                if resolved != name:
                    logger.info("model %r resolved to %r", name, resolved)
                self._resolved[name] = resolved
        return self._resolved[name]

    # -- plumbing ---------------------------------------------------------------------------

    async def _models_if_served(self) -> list[ModelCard] | None:
        try:
            return await self.models()
        except MistralError as exc:
            if exc.status in _NO_ENDPOINT:
                logger.info("%s has no /models endpoint; using model names as given", self._base_url)
                return None
            raise

    def _require_key(self) -> None:
        if self._api_key is None and self._backend == "mistral":
            raise ConfigurationError("no API key", KEY_HINT)

    def _headers(self, *, stream: bool) -> dict[str, str]:
        headers = {"Accept": "text/event-stream" if stream else "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        return headers

    def _backoff(self) -> Backoff:
        return Backoff.start(
            max_retries=self._max_retries, timeout=self._timeout, clock=self._clock, rng=self._rng
        )

    def _error(self, cls: type[MistralError], message: str, hint: str | None) -> MistralError:
        if cls is TransportError:
            return TransportError(message, hint, base_url=self._base_url, secrets=[self._api_key])
        return cls(message, hint, secrets=[self._api_key])

    def _transport_error(self, exc: httpx.HTTPError) -> MistralError:
        if isinstance(exc, httpx.TimeoutException):
            return self._error(
                TransportError,
                f"no answer from {self._base_url} within {self._timeout:g} s",
                "check that the server is up, or raise mistral.timeoutSeconds",
            )
        reason = str(exc) or type(exc).__name__
        return self._error(
            TransportError,
            f"cannot reach {self._base_url} ({reason})",
            "check mistral.baseUrl and the network (proxy, VPN, TLS certificates)",
        )

    def _cut_error(self, exc: httpx.HTTPError) -> MistralError:
        if isinstance(exc, httpx.TimeoutException):
            return self._error(
                StreamError,
                f"the answer from {self._base_url} stalled for {self._timeout:g} s",
                "try again, or raise mistral.timeoutSeconds",
            )
        return self._error(
            StreamError, f"the connection to {self._base_url} was cut mid-answer", "try again"
        )

    async def _retry_wait(self, backoff: Backoff, why: str, retry_after: float | None) -> bool:
        delay = backoff.next_delay(retry_after)
        if delay is None:
            return False
        logger.warning(
            "%s; retrying in %.2f s (retry %d of %d)", why, delay, backoff.retries, backoff.max_retries
        )
        await self._sleep(delay)
        return True

    async def _open(
        self, method: str, path: str, body: Any, backoff: Backoff, multipart: Multipart | None = None
    ) -> httpx.Response:
        """Sends until a 2xx response arrives (returned open, body unread) or retries run out."""
        stream = bool(body and body.get("stream"))
        while True:
            remaining = backoff.remaining()
            if remaining <= 0:
                raise self._transport_error(httpx.TimeoutException("deadline"))
            request = self._http.build_request(
                method,
                path,
                content=None if body is None else json.dumps(body).encode(),
                headers={**self._headers(stream=stream),
                         **({} if body is None else {"Content-Type": "application/json"})},
                timeout=httpx.Timeout(remaining),
                files=None if multipart is None else multipart[0],
                data=None if multipart is None else multipart[1],
            )
            started = time.monotonic()
            try:
                response = await self._http.send(request, stream=True)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                if await self._retry_wait(backoff, f"cannot connect to {self._base_url}", None):
                    continue
                raise self._transport_error(exc) from exc
            except httpx.HTTPError as exc:
                raise self._transport_error(exc) from exc
            status = response.status_code
            request_id = response.headers.get("mistral-correlation-id")
            logger.debug(
                "%s %s -> %d in %.0f ms (request id %s)",
                method, request.url, status, (time.monotonic() - started) * 1000, request_id,
            )
            if 200 <= status < 300:
                return response
            try:
                content = await response.aread()
            except httpx.HTTPError:
                content = b""
            finally:
                await response.aclose()
            error = error_from_response(
                status, content, response.headers, base_url=self._base_url, secrets=[self._api_key]
            )
            if status in RETRYABLE_STATUSES:
                retry_after = parse_retry_after(response.headers.get("retry-after"))
                if await self._retry_wait(backoff, f"HTTP {status} from {self._base_url}",
                                          retry_after):
                    continue
            raise error

    async def _fetch(self, method: str, path: str, body: Any, multipart: Multipart | None = None) -> bytes:
        """A whole response body, retried like `_open` and also when the body is cut."""
        async with self._slots:
            backoff = self._backoff()
            while True:
                response = await self._open(method, path, body, backoff, multipart)
                try:
                    return await response.aread()
                except httpx.TimeoutException as exc:
                    raise self._transport_error(exc) from exc
                except httpx.HTTPError as exc:
                    cut = exc
                finally:
                    await response.aclose()
                if not await self._retry_wait(backoff, "reply cut", None):
                    raise self._cut_error(cut) from cut

    async def _stream(self, path: str, body: dict[str, Any]) -> AsyncGenerator[StreamEvent, None]:
        async with self._slots:
            backoff = self._backoff()
            while True:
                response = await self._open("POST", path, body, backoff)
                yielded = False
                try:
                    async with contextlib.aclosing(iter_events(response)) as events:
                        async for event in events:
                            yielded = True
                            yield event
                    return
                except httpx.HTTPError as exc:
                    if yielded:
                        raise self._cut_error(exc) from exc
                    if isinstance(exc, httpx.TimeoutException):
                        raise self._transport_error(exc) from exc
                    cut = exc
                finally:
                    # Closing here (also on aclose/cancel) drops the connection mid-body, which is
                    # how the server learns to stop generating.
                    await response.aclose()
                if not await self._retry_wait(backoff, "stream cut before any text", None):
                    raise self._cut_error(cut) from cut
