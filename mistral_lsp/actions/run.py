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
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from mistral_lsp.actions.errors import ActionError, RunFailed
from mistral_lsp.actions.model_call import Answer, stream_answer
from mistral_lsp.actions.target import select, target_key
from mistral_lsp.logs import redactor
from mistral_lsp.protocol import ActionArguments, ActionResult

if TYPE_CHECKING:
    from mistral_lsp.actions.editor import Editor, Reporter
    from mistral_lsp.actions.runs import Run
    from mistral_lsp.prompting.context import PromptContext
    from mistral_lsp.syntax.document import Document
    from mistral_lsp.syntax.targets import Target

log = logging.getLogger(__name__)


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
        raise ActionError("the command needs one argument object {uri, range}; see docs/protocol.md")
    if not request.uri:
        raise ActionError("the command's argument has no 'uri'")
    doc = editor.documents.get(request.uri)
    if doc is None:
        raise ActionError(f"{request.uri} is not open in the editor; open it and run the action again")
    target = select(action, doc, _normalized(request.range))
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
        from mistral_lsp.prompting.context import build_context

        return build_context(
            self.doc, self.target.range, diagnostics=self.request.diagnostics,
            budget_tokens=self.editor.settings.context_tokens, target=self.target,
        )

    async def ask(
        self,
        messages: list[dict[str, Any]],
        *,
        response_format: dict[str, Any] | None = None,
        prediction: str | None = None,
    ) -> Answer:
        """Stream the model's answer to the editor and return it whole."""
        answer = await stream_answer(
            self.editor, self.run.action, self.doc.uri, self.reporter, messages,
            response_format=response_format, prediction=prediction,
        )
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
    from mistral_lsp.mistral import MistralError

    action = prepared.action
    result = ActionResult(id=run.id, action=action, uri=prepared.doc.uri)  # type: ignore[arg-type]
    context = ActionContext(editor, prepared.request, prepared.doc, prepared.target, run, reporter, result)
    try:
        await body_of(action)(context)
    except asyncio.CancelledError:
        reason = "superseded by a newer run" if run.superseded else "cancelled"
        reporter.end(reason, cancelled=True)
        result.cancelled, result.applied = True, False
        result.message = f"{reason}; nothing was applied"
        log.info("%s %s %s", action, run.id, reason)
        _uncancel()
        return result
    except (ActionError, MistralError) as exc:
        message = redactor.redact(str(exc))
        reporter.end(f"failed: {message}", error=message)
        editor.show_message(f"Mistral {action} failed: {message}")
        log.warning("%s %s failed: %s", action, run.id, message)
        raise RunFailed(message) from None
    except Exception as exc:  # a bug of ours: still a message, never a dead server
        log.exception("%s %s crashed", action, run.id)
        message = f"internal error ({type(exc).__name__}: {redactor.redact(str(exc))}); see the log"
        reporter.end(f"failed: {message}", error=message)
        editor.show_message(f"Mistral {action} failed: {message}")
        raise RunFailed(message) from None
    reporter.end(result.message or "done")
    return result


def _uncancel() -> None:
    """Let the task finish normally after we handled its cancellation (Python >= 3.11)."""
    task = asyncio.current_task()
    uncancel = getattr(task, "uncancel", None)
    cancelling = getattr(task, "cancelling", None)
    if uncancel is not None and cancelling is not None:
        while cancelling():
            uncancel()
