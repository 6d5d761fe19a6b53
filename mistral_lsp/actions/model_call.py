"""The model call every action makes: one streamed chat request with the action's settings.

The answer's text streams to the editor through the run's `Reporter` as it arrives; thinking
is counted, never shown as answer text; usage is logged (never the prompt or the key). The
client raises when a stream ends without `[DONE]` or a finish_reason, so an `Answer` is whole;
`require_code` / `require_text` refuse what is not usable (no closed block, nothing written).
With a `ToolBox`, the call is a loop of rounds in which the model may look things up in the
workspace (function calling; see `stream_answer`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import logging
import time
from typing import TYPE_CHECKING, Any, Protocol

from mistral_lsp.actions.errors import ActionError
from mistral_lsp.actions.tool_calls import RoundCalls
from mistral_lsp.lookup import PathGuard, ToolBox, Workspace
from mistral_lsp.mistral import (
    ChatRequest,
    ConfigurationError,
    Finish,
    TextDelta,
    ThinkingDelta,
    ToolCall,
    ToolCallDelta,
)
from mistral_lsp.mistral import Usage as UsageEvent
from mistral_lsp.prompting.replies import extract_code_block, missing_code_reason
from mistral_lsp.protocol import Usage
from mistral_lsp.text.uris import to_path

if TYPE_CHECKING:
    from mistral_lsp.actions.editor import Editor, Reporter
    from mistral_lsp.lookup import ToolBox
    from mistral_lsp.mistral import MistralClient
    from mistral_lsp.options import Settings

log = logging.getLogger(__name__)


class ModelHost(Protocol):
    """What `stream_answer` needs of its caller: an editor session, or `mistral-lsp review`."""

    @property
    def settings(self) -> Settings: ...

    @property
    def key_hint(self) -> str: ...

    def client(self) -> MistralClient: ...


@dataclasses.dataclass
class Answer:
    """The model's streamed answer, accumulated."""

    text: str = ""
    usage: Usage | None = None
    finish_reason: str | None = None
    first_token_s: float | None = None
    thought: bool = False
    rounds: int = 0
    """Rounds of tool calls before the answer."""

    def add_usage(self, event: UsageEvent) -> None:
        """Count one request's usage (a run with tool rounds makes several)."""
        old = self.usage or Usage(prompt_tokens=0, cached_tokens=0, completion_tokens=0)
        self.usage = Usage(
            prompt_tokens=old.prompt_tokens + event.prompt_tokens,
            cached_tokens=old.cached_tokens + (event.cached_tokens or 0),
            completion_tokens=old.completion_tokens + event.completion_tokens,
        )

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
    editor: ModelHost,
    action: str,
    uri: str,
    reporter: Reporter,
    messages: list[dict[str, Any]],
    *,
    response_format: dict[str, Any] | None = None,
    prediction: str | None = None,
    tools: ToolBox | None = None,
) -> Answer:
    """The model's answer with the action's settings, its text streamed through `reporter`.

    With `tools`, the model may call them: each call runs as soon as its arguments are complete
    in the stream (parallel ones at once; `tool_calls.RoundCalls`), the `assistant` message with its `tool_calls` and one `tool` message per call are
    appended, and the conversation goes on until an answer without calls. After
    `tools.max_rounds` rounds, or once the run's result budget is spent, the last tool result
    tells the model to answer with what it has and the request says `tool_choice: "none"`; the
    tools themselves are sent identically in every request, so they stay in the cached prefix.
    The answer is the last round's text; a cancel closes the stream of the round in flight and
    drops the calls still running.
    """
    settings = editor.settings
    if not settings.resolved_api_key() and settings.backend == "mistral":
        raise ConfigurationError("no Mistral API key", editor.key_hint)
    client = editor.client()
    parameters = settings.action(action)
    base = ChatRequest(
        messages=list(messages),
        model=await client.resolve_model(settings.model),
        temperature=parameters.temperature,
        max_tokens=parameters.max_tokens,
        reasoning_effort=parameters.reasoning_effort,
        response_format=response_format,
        prediction=prediction,
        prompt_cache_key=prompt_cache_key(uri),
        tools=tools.schemas if tools is not None else None,
        parallel_tool_calls=True if tools is not None else None,
    )
    answer = Answer()
    await _rounds(client, base, list(messages), tools, reporter, answer)
    _log_answer(action, uri, answer)
    return answer


