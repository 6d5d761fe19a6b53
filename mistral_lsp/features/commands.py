"""`workspace/executeCommand` for `mistral.*`, and `window/workDoneProgress/cancel`.

The four actions run through `actions.base.execute` (stream, progress, cancellation, errors at
the edge). The other commands are instant: cancel runs, accept or reject a previewed fix,
toggle review on save, apply a review suggestion.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException

from mistral_lsp.findings import suggestion_edit
from mistral_lsp.server import REQUEST_FAILED, MistralLanguageServer

# Actions are imported when first run: they pull in the context engine and prompt
# templates, which `initialize` does not need (start-up time is measured in bench/).


async def fix_command(ls: MistralLanguageServer, *arguments: Any) -> dict[str, Any]:
    from mistral_lsp.actions import fix
    from mistral_lsp.actions.base import execute

    return await execute(ls, "fix", arguments, fix.run, fix.target_key)


async def explain_command(ls: MistralLanguageServer, *arguments: Any) -> dict[str, Any]:
    from mistral_lsp.actions import explain
    from mistral_lsp.actions.base import execute

    return await execute(ls, "explain", arguments, explain.run, explain.target_key)


async def review_command(ls: MistralLanguageServer, *arguments: Any) -> dict[str, Any]:
    from mistral_lsp.actions import review
    from mistral_lsp.actions.base import execute

    return await execute(ls, "review", arguments, review.run, review.target_key)


async def tests_command(ls: MistralLanguageServer, *arguments: Any) -> dict[str, Any]:
    from mistral_lsp.actions import tests
    from mistral_lsp.actions.base import execute

    return await execute(ls, "tests", arguments, tests.run, tests.target_key)


def _argument(arguments: tuple[Any, ...]) -> Mapping[str, Any]:
    return arguments[0] if arguments and isinstance(arguments[0], Mapping) else {}


def cancel_command(ls: MistralLanguageServer, *arguments: Any) -> dict[str, Any]:
    run_id = _argument(arguments).get("id")
    return {"cancelled": ls.runs.cancel(str(run_id) if run_id else None)}


async def accept_fix_command(ls: MistralLanguageServer, *arguments: Any) -> dict[str, Any]:
    fix_id = str(_argument(arguments).get("id", ""))
    pending = ls.pending_fixes.pop(fix_id, None)
    if pending is None:
        message = f"there is no previewed fix {fix_id!r} (it was already accepted, rejected or expired)"
        ls.show_message(f"Mistral: {message}", types.MessageType.Warning)
        return {"applied": False, "message": message}
    from mistral_lsp.actions import fix

    applied, refusal, _edit = await fix.apply_fix(ls, pending)
    return {"applied": applied, **({"message": refusal} if refusal else {})}


def reject_fix_command(ls: MistralLanguageServer, *arguments: Any) -> dict[str, Any]:
    fix_id = str(_argument(arguments).get("id", ""))
    return {"rejected": ls.pending_fixes.pop(fix_id, None) is not None}


async def toggle_review_on_save_command(ls: MistralLanguageServer, *arguments: Any) -> dict[str, Any]:
    await ls.wait_for_settings()
    current = ls.settings.review_on_save
    if current:
        # Remember a per-language list, so toggling back on restores it rather than "all".
        ls.review_on_save_before_toggle = current
        new: bool | list[str] = False
    else:
        new = ls.review_on_save_before_toggle or True
    configured = ls.review_on_save_toggle[0] if ls.review_on_save_toggle else current
    ls.review_on_save_toggle = (configured, new)
    ls.settings = dataclasses.replace(ls.settings, review_on_save=new)
    ls.show_message(f"Mistral: review on save is {'on' if new else 'off'}", types.MessageType.Info)
    return {"reviewOnSave": new}


async def apply_suggestion_command(ls: MistralLanguageServer, *arguments: Any) -> dict[str, Any]:
    raw = _argument(arguments)
    doc = ls.documents.get(str(raw.get("uri", "")))
    try:
        diagnostic = ls.converter.structure(raw.get("diagnostic"), types.Diagnostic)
    except Exception:
        diagnostic = None
    if doc is None or diagnostic is None:
        raise JsonRpcException(message="mistral.applySuggestion needs {uri, diagnostic} of an open document", code=REQUEST_FAILED)
    edit = suggestion_edit(doc, diagnostic)
    if edit is None:
        message = "the finding has no replacement or its code has changed"
        ls.show_message(f"Mistral: {message}", types.MessageType.Warning)
        return {"applied": False, "message": message}
    response = await ls.workspace_apply_edit_async(types.ApplyWorkspaceEditParams(edit=edit, label="Mistral: Apply suggestion"))
    return {"applied": response.applied}


def progress_cancelled(ls: MistralLanguageServer, params: types.WorkDoneProgressCancelParams) -> None:
    ls.runs.cancel_progress(params.token)


COMMANDS: dict[str, Callable[..., Any]] = {
    "mistral.fix": fix_command,
    "mistral.explain": explain_command,
    "mistral.review": review_command,
    "mistral.generateTests": tests_command,
    "mistral.cancel": cancel_command,
    "mistral.acceptFix": accept_fix_command,
    "mistral.rejectFix": reject_fix_command,
    "mistral.toggleReviewOnSave": toggle_review_on_save_command,
    "mistral.applySuggestion": apply_suggestion_command,
}
