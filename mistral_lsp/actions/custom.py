"""A custom action's run (`mistral.custom`): the project's prompt through the machinery of its kind.

The action's template (`.mistral/actions/<id>.md`) is filled — `{{target}}`, `{{language}}`,
`{{selection}}`, `{{instruction}}` — and becomes the task of the built-in action of its kind,
which does everything else as for itself (streaming, cancel, tools where enabled, versioned
edits): an edit runs as fix (the output contract of a fenced replacement of the target, a
minimal versioned edit, `preview`), findings as review (JSON findings published as
diagnostics), markdown as ask's task (a markdown answer, shown as explain shows it). The
action's `reasoningEffort`, when it sets one, is the reasoning effort of its requests.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Literal, cast

import attrs

from mistral_lsp.actions import fix, review
from mistral_lsp.actions.answers import present
from mistral_lsp.actions.custom_actions import custom_action, language_of
from mistral_lsp.prompting.prompts import build_messages

if TYPE_CHECKING:
    from mistral_lsp.actions.editor import Editor
    from mistral_lsp.actions.run import ActionContext
    from mistral_lsp.options import Settings
    from mistral_lsp.project.actions import CustomAction


async def run(ctx: ActionContext) -> None:
    action = custom_action(ctx.editor, ctx.doc, ctx.request)
    ctx.result.action_id = action.id
    if action.reasoning_effort is not None:
        ctx.editor = cast("Editor", _WithEffort(ctx.editor, action.reasoning_effort))
    task = action.render(_placeholders(ctx))
    ctx.request = attrs.evolve(ctx.request, instruction=task)
    if action.kind == "edit":
        await fix.run(ctx)
    elif action.kind == "findings":
        await review.run(ctx)
    else:
        await _markdown(ctx, action)


def _placeholders(ctx: ActionContext) -> dict[str, str]:
    target = ctx.target
    where = f"lines {target.start_line + 1}-{target.end_line + 1}"
    name = f"the {target.kind} `{target.name}` ({where})" if target.name else f"the code at {where}"
    return {
        "target": name,
        "language": language_of(ctx.doc),
        "selection": target.text,
        "instruction": (ctx.request.instruction or "").strip(),
    }


async def _markdown(ctx: ActionContext, action: CustomAction) -> None:
    answer = await ctx.ask(build_messages("ask", ctx.prompt_context(), instruction=ctx.request.instruction))
    answer.require_text("custom")
    if ctx.request.show_result:
        subject = f"{action.title} — {ctx.target.name or f'line {ctx.target.start_line + 1}'}"
        await present(ctx.editor, ctx.doc, subject, answer.text, ctx.result)


class _WithEffort:
    """The editor, with `actions.custom.reasoningEffort` set to the action's own."""

    def __init__(self, editor: Editor, effort: str) -> None:
        self._editor = editor
        self._effort = effort

    @property
    def settings(self) -> Settings:
        settings = self._editor.settings
        effort = cast("Literal['none', 'high']", self._effort)  # checked when the file was read
        custom = dataclasses.replace(settings.action("custom"), reasoning_effort=effort)
        return dataclasses.replace(settings, actions={**settings.actions, "custom": custom})

    def __getattr__(self, name: str) -> Any:
        return getattr(self._editor, name)
