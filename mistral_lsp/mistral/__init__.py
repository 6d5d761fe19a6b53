"""Client for Mistral's API (and OpenAI-compatible servers): streaming chat and FIM, typed
events, errors that say how to fix them, retries, and model-name resolution."""

from __future__ import annotations

from mistral_lsp.mistral.client import MistralClient
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
from mistral_lsp.mistral.events import (
    Backend,
    ChatRequest,
    ChatResult,
    FimRequest,
    Finish,
    ReasoningEffort,
    StreamEvent,
    TextDelta,
    ThinkingDelta,
    ToolCall,
    ToolCallDelta,
    Usage,
)
from mistral_lsp.mistral.models import ModelCard, resolve_model_name

__all__ = [
    "AuthError",
    "Backend",
    "BadRequestError",
    "ChatRequest",
    "ChatResult",
    "ConfigurationError",
    "ContextTooLongError",
    "FimRequest",
    "Finish",
    "MistralClient",
    "MistralError",
    "ModelCard",
    "ModelNotFoundError",
    "RateLimitError",
    "ReasoningEffort",
    "ServerError",
    "StreamError",
    "StreamEvent",
    "TextDelta",
    "ThinkingDelta",
    "ToolCall",
    "ToolCallDelta",
    "TransportError",
    "Usage",
    "error_from_response",
    "resolve_model_name",
]
