"""Generate tests: new tests for the target, appended to the project's test file for it.

The test file follows the convention in `testfiles`. When it exists, its head (imports,
fixtures) goes into the prompt so the new tests reuse them. The result is one workspace edit —
`CreateFile` with `ignoreIfExists` plus an insert after the file's last line — so nothing is
ever overwritten; then `window/showDocument` opens the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.uris import from_fs_path, to_fs_path

from mistral_lsp.actions.base import ActionContext, ActionError, ActionRequest
from mistral_lsp.replies import extract_code_block
from mistral_lsp.server import MistralLanguageServer
from mistral_lsp.syntax.document import Document
from mistral_lsp.testfiles import conventional_test_file, project_root

# The part of an existing test file that shows its imports and fixtures.
_EXISTING_HEAD_LINES = 80


def target_key(ls: MistralLanguageServer, request: ActionRequest, doc: Document) -> tuple[Any, ...]:
    from mistral_lsp.actions.fix import target_key as fix_target_key

    return fix_target_key(ls, request, doc)


def _workspace_roots(ls: MistralLanguageServer) -> list[Path]:
    roots = []
    for folder in ls.workspace.folders.values():
        path = to_fs_path(folder.uri)
        if path:
            roots.append(Path(path))
    if ls.workspace.root_path:
        roots.append(Path(ls.workspace.root_path))
    return roots


def _existing_text(ls: MistralLanguageServer, path: Path) -> tuple[str | None, int | None]:
    uri = from_fs_path(str(path)) or path.as_uri()
    open_doc = ls.documents.get(uri)
    if open_doc is not None:
        return open_doc.text, open_doc.version
    try:
        return path.read_text(encoding="utf-8"), None
    except FileNotFoundError:
        return None, None
    except (OSError, UnicodeDecodeError) as exc:
        raise ActionError(f"cannot read the test file {path}: {exc}") from None


async def run(ctx: ActionContext) -> None:
    from mistral_lsp.actions.fix import _select
    from mistral_lsp.context import build_context
    from mistral_lsp.prompts import TestFileContext, build_messages

    ls, doc, request = ctx.ls, ctx.doc, ctx.request
    source_path = to_fs_path(doc.uri)
    if not source_path:
        raise ActionError("tests can only be generated for files on disk")
    source = Path(source_path)
    language = doc.language.name if doc.language else (doc.language_id or source.suffix.lstrip("."))
    root = project_root(source, _workspace_roots(ls))
    test_path = conventional_test_file(source, language, root)
    same_file = test_path == source
    existing, existing_version = (doc.text, doc.version) if same_file else _existing_text(ls, test_path)

    target = _select(ls, request, doc)
    context = build_context(
        doc, target.range, diagnostics=request.diagnostics, budget_tokens=ls.settings.context_tokens, target=target,
        workspace=ls.workspace_index, line_anchors=ls.settings.line_anchors,
    )
    ctx.result["context"] = context.summary()
    head = "\n".join(existing.splitlines()[:_EXISTING_HEAD_LINES]) if existing and not same_file else None
    test_context = TestFileContext(
        path=_relative(test_path, root), exists=existing is not None, head=head, same_file=same_file,
        source_path=_relative(source, root),
    )
    answer = await ctx.ask(build_messages("tests", context, instruction=request.instruction, test_file=test_context))
    code = extract_code_block(answer.text)
    if code is None:
        raise ActionError("the model's answer held no test code; run Generate tests again")

    test_uri = from_fs_path(str(test_path)) or test_path.as_uri()
    edit, first_line = _append_edit(ls, test_uri, existing, existing_version, code, create=existing is None)
    response = await ls.workspace_apply_edit_async(
        types.ApplyWorkspaceEditParams(edit=edit, label="Mistral: Generate tests")
    )
    ctx.result.update(applied=response.applied, testUri=test_uri)
    if not response.applied:
        reason = response.failure_reason or "the editor refused the edit"
        ctx.result["message"] = f"the tests were not written: {reason}"
        ls.show_message(f"Mistral: the tests were not written: {reason}", types.MessageType.Warning)
        return
    if request.show_result:
        window = ls.client_capabilities.window
        if window and window.show_document and window.show_document.support:
            # Put the cursor on the new tests, not at the top of a long test file.
            at = types.Position(line=first_line, character=0)
            await ls.window_show_document_async(
                types.ShowDocumentParams(uri=test_uri, take_focus=True, selection=types.Range(start=at, end=at))
            )


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _append_edit(
    ls: MistralLanguageServer, uri: str, existing: str | None, version: int | None, code: str, *, create: bool
) -> tuple[types.WorkspaceEdit, int]:
    """Insert after the last line of the (possibly new) test file; never replace anything.

    Also returns the line where the inserted tests start."""
    changes: list[Any] = []
    if create:
        changes.append(types.CreateFile(uri=uri, options=types.CreateFileOptions(ignore_if_exists=True)))
        position = types.Position(line=0, character=0)
        new_text = code.rstrip("\n") + "\n"
        first_line = 0
    else:
        text = existing or ""
        last = max(len(text.splitlines()) - 1, 0)
        # The end of the last line's text, in the session's position encoding.
        encoding = str(ls.workspace.position_encoding or types.PositionEncodingKind.Utf16)
        position = Document(uri, text, encoding=encoding).line_range(last, last).end
        # Inserted before the file's final newline, which then ends the new tests.
        new_text = ("\n\n" + code.rstrip("\n")) if text.strip() else code.rstrip("\n") + "\n"
        first_line = last + 2 if text.strip() else last
    changes.append(
        types.TextDocumentEdit(
            text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version),
            edits=[types.TextEdit(range=types.Range(start=position, end=position), new_text=new_text)],
        )
    )
    return types.WorkspaceEdit(document_changes=changes), first_line
