"""What every action shares: its request, its run, the model call, and errors at the edge.

An action is `context -> prompt -> streamed answer -> result`. `execute` wraps one: it parses
the command's argument object, registers the run (superseding an older run of the same action
on the same target), opens progress, calls the action, and turns every failure into a message
naming the cause and the fix — shown to the user and returned as the command's error — so one
bad request never takes the server down.

Errors::

    ActionError            the request cannot be served (document not open, no code in reply…)
    mistral.MistralError   the API call failed (auth, rate limit, transport, broken stream…)
    asyncio.CancelledError the run was cancelled: nothing is applied, progress says cancelled
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException

from mistral_lsp.logs import redactor
from mistral_lsp.server import REQUEST_FAILED, MistralLanguageServer
from mistral_lsp.streaming import Run, RunReporter, current_work_done_token
from mistral_lsp.syntax.document import Document

log = logging.getLogger(__name__)



class ActionError(Exception):
    """A request we cannot serve; the message says why and what to do."""


@dataclasses.dataclass(frozen=True)
class ActionRequest:
    """The argument object of `mistral.fix` / `explain` / `review` / `generateTests`."""

    uri: str
    range: types.Range | None
    version: int | None = None
    diagnostics: tuple[types.Diagnostic, ...] = ()
    id: str | None = None
    preview: bool = False
    show_result: bool = True
    instruction: str | None = None

    @classmethod
    def parse(cls, ls: MistralLanguageServer, arguments: tuple[Any, ...]) -> ActionRequest:
        if not arguments or not isinstance(arguments[0], Mapping):
            raise ActionError("the command needs one argument object {uri, range}; see docs/protocol.md")
        raw = arguments[0]
        uri = raw.get("uri")
        if not isinstance(uri, str) or not uri:
            raise ActionError("the command's argument has no 'uri'")
        converter = ls.converter
        try:
            range_ = converter.structure(raw["range"], types.Range) if raw.get("range") else None
            diagnostics = tuple(
                converter.structure(d, types.Diagnostic) for d in raw.get("diagnostics") or ()
            )
        except Exception as exc:
            raise ActionError(f"the command's argument is malformed: {exc}") from None
        version = raw.get("version")
        run_id = raw.get("id")
        instruction = raw.get("instruction")
        return cls(
            uri=uri,
            range=range_,
            version=version if isinstance(version, int) else None,
            diagnostics=diagnostics,
            id=str(run_id) if run_id else None,
            preview=bool(raw.get("preview", False)),
            show_result=bool(raw.get("showResult", True)),
            instruction=instruction if isinstance(instruction, str) and instruction.strip() else None,
        )


@dataclasses.dataclass
class Answer:
    """The model's streamed answer, accumulated."""

    text: str = ""
    thinking_chars: int = 0
    usage: dict[str, int] = dataclasses.field(default_factory=dict)
    finish_reason: str | None = None
    first_token_s: float | None = None


@dataclasses.dataclass
class ActionContext:
    """Everything an action needs while it runs."""

    ls: MistralLanguageServer
    request: ActionRequest
    run: Run
    reporter: RunReporter
    doc: Document
    result: dict[str, Any]

    async def ask(
        self,
        messages: list[dict[str, Any]],
        *,
        response_format: dict[str, Any] | None = None,
        prediction: str | None = None,
    ) -> Answer:
        """Stream the model's answer to the editor and return it whole."""
        answer = await stream_answer(
            self.ls, self.run.action, self.doc.uri, self.reporter, messages,
            response_format=response_format, prediction=prediction,
        )
        if answer.usage:
            self.result["usage"] = answer.usage
        self.result["text"] = answer.text
        return answer


