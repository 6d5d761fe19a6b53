"""Running one action: prepare the request, call the action's body, and end the run well.

`prepare` checks the request and selects the target (once per run). `perform` calls the
action's body with an `ActionContext`, and turns every way a run can end into one outcome:
a result, a cancelled result, or `RunFailed` after the user was shown one line naming the
cause and the fix (see `errors.py`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, NoReturn

import attrs
from lsprotocol import types

from mistral_lsp.actions.conversations import checked_request
from mistral_lsp.actions.errors import ActionError, BadArguments, RunFailed
from mistral_lsp.actions.model_call import Answer, stream_answer, toolbox_for
from mistral_lsp.actions.target import covers_file, select, target_key
from mistral_lsp.logs import one_line, redactor
from mistral_lsp.mistral import MistralError
from mistral_lsp.mistral.errors import KEY_HINT
from mistral_lsp.prompting.context import build_context
from mistral_lsp.protocol import ActionArguments, ActionResult, ContextSummary
from mistral_lsp.review.scope import binary_reason
from mistral_lsp.text.edits import RebaseError
from mistral_lsp.text.uris import short_uri

if TYPE_CHECKING:
    from mistral_lsp.actions.editor import Editor, Reporter
    from mistral_lsp.actions.runs import Run
    from mistral_lsp.prompting.context import PromptContext
    from mistral_lsp.syntax.document import Document
    from mistral_lsp.syntax.targets import Target

log = logging.getLogger(__name__)

# What the user is shown of a failure, at most (the command's error carries the same line).
MAX_MESSAGE = 280


@dataclasses.dataclass(frozen=True)
class Prepared:
    """A request checked against the open documents, with its target selected."""

    action: str
    request: ActionArguments
    doc: Document
    target: Target
    key: tuple[Any, ...]


def prepare(editor: Editor, action: str, request: ActionArguments | None) -> Prepared:
    """Check `request` and select its target; `ActionError` says what is wrong."""
    if request is None:
        raise BadArguments("the command needs one argument object {uri, range}; see docs/protocol.md")
    if not request.uri:
        raise BadArguments("uri is missing")
    doc = editor.documents.get(request.uri)
    if doc is None:
        raise ActionError(f"{short_uri(request.uri)} is not open in the editor; open it and run the action again")
    binary = binary_reason(doc.text)
    if binary is not None:
        raise ActionError(f"{short_uri(doc.uri)} was not sent to the model: {binary}; Mistral works on text files only")
    check_range(doc, _normalized(request.range))  # what the client sent, before ask's own checks
    request = checked_request(editor.session, action, request)  # ask: a question, a live conversation
    range_ = _normalized(request.range)
    check_range(doc, range_)  # a follow-up's range is its conversation's, which may have moved
    if action == "review" and covers_file(doc, range_):
        check_whole_file_review(doc, editor.settings.review_max_file_lines)
    target = select(action, doc, range_)
    return Prepared(action, request, doc, target, target_key(doc, target))


def _normalized(range_: types.Range | None) -> types.Range | None:
    """The range with its start first (eglot 1.9 can send the end before the start), and one
    character on one line read as a cursor (ALE sends the character under the cursor)."""
    if range_ is None:
        return None
    start, end = range_.start, range_.end
    if (end.line, end.character) < (start.line, start.character):
        start, end = end, start
    if start.line == end.line and end.character - start.character <= 1:
        return types.Range(start=start, end=start)
    return types.Range(start=start, end=end)


def check_range(doc: Document, range_: types.Range | None) -> None:
    """A range the document can hold: lines that exist (a character past a line's end means its
    end, as LSP says). Anything else is the client's mistake."""
    if range_ is None:
        return
    lines = max(len(doc.lines), 1)
    for name, position in (("range.start", range_.start), ("range.end", range_.end)):
        if position.line > lines:
            raise BadArguments(f"{name}.line {position.line} is outside the document ({lines} lines)")


def check_whole_file_review(doc: Document, max_lines: int) -> None:
    """Review of a whole file respects `reviewMaxFileLines` as review on save does: a file over
    it would be one huge request (20,000 lines are ~300 KB). The user is told how to review it:
    a selection or the definition at the cursor, or the whole file by raising the setting."""
    lines = len(doc.lines) - (1 if doc.lines and doc.lines[-1] == "" else 0)  # as the editor counts
    if lines > max_lines:
        raise ActionError(
            f"{short_uri(doc.uri, 60)} has {lines:,} lines, over mistral.reviewMaxFileLines ({max_lines:,}): not "
            "sent whole; review a selection or the definition at the cursor, or raise the setting to review the "
            "whole file"
        )


