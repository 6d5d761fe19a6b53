"""What goes into a model call (requests, and their wire bodies per backend) and what comes out.

A streamed call yields `StreamEvent`s in arrival order: `TextDelta` / `ThinkingDelta` /
`ToolCallDelta` as they come, `Usage` when the server reports it, and `Finish` last (carrying the
merged tool calls). A non-streamed call returns one `ChatResult`.

Bodies are built here because each backend rejects different keys: Mistral's API answers 422
`extra_forbidden` to any key outside its schema (`seed`, `stream_options`…), while
OpenAI-compatible servers (vLLM, Ollama, llama.cpp) ignore `random_seed` and want `seed`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass
from typing import Any, Literal, TypeAlias

Backend: TypeAlias = Literal["mistral", "openai"]
ReasoningEffort: TypeAlias = Literal["none", "high"]


@dataclass(frozen=True)
class TextDelta:
    """A piece of the answer text."""

    text: str


@dataclass(frozen=True)
class ThinkingDelta:
    """A piece of the model's reasoning; never part of the answer."""

    text: str


@dataclass(frozen=True)
class ToolCallDelta:
    """A fragment of tool call `index`: `arguments` is the new fragment, `id`/`name` what is known
    so far for that index (a later empty name never replaces a real one)."""

    index: int
    id: str | None
    name: str | None
    arguments: str


@dataclass(frozen=True)
class ToolCall:
    """A complete tool call; `arguments` is a JSON string even when the server sent an object."""

    index: int
    id: str | None
    name: str | None
    arguments: str


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cached_tokens: int = 0

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Usage:
        """Reads the usage object; cached tokens hide under three different names."""

        def as_int(value: Any) -> int:
            return value if isinstance(value, int) and not isinstance(value, bool) else 0

        cached = 0
        for details_key in ("prompt_tokens_details", "prompt_token_details"):
            details = data.get(details_key)
            if isinstance(details, Mapping) and as_int(details.get("cached_tokens")):
                cached = as_int(details.get("cached_tokens"))
                break
        else:
            cached = as_int(data.get("num_cached_tokens"))
        prompt = as_int(data.get("prompt_tokens"))
        completion = as_int(data.get("completion_tokens"))
        total = as_int(data.get("total_tokens")) or prompt + completion
        return cls(prompt, completion, total, cached)


@dataclass(frozen=True)
class Finish:
    """The stream ended; `reason` is the last finish_reason seen (None if the server sent none)."""

    reason: str | None
    tool_calls: tuple[ToolCall, ...] = ()


StreamEvent: TypeAlias = TextDelta | ThinkingDelta | ToolCallDelta | Usage | Finish


@dataclass(frozen=True)
class ChatResult:
    text: str
    thinking: str
    tool_calls: tuple[ToolCall, ...]
    usage: Usage | None
    finish_reason: str | None
    model: str | None


def _omit_none(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if value is not None}


@dataclass(frozen=True)
class ChatRequest:
    messages: list[dict[str, Any]]
    model: str
    _: KW_ONLY
    temperature: float | None = None
    max_tokens: int | None = None
    reasoning_effort: ReasoningEffort | None = None
    response_format: dict[str, Any] | None = None
    # The text the answer is expected to resemble (a fix rewrites the target): speeds decoding.
    prediction: str | None = None
    prompt_cache_key: str | None = None
    random_seed: int | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None
    parallel_tool_calls: bool | None = None
    stop: str | list[str] | None = None

    def to_body(self, *, backend: Backend, model: str, stream: bool) -> dict[str, Any]:
        """The JSON body for `backend`; `model` is the resolved id."""
        body: dict[str, Any] = {
            "model": model,
            "messages": self.messages,
            "stream": stream,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "response_format": self.response_format,
            "tools": self.tools,
            "parallel_tool_calls": self.parallel_tool_calls if self.tools else None,
            "stop": self.stop,
        }
        if self.reasoning_effort in ("none", "high"):
            body["reasoning_effort"] = self.reasoning_effort
        if backend == "mistral":
            body["random_seed"] = self.random_seed
            body["tool_choice"] = self.tool_choice
            body["prompt_cache_key"] = self.prompt_cache_key
            if self.prediction is not None:
                body["prediction"] = {"type": "content", "content": self.prediction}
        else:
            body["seed"] = self.random_seed
            # OpenAI-style servers have no "any"; "required" is the same promise.
            body["tool_choice"] = "required" if self.tool_choice == "any" else self.tool_choice
            if stream:
                # Without it vLLM and Ollama send no usage at all in a stream.
                body["stream_options"] = {"include_usage": True}
        return _omit_none(body)


@dataclass(frozen=True)
class FimRequest:
    """Fill-in-the-middle: the model writes what goes between `prompt` and `suffix`."""

    model: str
    prompt: str
    suffix: str = ""
    _: KW_ONLY
    temperature: float | None = None
    max_tokens: int | None = None
    min_tokens: int | None = None
    stop: str | list[str] | None = None
    random_seed: int | None = None

    def to_body(self, *, backend: Backend, model: str, stream: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": model,
            "prompt": self.prompt,
            "suffix": self.suffix,
            "stream": stream,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "stop": self.stop,
        }
        if backend == "mistral":
            body["min_tokens"] = self.min_tokens
            body["random_seed"] = self.random_seed
        else:
            body["seed"] = self.random_seed
            if stream:
                body["stream_options"] = {"include_usage": True}
        return _omit_none(body)
