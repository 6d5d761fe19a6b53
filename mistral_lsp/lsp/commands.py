"""`workspace/executeCommand` for `mistral.*`, `window/workDoneProgress/cancel`, and
`$/cancelRequest` of a running command.

Two modes (negotiated in `initialize`, see `capabilities.py`): for our plugins an action's
command resolves when the run ends; every other client gets `{id, started: true}` at once
and the run finishes on its own (Emacs' jsonrpc and lsp-mode time requests out after 10 s).

pygls structures each command's argument object into its `protocol` type, checked first by
`command_arguments` (an argument that does not decode is answered with InvalidParams naming the
field by its wire name, never a Python value). The four actions run
through `actions.run` (stream, progress, cancellation); failures are caught here, at the edge,
and answered with a RequestFailed error carrying the one-line message the user was shown. The
other commands are instant: cancel runs, accept or reject a previewed fix, toggle review on
save, apply a review suggestion.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams

from mistral_lsp.actions.runs import Run
from mistral_lsp.logs import one_line
from mistral_lsp.lsp.command_arguments import argument_problems
from mistral_lsp.lsp.progress import current_work_done_token
from mistral_lsp.lsp.server import REQUEST_FAILED, MistralLanguageServer
from mistral_lsp.lsp.wire import MAX_SHOWN, describe
from mistral_lsp.protocol import (
    ACCEPT_FIX,
    ACTIONS,
    APPLY_SUGGESTION,
    CANCEL,
    COMMANDS,
    CUSTOM,
    LIST_ACTIONS,
    REJECT_FIX,
    TOGGLE_REVIEW_ON_SAVE,
    ActionArguments,
    ActionResult,
    ActionSpec,
    AppliedResult,
    CancelResult,
    CustomActionInfo,
    FixDecisionArguments,
    ListActionsArguments,
    ListActionsResult,
    RejectResult,
    RunArguments,
    RunStarted,
    SuggestionArguments,
    ToggleResult,
)
from mistral_lsp.text.uris import short_uri

if TYPE_CHECKING:
    from mistral_lsp.actions.run import Prepared

log = logging.getLogger(__name__)

# Actions are imported when first run: they pull in the context engine and prompt
# templates, which `initialize` does not need (start-up time is measured in bench/).


def before_execute(ls: MistralLanguageServer, params: types.ExecuteCommandParams) -> None:
    """Protocol hook: remember the request's work-done token for the run, and check the argument
    object so a malformed one is answered with InvalidParams naming the field."""
    current_work_done_token.set(params.work_done_token)
    spec = next((spec for spec in COMMANDS if spec.command == params.command), None)
    if spec is None or spec.arguments is None:
        return
    if not params.arguments:
        if params.command in _ARGUMENT_REQUIRED:
            raise JsonRpcInvalidParams(message=f"invalid argument for {params.command}: it needs one argument object")
        return
    argument = params.arguments[0]
    if not isinstance(argument, dict):
        raise JsonRpcInvalidParams(message=f"invalid argument for {params.command}: arguments[0] must be an object")
    problems = argument_problems(argument, spec.arguments)
    if not problems:
        try:
            ls.converter.structure(argument, spec.arguments)
        except Exception as exc:
            problems = [describe(exc)]
    if problems:
        raise JsonRpcInvalidParams(message=one_line(f"invalid argument for {params.command}: {'; '.join(problems)}", MAX_SHOWN))


# Commands without a default for their argument (the actions' commands answer a missing one
# themselves, naming the fields it needs).
_ARGUMENT_REQUIRED = frozenset({ACCEPT_FIX, REJECT_FIX, APPLY_SUGGESTION, LIST_ACTIONS})


def cancel_request(ls: MistralLanguageServer, request_id: int | str) -> None:
    """Protocol hook: `$/cancelRequest` of a running command cancels its run."""
    ls.session.runs.cancel_request(request_id)


def progress_cancelled(ls: MistralLanguageServer, params: types.WorkDoneProgressCancelParams) -> None:
    ls.session.runs.cancel_progress(params.token)


async def run_action(ls: MistralLanguageServer, spec: ActionSpec, args: ActionArguments | None) -> Any:
    """Run an action. Clients that opt in (`commandsResolveOnCompletion`) get the result when the
    run ends; every other client gets `RunStarted` at once — Emacs gives up on a request after
    10 s — and the run goes on in its own task, its results reaching the editor through LSP."""
    from mistral_lsp.actions.errors import ActionError, BadArguments
    from mistral_lsp.actions.run import prepare

    await ls.wait_for_settings()
    resolve_on_completion = ls.client_features.resolve_on_completion
    try:
        prepared = prepare(ls, spec.name, args)
    except ActionError as exc:
        if isinstance(exc, BadArguments) or resolve_on_completion:
            # The client asked for something it cannot have (no document, no argument): its
            # mistake, answered with the error and logged, not popped up.
            ls.note_client_mistake(f"{spec.command}: {exc}")
            code = JsonRpcInvalidParams.CODE if isinstance(exc, BadArguments) else REQUEST_FAILED
            raise JsonRpcException(message=f"invalid argument for {spec.command}: {exc}" if code != REQUEST_FAILED
                                   else str(exc), code=code) from None
        # A plain client shows no command result: the user is told, and the answer comes at once.
        ls.show_message(f"Mistral: {exc}")
        failed_id = (args.id if args else None) or ls.session.runs.new_id()
        return ls.converter.unstructure(RunStarted(id=failed_id, started=False, message=str(exc)))
    runs = ls.session.runs
    run = Run(
        id=prepared.request.id or runs.new_id(),
        action=spec.name,
        uri=prepared.doc.uri,
        target_key=prepared.key,
        task=asyncio.current_task(),
        request_id=ls.protocol.msg_id if resolve_on_completion else None,
        action_id=prepared.request.action_id,
    )
    if resolve_on_completion:
        runs.start(run)
        return await _perform(ls, spec, prepared, run)
    # The run registry holds the task (the event loop keeps only a weak reference) until the
    # run finishes, in the task's own `finally`.
    run.task = asyncio.get_running_loop().create_task(_perform_in_background(ls, spec, prepared, run))
    runs.start(run)
    started = RunStarted(id=run.id, started=True, conversation_id=prepared.request.conversation_id)
    return ls.converter.unstructure(started)


async def _perform(ls: MistralLanguageServer, spec: ActionSpec, prepared: Prepared, run: Run) -> Any:
    """The run, answered whatever happens to it. A run superseded or cancelled before `perform`
    takes over (while its progress is being set up) still resolves: pygls runs a command in a
    task of its own, and a task that ends cancelled is never answered — the client would wait
    on a run that no longer exists."""
    from mistral_lsp.actions.errors import RunFailed
    from mistral_lsp.actions.run import cancelled_result, perform, uncancel

    try:
        reporter = await ls.open_reporter(run, title=spec.title)
        result: ActionResult = await perform(ls, prepared, run, reporter)
    except RunFailed as failed:
        raise JsonRpcException(message=failed.message, code=REQUEST_FAILED) from None
    except asyncio.CancelledError:
        uncancel()
        result = cancelled_result(prepared, run)
    finally:
        ls.session.runs.finish(run)
    return ls.converter.unstructure(result)


async def _perform_in_background(ls: MistralLanguageServer, spec: ActionSpec, prepared: Prepared, run: Run) -> None:
    """A run nobody awaits: failures were already shown (`perform` shows them); say only what
    the editor would not otherwise see."""
    from mistral_lsp.actions.errors import RunFailed
    from mistral_lsp.actions.run import perform

    try:
        reporter = await ls.open_reporter(run, title=spec.title)
        result: ActionResult = await perform(ls, prepared, run, reporter)
    except RunFailed:
        return
    except asyncio.CancelledError:  # cancelled before perform could take it over
        return
    except Exception:  # a bug of ours: the log has it; the server goes on
        log.exception("%s %s crashed outside the run", spec.name, run.id)
        ls.show_message(f"Mistral {spec.name} failed: internal error; see the log")
        return
    finally:
        ls.session.runs.finish(run)
    if result.action == "review" and not result.cancelled and not result.diagnostics:
        ls.show_notice("Mistral: Review found nothing to report")


def _action_command(spec: ActionSpec) -> Callable[..., Any]:
    async def command(ls: MistralLanguageServer, args: ActionArguments | None = None) -> Any:
        return await run_action(ls, spec, args)

    command.__name__ = f"{spec.name}_command"
    return command


def cancel_command(ls: MistralLanguageServer, args: RunArguments | None = None) -> Any:
    run_id = args.id if args else None
    return ls.converter.unstructure(CancelResult(cancelled=ls.session.runs.cancel(run_id or None)))


async def accept_fix_command(ls: MistralLanguageServer, args: FixDecisionArguments) -> Any:
    """Apply the hunks named (every pending one when none are), each rebased or refused alone."""
    proposal = ls.session.preview(args.id)
    if proposal is None and not ls.session.was_issued(args.id):
        ls.note_client_mistake(f"mistral.acceptFix: no preview was ever made with id {args.id[:40]!r}")
        raise JsonRpcInvalidParams(message=f"invalid argument for mistral.acceptFix: no preview has id {args.id[:40]!r}")
    if proposal is None:
        message = f"there is no previewed fix {args.id[:40]!r} (it was already accepted, rejected or expired)"
        ls.show_message(f"Mistral: {message}", types.MessageType.Warning)
        return ls.converter.unstructure(AppliedResult(applied=False, message=message))
    from mistral_lsp.actions import proposals

    decision, pending = await proposals.accept(ls, proposal, args.hunks)
    if not proposal.hunks:
        ls.session.take_preview(args.id)
    if decision.message:
        ls.show_message(f"Mistral: {decision.message}", types.MessageType.Warning)
    return ls.converter.unstructure(AppliedResult(
        applied=bool(decision.applied), message=decision.message, applied_hunks=decision.applied,
        refused=decision.refused, pending=pending,
    ))


def reject_fix_command(ls: MistralLanguageServer, args: FixDecisionArguments) -> Any:
    """Drop the hunks named, or (none named) the whole proposal."""
    proposal = ls.session.preview(args.id)
    if proposal is None:
        return ls.converter.unstructure(RejectResult(rejected=False))
    if args.hunks is None:
        ls.session.take_preview(args.id)
        return ls.converter.unstructure(RejectResult(rejected=True, pending=[]))
    from mistral_lsp.actions import proposals

    pending = proposals.reject(ls, proposal, args.hunks)
    if not proposal.hunks:
        ls.session.take_preview(args.id)
    return ls.converter.unstructure(RejectResult(rejected=True, pending=pending))


async def toggle_review_on_save_command(ls: MistralLanguageServer, *_: Any) -> Any:
    await ls.wait_for_settings()
    ls.replace_settings(ls.session.toggle_review_on_save(ls.settings))
    new = ls.settings.review_on_save
    if new:
        # Turned on: the open documents' cached findings come back at once, as on didOpen
        # (a client that restarted the server and toggled it back on gets its Problems back).
        from mistral_lsp.actions.review_on_save import review_on_save

        for doc in ls.documents:
            review_on_save(ls).opened(doc.uri)
    ls.show_message(f"Mistral: review on save is {'on' if new else 'off'}", types.MessageType.Info)
    return ls.converter.unstructure(ToggleResult(review_on_save=new))


async def apply_suggestion_command(ls: MistralLanguageServer, args: SuggestionArguments) -> Any:
    doc = ls.documents.get(args.uri)
    if doc is None:
        raise JsonRpcException(
            message=f"{short_uri(args.uri)} is not open in the editor (mistral.applySuggestion needs an open document); "
                    "open it and apply the suggestion again",
            code=REQUEST_FAILED,
        )
    # review.findings loads the syntax layer, which answering `initialize` does not need.
    from mistral_lsp.review.findings import suggestion_edit

    edit = suggestion_edit(doc, args.diagnostic)
    if edit is None:
        message = "the finding has no replacement or its code has changed"
        ls.show_message(f"Mistral: {message}", types.MessageType.Warning)
        return ls.converter.unstructure(AppliedResult(applied=False, message=message))
    response = await ls.apply_edit(edit, "Mistral: Apply suggestion")
    return ls.converter.unstructure(AppliedResult(applied=response.applied))


def list_actions_command(ls: MistralLanguageServer, args: ListActionsArguments) -> Any:
    """The custom actions that apply to the document (for the plugins' menus); from memory."""
    from mistral_lsp.actions.custom_actions import applicable

    doc = ls.documents.get(args.uri)
    found = applicable(ls, doc) if doc is not None else []
    infos = [
        CustomActionInfo(id=a.id, title=a.title, kind=a.kind, languages=list(a.languages) or None)  # type: ignore[arg-type]
        for a in found
    ]
    return ls.converter.unstructure(ListActionsResult(actions=infos))


COMMAND_HANDLERS: dict[str, Callable[..., Any]] = {
    **{spec.command: _action_command(spec) for spec in ACTIONS},
    CUSTOM.command: _action_command(CUSTOM),
    LIST_ACTIONS: list_actions_command,
    CANCEL: cancel_command,
    ACCEPT_FIX: accept_fix_command,
    REJECT_FIX: reject_fix_command,
    TOGGLE_REVIEW_ON_SAVE: toggle_review_on_save_command,
    APPLY_SUGGESTION: apply_suggestion_command,
}
