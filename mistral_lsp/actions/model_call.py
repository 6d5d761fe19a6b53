"""The model call every action makes: one streamed chat request with the action's settings.

The answer's text streams to the editor through the run's `Reporter` as it arrives; thinking
is counted, never shown as answer text; usage is logged (never the prompt or the key). The
client raises when a stream ends without `[DONE]` or a finish_reason, so an `Answer` is whole;
`require_code` / `require_text` refuse what is not usable (no closed block, nothing written).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import logging
import time
from typing import TYPE_CHECKING, Any

from mistral_lsp.actions.errors import ActionError
from mistral_lsp.mistral import ChatRequest, ConfigurationError, Finish, TextDelta, ThinkingDelta
from mistral_lsp.mistral import Usage as UsageEvent
from mistral_lsp.prompting.replies import extract_code_block, missing_code_reason
from mistral_lsp.protocol import Usage

if TYPE_CHECKING:
    from mistral_lsp.actions.editor import Editor, Reporter

log = logging.getLogger(__name__)


@dataclasses.dataclass
class Answer:
    """The model's streamed answer, accumulated."""

    text: str = ""
    usage: Usage | None = None
    finish_reason: str | None = None
    first_token_s: float | None = None
    thought: bool = False

    def require_text(self, action: str) -> str:
        """The answer's text; `ActionError` when the model wrote none (empty, or only thinking)."""
        if self.text.strip():
            return self.text
        if self.finish_reason == "length":
            raise ActionError(
                f"the model used up maxTokens before writing an answer; raise mistral.actions.{action}.maxTokens"
            )
        if self.thought:
            raise ActionError("the model only thought and wrote no answer; run the action again")
        raise ActionError("the model's answer was empty; run the action again")

    def require_code(self, action: str) -> str:
        """The code of the answer's closed fenced block; `ActionError` naming what is wrong instead.

        Only a complete, delimited block is ever applied: a cut block would drop the rest of the
        user's function, and prose would be written into the source.
        """
        code = extract_code_block(self.text)
        if code is not None:
            return code
        self.require_text(action)
        reason = missing_code_reason(self.text)
        if reason == "unclosed" and self.finish_reason == "length":
            raise ActionError(
                "the answer hit maxTokens before its code block ended, so nothing was applied; "
                f"raise mistral.actions.{action}.maxTokens or select less code"
            )
        if reason == "unclosed":
            raise ActionError("the model's code block was never closed, so nothing was applied; run it again")
        if reason == "no_fence":
            raise ActionError("the model answered without a code block, so nothing was applied; run it again")
        raise ActionError("the model's code block was empty, so nothing was applied; run it again")


async def stream_answer(
    editor: Editor,
    action: str,
    uri: str,
    reporter: Reporter,
    messages: list[dict[str, Any]],
    *,
    response_format: dict[str, Any] | None = None,
    prediction: str | None = None,
) -> Answer:
    """One model call with the action's settings, its text streamed through `reporter`."""
    settings = editor.settings
    if not settings.resolved_api_key() and settings.backend == "mistral":
        raise ConfigurationError("no Mistral API key", editor.key_hint)
    client = editor.client()
    parameters = settings.action(action)
    request = ChatRequest(
        messages=messages,
        model=await client.resolve_model(settings.model),
        temperature=parameters.temperature,
        max_tokens=parameters.max_tokens,
        reasoning_effort=parameters.reasoning_effort,
        response_format=response_format,
        prediction=prediction,
        prompt_cache_key=prompt_cache_key(uri),
    )
    answer = Answer()
    started = time.perf_counter()
    # aclosing: a cancelled run closes the HTTP stream now, not when the generator is collected.
    async with contextlib.aclosing(client.chat_stream(request)) as events:
        async for event in events:
            if isinstance(event, TextDelta):
                if answer.first_token_s is None:
                    answer.first_token_s = time.perf_counter() - started
                answer.text += event.text
                reporter.delta(event.text)
            elif isinstance(event, ThinkingDelta):
                answer.thought = True
                reporter.thinking()
            elif isinstance(event, UsageEvent):
                answer.usage = Usage(
                    prompt_tokens=event.prompt_tokens,
                    cached_tokens=event.cached_tokens or 0,
                    completion_tokens=event.completion_tokens,
                )
            elif isinstance(event, Finish):
                answer.finish_reason = event.reason
    if answer.usage:
        log.info(
            "%s on %s: %d prompt tokens (%d cached), %d completion tokens, first token after %.0f ms",
            action, uri, answer.usage.prompt_tokens, answer.usage.cached_tokens,
            answer.usage.completion_tokens, 1000 * (answer.first_token_s or 0),
        )
    if answer.finish_reason == "length":
        log.warning("%s answer was cut by maxTokens", action)
    return answer


def prompt_cache_key(uri: str) -> str:
    """One cache key per document, so repeated actions on a file reuse the cached prefix."""
    return "mistral-lsp-" + hashlib.sha256(uri.encode()).hexdigest()[:24]