async def _rounds(
    client: MistralClient, base: ChatRequest, conversation: list[dict[str, Any]], tools: ToolBox | None,
    reporter: Reporter, answer: Answer,
) -> None:
    """The rounds of `stream_answer`, into `answer`, until one ends without tool calls."""
    started = time.perf_counter()
    while True:
        offer = tools is not None and answer.rounds < tools.max_rounds and not tools.exhausted
        choice = None if tools is None else "auto" if offer else "none"
        request = dataclasses.replace(base, messages=list(conversation), tool_choice=choice)
        running = RoundCalls(tools, reporter) if offer and tools is not None else None
        try:
            calls = await _stream_round(client, request, reporter, answer, started, running)
            if not calls or running is None or tools is None:
                return
            answer.rounds += 1
            conversation.extend(await running.messages(calls, answer.text))
        finally:
            if running is not None:
                running.cancel()
        answer.text = ""  # what the model wrote before its calls is not the answer
        if answer.rounds >= tools.max_rounds or tools.exhausted:
            conversation[-1]["content"] += ANSWER_NOW


ANSWER_NOW = "\n\n(No more lookups: answer now with what you have.)"


async def _stream_round(
    client: MistralClient, request: ChatRequest, reporter: Reporter, answer: Answer, started: float,
    running: RoundCalls | None,
) -> tuple[ToolCall, ...]:
    """Stream one request into `answer`, each tool call starting in `running` as soon as it is
    complete; the complete tool calls the stream ended with."""
    calls: tuple[ToolCall, ...] = ()
    usage: UsageEvent | None = None  # the last one of the stream counts (some servers repeat it)
    # aclosing: a cancelled run closes the HTTP stream now, not when the generator is collected.
    async with contextlib.aclosing(client.chat_stream(request)) as events:
        async for event in events:
            if isinstance(event, TextDelta):
                if answer.first_token_s is None:
                    answer.first_token_s = time.perf_counter() - started
                answer.text += event.text
                reporter.delta(event.text)
            elif isinstance(event, ToolCallDelta):
                if running is not None:
                    running.fragment(event)
            elif isinstance(event, ThinkingDelta):
                answer.thought = True
                reporter.thinking()
            elif isinstance(event, UsageEvent):
                usage = event
            elif isinstance(event, Finish):
                answer.finish_reason = event.reason
                calls = event.tool_calls
    if usage is not None:
        answer.add_usage(usage)
    return calls


def _log_answer(action: str, uri: str, answer: Answer) -> None:
    if answer.usage:
        log.info(
            "%s on %s: %d prompt tokens (%d cached), %d completion tokens, %d tool rounds, first token after %.0f ms",
            action, uri, answer.usage.prompt_tokens, answer.usage.cached_tokens,
            answer.usage.completion_tokens, answer.rounds, 1000 * (answer.first_token_s or 0),
        )
    if answer.finish_reason == "length":
        log.warning("%s answer was cut by maxTokens", action)


def toolbox_for(editor: Editor, action: str, uri: str, *, background: bool = False) -> ToolBox | None:
    """The tools `action` on `uri` offers under the settings (see `ToolsSettings.enabled_for`),
    or None; `background`: review on save and the CLI, which use them only when asked to."""
    tools = editor.settings.tools
    if action not in TOOL_ACTIONS and tools.enabled is not True:
        return None
    if not tools.enabled_for(action, background=background):
        return None
    local = to_path(uri)
    path = local.absolute().as_posix() if local is not None else None
    index = editor.workspace_index
    roots = index.roots if index is not None and index.roots else editor.workspace_roots()
    guard = PathGuard(roots, tools.deny, indexed=(lambda p: index.get(p) is not None) if index is not None else None)
    return ToolBox(
        Workspace(index, guard, origin=path), max_rounds=tools.max_rounds,
        max_result_tokens=tools.max_result_tokens, max_run_tokens=tools.max_run_tokens,
        secrets=(editor.settings.resolved_api_key(),),
    )


# The actions whose commands offer tools by default (`tools.enabled` null); the others only
# when it is true. Inline completion never calls `stream_answer`.
TOOL_ACTIONS = frozenset({"fix", "explain", "review", "ask"})


def prompt_cache_key(uri: str) -> str:
    """One cache key per document, so repeated actions on a file reuse the cached prefix."""
    return "mistral-lsp-" + hashlib.sha256(uri.encode()).hexdigest()[:24]
