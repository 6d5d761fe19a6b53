"""Errors raised by the Mistral client, each carrying what happened and how to fix it.

Hierarchy::

    MistralError                    .message (what happened), .hint (how to fix it)
     ├── ConfigurationError         no API key configured
     ├── AuthError                  401 / 403: the key was rejected
     ├── RateLimitError             429 (after retries); .retry_after
     ├── BadRequestError            other 4xx; the API's own message extracted from the body
     │    └── ContextTooLongError   400 saying the prompt does not fit the model's context
     ├── ModelNotFoundError         the model is neither listed by /models nor accepted by the API
     ├── ServerError                5xx (after retries) or an unexpected status
     ├── TransportError             refused, DNS, TLS, timeout: the server could not be reached
     └── StreamError                a reply we cannot use: cut mid-stream, malformed, finish "error"

Every message goes through `redact` so an API key echoed by a server (or by us, by mistake)
never reaches a log line, an editor notification or a traceback.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from mistral_lsp.logs import redactor
from mistral_lsp.mistral.retry import parse_retry_after

KEY_HINT = "set MISTRAL_API_KEY or mistral.apiKey"

_CONTEXT_PATTERNS = re.compile(
    r"too large for model|maximum context length|context length|context window|too many tokens",
    re.IGNORECASE,
)


# How servers say the model does not exist: Mistral "Invalid model: x", vLLM "The model `x` does
# not exist.", Ollama 'model "x" not found, try pulling it first', OpenAI "model_not_found".
_MODEL_MISSING = re.compile(
    r"\bmodel\b.{0,200}?\b(not found|does not exist|doesn't exist|not exist|unknown)|invalid model|no such model"
    r"|unknown model|model_not_found",
    re.IGNORECASE,
)


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Masks the given secrets and anything shaped like a bearer token or an api key."""
    return redactor.redact(text, secrets)


class MistralError(Exception):
    """Base class: `message` says what happened, `hint` how to fix it."""

    _joiner: ClassVar[str] = "; "

    def __init__(
        self,
        message: str,
        hint: str | None = None,
        *,
        status: int | None = None,
        request_id: str | None = None,
        secrets: Iterable[str | None] = (),
    ) -> None:
        secrets = tuple(secrets)
        self.message = redact(message, secrets)
        self.hint = redact(hint, secrets) if hint else None
        self.status = status
        self.request_id = request_id
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.message}{self._joiner}{self.hint}" if self.hint else self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


class ConfigurationError(MistralError):
    """The client cannot make a request as configured (no API key)."""

    _joiner = ": "


class AuthError(MistralError):
    """The API rejected the key (401) or refused it access (403)."""


class RateLimitError(MistralError):
    """429 that outlasted the retries; `retry_after` is the server's wish in seconds, if any."""

    def __init__(self, message: str, hint: str | None = None, *, retry_after: float | None = None,
                 **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, hint, **kwargs)


class BadRequestError(MistralError):
    """The API refused the request (400/404/422…); `message` holds the API's own explanation."""

    def __init__(self, message: str, hint: str | None = None, *, error_type: str | None = None,
                 code: str | None = None, **kwargs: Any) -> None:
        self.error_type = error_type
        self.code = code
        super().__init__(message, hint, **kwargs)


class ContextTooLongError(BadRequestError):
    """The prompt does not fit in the model's context window."""


class ModelNotFoundError(MistralError):
    """The configured model does not exist on this server; `suggestions` are the closest ids."""

    def __init__(self, message: str, hint: str | None = None, *, model: str | None = None,
                 suggestions: Iterable[str] = (), **kwargs: Any) -> None:
        self.model = model
        self.suggestions = tuple(suggestions)
        super().__init__(message, hint, **kwargs)


class ServerError(MistralError):
    """The server failed (5xx) even after retries."""


class TransportError(MistralError):
    """The server could not be reached or did not answer in time."""

    def __init__(self, message: str, hint: str | None = None, *, base_url: str | None = None,
                 **kwargs: Any) -> None:
        self.base_url = base_url
        super().__init__(message, hint, **kwargs)


class StreamError(MistralError):
    """The reply started but cannot be used: cut, malformed, or ended with finish_reason error."""


def _join_detail(detail: Any) -> str | None:
    """FastAPI validation details → "body.max_tokens: Input should be a valid integer; …"."""
    if isinstance(detail, str):
        return detail
    if isinstance(detail, Mapping):
        if "detail" in detail:
            return _join_detail(detail["detail"])
        msg = detail.get("msg") or detail.get("message")
        if not isinstance(msg, str):
            return None
        loc = detail.get("loc")
        if isinstance(loc, list) and loc:
            return f"{'.'.join(str(part) for part in loc)}: {msg}"
        return msg
    if isinstance(detail, list):
        parts = [part for item in detail if (part := _join_detail(item))]
        return "; ".join(parts) if parts else None
    return None