async def stream_answer(
    ls: MistralLanguageServer,
    action: str,
    uri: str,
    reporter: RunReporter,
    messages: list[dict[str, Any]],
    *,
    response_format: dict[str, Any] | None = None,
    prediction: str | None = None,
) -> Answer:
    """One model call with the action's settings, its text streamed through `reporter`."""
    from mistral_lsp.mistral import (
        ChatRequest,
        ConfigurationError,
        Finish,
        TextDelta,
        ThinkingDelta,
        Usage,
    )

    settings = ls.settings
    if not settings.resolved_api_key() and settings.backend == "mistral":
        raise ConfigurationError(
            "no Mistral API key", "set the MISTRAL_API_KEY environment variable or the mistral.apiKey setting"
        )
    client = ls.client()
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
                answer.thinking_chars += len(event.text)
                reporter.thinking()
            elif isinstance(event, Usage):
                answer.usage = {
                    "promptTokens": event.prompt_tokens,
                    "cachedTokens": event.cached_tokens or 0,
                    "completionTokens": event.completion_tokens,
                }
            elif isinstance(event, Finish):
                answer.finish_reason = event.reason
    if answer.usage:
        log.info(
            "%s on %s: %d prompt tokens (%d cached), %d completion tokens, first token after %.0f ms",
            action, uri, answer.usage["promptTokens"], answer.usage["cachedTokens"],
            answer.usage["completionTokens"], 1000 * (answer.first_token_s or 0),
        )
    if answer.finish_reason == "length":
        log.warning("%s answer was cut by maxTokens", action)
    return answer


def prompt_cache_key(uri: str) -> str:
    """One cache key per document, so repeated actions on a file reuse the cached prefix."""
    return "mistral-lsp-" + hashlib.sha256(uri.encode()).hexdigest()[:24]


ActionBody = Callable[[ActionContext], Awaitable[None]]
TargetKey = Callable[[MistralLanguageServer, ActionRequest, Document], tuple[Any, ...]]


async def execute(
    ls: MistralLanguageServer,
    action: str,
    arguments: tuple[Any, ...],
    body: ActionBody,
    target_key: TargetKey,
) -> dict[str, Any]:
    """Run one action from a command; see the module docstring."""
    from mistral_lsp.mistral import MistralError

    await ls.wait_for_settings()
    try:
        request = ActionRequest.parse(ls, arguments)
        doc = ls.documents.get(request.uri)
        if doc is None:
            raise ActionError(f"{request.uri} is not open in the editor; open it and run the action again")
        key = target_key(ls, request, doc)
    except ActionError as exc:
        ls.show_message(f"Mistral: {exc}")
        raise JsonRpcException(message=str(exc), code=REQUEST_FAILED) from None

    run = Run(
        id=request.id or ls.runs.new_id(),
        action=action,
        uri=request.uri,
        target_key=key,
        task=asyncio.current_task(),
        request_id=ls.protocol.msg_id,
    )
    ls.runs.start(run)
    reporter = await RunReporter.open(ls, run, current_work_done_token.get())
    result: dict[str, Any] = {"id": run.id, "action": action, "uri": request.uri, "text": "", "applied": False}
    context = ActionContext(ls, request, run, reporter, doc, result)
    try:
        await body(context)
    except asyncio.CancelledError:
        reason = "superseded by a newer run" if run.superseded else "cancelled"
        reporter.end(reason, cancelled=True)
        result.update(cancelled=True, applied=False, message=f"{reason}; nothing was applied")
        log.info("%s %s %s", action, run.id, reason)
        _uncancel()
        return result
    except (ActionError, MistralError) as exc:
        message = redactor.redact(str(exc))
        reporter.end(f"failed: {message}", error=message)
        ls.show_message(f"Mistral {action} failed: {message}")
        log.warning("%s %s failed: %s", action, run.id, message)
        raise JsonRpcException(message=message, code=REQUEST_FAILED) from None
    except Exception as exc:  # a bug of ours: still a message, never a dead server
        log.exception("%s %s crashed", action, run.id)
        message = f"internal error ({type(exc).__name__}: {redactor.redact(str(exc))}); see the log"
        reporter.end(f"failed: {message}", error=message)
        ls.show_message(f"Mistral {action} failed: {message}")
        raise JsonRpcException(message=message, code=REQUEST_FAILED) from None
    finally:
        ls.runs.finish(run)
    reporter.end(result.get("message") or "done")
    return result


def _uncancel() -> None:
    """Let the task finish normally after we handled its cancellation (Python >= 3.11)."""
    task = asyncio.current_task()
    uncancel = getattr(task, "uncancel", None)
    cancelling = getattr(task, "cancelling", None)
    if uncancel is not None and cancelling is not None:
        while cancelling():
            uncancel()