@dataclasses.dataclass
class ActionContext:
    """Everything an action's body needs while it runs."""

    editor: Editor
    request: ActionArguments
    doc: Document
    target: Target
    run: Run
    reporter: Reporter
    result: ActionResult

    def prompt_context(self) -> PromptContext:
        """The budgeted context around the target, for the prompt."""
        context = build_context(
            self.doc, self.target.range, diagnostics=self.request.diagnostics,
            budget_tokens=self.editor.settings.context_tokens, target=self.target,
            workspace=self.editor.workspace_index, line_anchors=self.editor.settings.line_anchors,
        )
        self.result.context = ContextSummary(files=list(context.files or [context.path]), tokens=context.tokens)
        return context

    async def ask(
        self,
        messages: list[dict[str, Any]],
        *,
        response_format: dict[str, Any] | None = None,
        prediction: str | None = None,
    ) -> Answer:
        """Stream the model's answer to the editor and return it whole (with the workspace tools
        the settings give this action)."""
        tools = toolbox_for(self.editor, self.run.action, self.doc.uri)
        answer = await stream_answer(
            self.editor, self.run.action, self.doc.uri, self.reporter, messages,
            response_format=response_format, prediction=prediction, tools=tools,
        )
        if tools is not None and tools.lookups:
            context = self.result.context or ContextSummary(files=[], tokens=0)
            self.result.context = attrs.evolve(context, lookups=list(tools.lookups))
        if answer.usage:
            self.result.usage = answer.usage
        self.result.text = answer.text
        return answer


ActionBody = Callable[[ActionContext], Awaitable[None]]


def body_of(action: str) -> ActionBody:
    """The action's body, imported on first use: `initialize` does not need the actions."""
    module = importlib.import_module(f"mistral_lsp.actions.{action}")
    body: ActionBody = module.run
    return body


async def perform(editor: Editor, prepared: Prepared, run: Run, reporter: Reporter) -> ActionResult:
    """Run `prepared` as `run`; see the module docstring."""
    action = prepared.action
    result = ActionResult(id=run.id, action=action, uri=prepared.doc.uri)  # type: ignore[arg-type]
    context = ActionContext(editor, prepared.request, prepared.doc, prepared.target, run, reporter, result)
    try:
        await body_of(action)(context)
    except asyncio.CancelledError:
        reporter.end(cancellation_reason(run), cancelled=True)
        uncancel()
        return cancelled_result(prepared, run, result)
    except (ActionError, MistralError, RebaseError) as exc:  # expected: one line, traceback at DEBUG
        message = failure_message(editor, exc)
        log.warning("%s %s failed: %s", action, run.id, message)
        log.debug("%s %s failed", action, run.id, exc_info=True)
        _fail(editor, reporter, action, message)
    except Exception:  # a bug of ours: still a message, never a dead server
        log.exception("%s %s crashed", action, run.id)
        _fail(editor, reporter, action, "internal error in mistral-lsp; see its log and report the bug")
    reporter.end(result.message or "done", hunks=result.hunks)
    return result


def cancellation_reason(run: Run) -> str:
    """Why `run` ended early, naming the run that replaced it when one did."""
    return f"superseded by run {run.superseded_by} (same action, same target)" if run.superseded_by else "cancelled"


def cancelled_result(prepared: Prepared, run: Run, result: ActionResult | None = None) -> ActionResult:
    """The answer of a run that was cancelled or superseded: nothing applied, and why."""
    result = result or ActionResult(id=run.id, action=prepared.action, uri=prepared.doc.uri)  # type: ignore[arg-type]
    reason = cancellation_reason(run)
    result.cancelled, result.applied = True, False
    result.message = f"{reason}; nothing was applied"
    log.info("%s %s %s", prepared.action, run.id, reason)
    return result


def failure_message(editor: Editor, exc: BaseException) -> str:
    """The one line a user is shown for an expected failure: the cause, then the remedy."""
    if isinstance(exc, MistralError) and exc.hint == KEY_HINT:
        text = f"{exc.message}; {editor.key_hint}"  # the remedy in the words of this editor's plugin
    else:
        text = str(exc)
    return one_line(redactor.redact(text), MAX_MESSAGE)


def _fail(editor: Editor, reporter: Reporter, action: str, message: str) -> NoReturn:
    """Tell the user once (the stream's `error`, and a message), then end the command with it."""
    reporter.end(f"failed: {message}", error=message)
    editor.show_message(f"Mistral {action} failed: {message}")
    raise RunFailed(message) from None


def uncancel() -> None:
    """Let the task finish normally after we handled its cancellation (Python >= 3.11; on 3.10
    a handled cancellation leaves nothing pending, as a run is cancelled once)."""
    task = asyncio.current_task()
    uncancel = getattr(task, "uncancel", None)
    cancelling = getattr(task, "cancelling", None)
    if uncancel is not None and cancelling is not None:
        while cancelling():
            uncancel()