def extract_api_message(body: Any) -> str | None:
    """The API's explanation from any documented error shape, or None.

    Shapes: `{"message": str | {"detail": [...]} | [...]}`, top-level `{"detail": ...}`,
    vLLM/Ollama `{"error": {"message": ...}}` or `{"error": "..."}`, or a bare string/list.
    """
    if isinstance(body, (str, list)):
        return _join_detail(body)
    if not isinstance(body, Mapping):
        return None
    error = body.get("error")
    if isinstance(error, Mapping):
        found = extract_api_message(error)
        if found:
            return found
    elif isinstance(error, str) and error:
        return error
    for key in ("message", "detail", "msg"):
        if key in body:
            found = _join_detail(body[key])
            if found:
                return found
    return None


def _field(body: Any, name: str) -> str | None:
    """A string view of `type` / `code` at the top level or inside `error`; codes may be ints."""
    if not isinstance(body, Mapping):
        return None
    value = body.get(name)
    if value is None and isinstance(body.get("error"), Mapping):
        value = body["error"].get(name)
    return None if value is None or isinstance(value, (dict, list)) else str(value)


def error_from_response(
    status: int,
    body: bytes,
    headers: Mapping[str, str],
    *,
    base_url: str | None = None,
    secrets: Iterable[str | None] = (),
) -> MistralError:
    """Maps an HTTP error response to the matching `MistralError` subclass."""
    response = _ErrorResponse.read(status, body, headers, tuple(secrets))
    said, common = response.said, response.common
    if status in (401, 403):
        return AuthError(f"the API rejected the key (HTTP {status}{said})", KEY_HINT, **common)
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        wait = f"; retry after {retry_after:g} s" if retry_after is not None else ""
        return RateLimitError(
            f"rate limited by the API (HTTP 429{said}{wait})",
            "wait a moment and try again, or lower mistral.maxConcurrentRequests",
            retry_after=retry_after,
            **common,
        )
    if 400 <= status < 500:
        return _refused(response, base_url)
    if status >= 500:
        return ServerError(
            f"the API failed (HTTP {status}{said})", "try again in a moment", **common
        )
    return ServerError(f"unexpected HTTP status {status}{said}", None, **common)


@dataclasses.dataclass(frozen=True)
class _ErrorResponse:
    """What an error response says, read once from any of the documented shapes."""

    status: int
    text: str
    headers: Mapping[str, str]
    """Lower-cased names."""
    api_message: str | None
    error_type: str | None
    code: str | None
    secrets: tuple[str | None, ...]

    @classmethod
    def read(
        cls, status: int, body: bytes, headers: Mapping[str, str], secrets: tuple[str | None, ...]
    ) -> _ErrorResponse:
        text = body.decode("utf-8", errors="replace").strip()
        try:
            parsed: Any = json.loads(text) if text else None
        except ValueError:
            parsed = text
        return cls(
            status=status,
            text=text,
            headers={k.lower(): v for k, v in headers.items()},
            api_message=extract_api_message(parsed) or (text[:300] if text else None),
            error_type=_field(parsed, "type"),
            code=_field(parsed, "code"),
            secrets=secrets,
        )

    @property
    def said(self) -> str:
        return f": {self.api_message}" if self.api_message else ""

    @property
    def common(self) -> dict[str, Any]:
        """The arguments every error built from the response takes."""
        request_id = self.headers.get("mistral-correlation-id") or self.headers.get("x-request-id")
        return {"status": self.status, "request_id": request_id, "secrets": self.secrets}

    def message_says(self, pattern: re.Pattern[str]) -> bool:
        return bool(self.api_message and pattern.search(self.api_message))


def _refused(response: _ErrorResponse, base_url: str | None) -> MistralError:
    """A 4xx other than the key's or the rate limit: what the request got wrong, most specific first."""
    status, said, common = response.status, response.said, response.common
    details = {"error_type": response.error_type, "code": response.code}
    if response.message_says(_CONTEXT_PATTERNS):
        return ContextTooLongError(
            f"the prompt is too long for the model (HTTP {status}{said})",
            "select less code or lower mistral.contextTokens",
            **details, **common,
        )
    if response.error_type in ("invalid_model", "not_found_error", "model_not_found") or response.message_says(
        _MODEL_MISSING
    ):
        return ModelNotFoundError(
            f"the API does not know this model (HTTP {status}{said})",
            "check mistral.model against the ids listed by GET /v1/models",
            **common,
        )
    if status == 404:
        where = f" at {base_url}" if base_url else ""
        return BadRequestError(
            f"not found{where} (HTTP 404{said})",
            "check mistral.baseUrl (it usually ends in /v1) and mistral.backend",
            **details, **common,
        )
    hint = None
    if "extra_forbidden" in response.text or "Extra inputs" in response.text:
        hint = 'if this server is not Mistral\'s own API, set mistral.backend to "openai"'
    return BadRequestError(f"the API refused the request (HTTP {status}{said})", hint, **details, **common)
