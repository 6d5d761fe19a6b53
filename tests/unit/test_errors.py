"""Error bodies of every documented shape (mistral-api.md §6, vLLM, Ollama) → the right error,
carrying the API's own words and a fix, and never an API key."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mistral_lsp.mistral.errors import (
    AuthError,
    BadRequestError,
    ConfigurationError,
    ContextTooLongError,
    MistralError,
    ModelNotFoundError,
    RateLimitError,
    ServerError,
    StreamError,
    TransportError,
    error_from_response,
)

KEY = "sk-errors-" + "0123456789abcdef" * 2


def from_body(status: int, body: Any, headers: dict[str, str] | None = None) -> MistralError:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return error_from_response(status, raw, headers or {}, secrets=[KEY])


EXTRA_FORBIDDEN = [{"type": "extra_forbidden", "loc": ["body", "max_completion_tokens"],
                    "msg": "Extra inputs are not permitted", "input": 32000}]


@pytest.mark.parametrize(
    ("status", "body", "kind", "said"),
    [
        # Mistral, 422 with the FastAPI detail nested in `message`.
        (422, {"object": "error", "message": {"detail": EXTRA_FORBIDDEN},
               "type": "invalid_request_error", "param": None, "code": None},
         BadRequestError, "body.max_completion_tokens: Extra inputs are not permitted"),
        # 422 bare FastAPI form.
        (422, {"detail": EXTRA_FORBIDDEN}, BadRequestError,
         "body.max_completion_tokens: Extra inputs are not permitted"),
        # 422 variant with both detail and a list message, int code.
        (422, {"object": "Error", "detail": EXTRA_FORBIDDEN, "message": EXTRA_FORBIDDEN,
               "type": "invalid_request_error", "code": 3001},
         BadRequestError, "body.max_completion_tokens: Extra inputs are not permitted"),
        (400, {"object": "error", "message": "Unexpected role 'user' after role 'tool'",
               "type": "invalid_request_message_order", "param": None, "code": "3230"},
         BadRequestError, "Unexpected role 'user' after role 'tool'"),
        (400, {"object": "error", "message": "Invalid model: mistral-huge",
               "type": "invalid_model", "param": None, "code": "1500"},
         ModelNotFoundError, "Invalid model: mistral-huge"),
        (400, {"object": "error",
               "message": "Prompt contains 300000 tokens, too large for model with 262144 "
                          "maximum context length", "type": "invalid_request_error"},
         ContextTooLongError, "Prompt contains 300000 tokens"),
        (401, {"message": "Unauthorized", "request_id": "abc"}, AuthError, "Unauthorized"),
        (401, {"detail": "Unauthorized"}, AuthError, "Unauthorized"),
        (403, b"", AuthError, "HTTP 403"),
        (429, {"object": "error", "message": "Rate limit exceeded", "type": "rate_limited",
               "param": None, "code": "1300", "raw_status_code": 429},
         RateLimitError, "Rate limit exceeded"),
        (429, {"message": "Requests rate limit exceeded"}, RateLimitError,
         "Requests rate limit exceeded"),
        (500, b"", ServerError, "HTTP 500"),
        (502, b"<html><body>Bad Gateway</body></html>", ServerError, "Bad Gateway"),
        (503, b"upstream connect error", ServerError, "upstream connect error"),
        (504, b"", ServerError, "HTTP 504"),
        # vLLM
        (400, {"error": {"message": "This model's maximum context length is 8192 tokens. "
                                    "However, you requested 9000 tokens.",
                         "type": "BadRequestError", "param": None, "code": 400}},
         ContextTooLongError, "maximum context length is 8192"),
        (400, {"object": "error", "message": "suffix is not currently supported",
               "type": "BadRequestError", "param": None, "code": 400},
         BadRequestError, "suffix is not currently supported"),
        # Ollama
        (404, {"error": {"message": 'model "qwen3" not found, try pulling it first',
                         "type": "not_found_error", "param": None, "code": None}},
         ModelNotFoundError, 'model "qwen3" not found'),
        (400, {"error": {"message": "invalid tool_choice", "type": "invalid_request_error",
                         "param": None, "code": None}}, BadRequestError, "invalid tool_choice"),
        (404, {"detail": "Not Found"}, BadRequestError, "Not Found"),
    ],
)
def test_each_body_shape_gives_the_right_error_with_the_apis_words(
    status: int, body: Any, kind: type[MistralError], said: str
) -> None:
    error = from_body(status, body)
    assert type(error) is kind
    assert said in error.message
    assert said in str(error)
    assert error.status == status


def test_codes_may_be_strings_ints_or_null() -> None:
    assert isinstance(e := from_body(422, {"detail": EXTRA_FORBIDDEN, "code": 3001}), BadRequestError)
    assert e.code == "3001"
    assert isinstance(e := from_body(400, {"message": "x", "code": "3230"}), BadRequestError)
    assert e.code == "3230"
    assert isinstance(e := from_body(400, {"message": "x", "code": None}), BadRequestError)
    assert e.code is None


def test_auth_errors_say_how_to_fix_the_key() -> None:
    error = from_body(401, {"detail": "Unauthorized"})
    assert error.hint == "set MISTRAL_API_KEY or mistral.apiKey"
    assert str(error).startswith("the API rejected the key")
    assert str(error).endswith("; set MISTRAL_API_KEY or mistral.apiKey")


def test_missing_key_message() -> None:
    error = ConfigurationError("no API key", "set MISTRAL_API_KEY or mistral.apiKey")
    assert str(error) == "no API key: set MISTRAL_API_KEY or mistral.apiKey"
    assert error.message == "no API key"


def test_extra_forbidden_suggests_the_openai_backend() -> None:
    error = from_body(422, {"detail": EXTRA_FORBIDDEN})
    assert error.hint is not None
    assert "mistral.backend" in error.hint


def test_rate_limit_carries_retry_after_from_the_header() -> None:
    error = from_body(429, {"message": "Rate limit exceeded"}, {"Retry-After": "7"})
    assert isinstance(error, RateLimitError)
    assert error.retry_after == 7.0
    assert "retry after 7 s" in str(error)
    assert isinstance(e := from_body(429, b""), RateLimitError)
    assert e.retry_after is None


def test_request_id_is_kept_for_support() -> None:
    error = from_body(500, b"", {"mistral-correlation-id": "cafe01"})
    assert error.request_id == "cafe01"


def test_not_found_names_the_base_url() -> None:
    error = error_from_response(404, b"", {}, base_url="http://localhost:8000")
    assert "http://localhost:8000" in str(error)
    assert error.hint is not None
    assert "mistral.baseUrl" in error.hint


@pytest.mark.parametrize(
    "body",
    [
        {"message": f"Invalid API key {KEY}"},
        {"detail": f"Authorization: Bearer {KEY} is not valid"},
        {"error": {"message": f"bad key '{KEY}'"}},
        f"upstream said: Bearer {KEY}".encode(),
    ],
)
@pytest.mark.parametrize("status", [400, 401, 429, 500])
def test_a_key_echoed_by_the_server_never_reaches_the_error(status: int, body: Any) -> None:
    error = from_body(status, body)
    for text in (str(error), repr(error), error.message, error.hint or "", *map(str, error.args)):
        assert KEY not in text
        assert KEY[:12] not in text


def test_unknown_bearer_tokens_are_masked_even_without_knowing_the_key() -> None:
    error = error_from_response(400, b'{"message": "Bearer other-token-123 rejected"}', {})
    assert "other-token-123" not in str(error)
    assert "Bearer ***" in str(error)


def test_a_trivial_local_key_does_not_garble_messages() -> None:
    # Ollama and llama.cpp accept any key, so users set "x" or "ollama": not a secret to hunt.
    error = error_from_response(404, b'{"error": {"message": "model x not found"}}', {},
                                secrets=["x"])
    assert "model x not found" in str(error)


def test_hierarchy() -> None:
    for kind in (ConfigurationError, AuthError, RateLimitError, BadRequestError,
                 ModelNotFoundError, ServerError, TransportError, StreamError):
        assert issubclass(kind, MistralError)
    assert issubclass(ContextTooLongError, BadRequestError)


def test_a_report_quoting_code_with_a_bearer_header_stays_valid_json() -> None:
    """`mistral-lsp review` redacts its JSON/SARIF report as text: a finding quoting code such as
    `headers={"Authorization": f"Bearer {token}"}` must come out masked and still parse."""
    import json

    from mistral_lsp.logs import redactor

    code = 'headers={"Authorization": f"Bearer {token}"}, auth={"apiKey": "abcdef123456"}'
    report = json.dumps({"results": [{"snippet": code}, {"snippet": "Authorization: Bearer sk-live-0123456"}]})
    redacted = redactor.redact(report)
    snippets = [r["snippet"] for r in json.loads(redacted)["results"]]
    assert "sk-live-0123456" not in redacted and snippets[1] == "Authorization: Bearer ***"
    assert snippets[0].startswith('headers={"Authorization": f"Bearer ***"}')
