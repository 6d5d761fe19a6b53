"""Generate tests: new tests for the target, appended to the project's test file for it.

The test file follows the convention in `text/testfiles.py`. When it exists, its head (imports,
fixtures) goes into the prompt so the new tests reuse them. The result is one workspace edit —
`CreateFile` with `ignoreIfExists` plus an insert after the file's last line, and the new
tests' imports merged into the file's import block — so nothing is ever overwritten; then
`window/showDocument` opens the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from mistral_lsp.actions.errors import ActionError
from mistral_lsp.prompting.prompts import TestFileContext, build_messages
from mistral_lsp.syntax.document import Document
from mistral_lsp.text.imports import split_imports
from mistral_lsp.text.testfiles import conventional_test_file, project_root
from mistral_lsp.text.uris import from_path, to_path

if TYPE_CHECKING:
    from mistral_lsp.actions.editor import Editor
    from mistral_lsp.actions.run import ActionContext

# The part of an existing test file that shows its imports and fixtures.
_EXISTING_HEAD_LINES = 80


def _existing_text(editor: Editor, path: Path) -> tuple[str | None, int | None]:
    open_doc = editor.documents.get(from_path(path))
    if open_doc is not None:
        return open_doc.text, open_doc.version
    try:
        return path.read_text(encoding="utf-8"), None
    except FileNotFoundError:
        return None, None
    except (OSError, UnicodeDecodeError) as exc:
        raise ActionError(f"cannot read the test file {path}: {exc}") from None


async def run(ctx: ActionContext) -> None:
    editor, doc, request = ctx.editor, ctx.doc, ctx.request
    source = to_path(doc.uri)
    if source is None:
        raise ActionError("tests can only be generated for files on disk")
    language = doc.language.name if doc.language else (doc.language_id or source.suffix.lstrip("."))
    root = project_root(source, editor.workspace_roots())
    test_path = conventional_test_file(source, language, root)
    same_file = test_path == source
    existing, existing_version = (doc.text, doc.version) if same_file else _existing_text(editor, test_path)

    head = "\n".join(existing.splitlines()[:_EXISTING_HEAD_LINES]) if existing and not same_file else None
    test_context = TestFileContext(
        path=_relative(test_path, root), exists=existing is not None, head=head, same_file=same_file,
        source_path=_relative(source, root),
    )
    answer = await ctx.ask(
        build_messages("tests", ctx.prompt_context(), instruction=request.instruction, test_file=test_context)
    )
    code = answer.require_code("tests")

    test_uri = from_path(test_path)
    edit, first_line = _append_edit(editor, test_uri, existing, existing_version, code, create=existing is None,
                                    language=language)
    response = await editor.apply_edit(edit, "Mistral: Generate tests")
    ctx.result.applied, ctx.result.test_uri = response.applied, test_uri
    ctx.result.test_file_created = existing is None if response.applied else None
    if not response.applied:
        reason = response.failure_reason or "the editor refused the edit"
        ctx.result.message = f"the tests were not written: {reason}"
        editor.show_message(f"Mistral: the tests were not written: {reason}", types.MessageType.Warning)
        return
    if not request.show_result:
        return
    # Put the cursor on the new tests, not at the top of a long test file.
    at = types.Position(line=first_line, character=0)
    if not (editor.can_show_document() and await editor.show_document(
        types.ShowDocumentParams(uri=test_uri, take_focus=True, selection=types.Range(start=at, end=at))
    )):
        editor.show_notice(f"Mistral: new tests in {test_path}, line {first_line + 1}")


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _append_edit(
    editor: Editor, uri: str, existing: str | None, version: int | None, code: str, *, create: bool, language: str
) -> tuple[types.WorkspaceEdit, int]:
    """Insert after the last line of the (possibly new) test file; never replace anything. The
    tests' own imports join the file's import block instead (`text/imports.py`).

    Also returns the line where the inserted tests start."""
    changes: list[Any] = []
    edits: list[types.TextEdit] = []
    if create:
        changes.append(types.CreateFile(uri=uri, options=types.CreateFileOptions(ignore_if_exists=True)))
        position = types.Position(line=0, character=0)
        new_text = code.rstrip("\n") + "\n"
        first_line = 0
    else:
        text = existing or ""
        document = Document(uri, text, encoding=editor.position_encoding)
        split = split_imports(text, code, language)
        added = 0
        if split.imports:
            block = "\n".join(split.imports)
            added = block.count("\n") + 1
            if split.after_line + 1 < len(document.lines):
                at = types.Position(line=split.after_line + 1, character=0)
                edits.append(types.TextEdit(range=types.Range(start=at, end=at), new_text=block + "\n"))
            else:  # the file is only imports, without a final newline
                end = document.line_range(split.after_line, split.after_line).end
                edits.append(types.TextEdit(range=types.Range(start=end, end=end), new_text="\n" + block))
            code = split.body
        last = max(len(text.splitlines()) - 1, 0)
        # The end of the last line's text, in the session's position encoding.
        position = document.line_range(last, last).end
        # Inserted before the file's final newline, which then ends the new tests.
        new_text = ("\n\n" + code.rstrip("\n")) if text.strip() else code.rstrip("\n") + "\n"
        first_line = (last + 2 if text.strip() else last) + added
    edits.append(types.TextEdit(range=types.Range(start=position, end=position), new_text=new_text))
    changes.append(
        types.TextDocumentEdit(
            text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version),
            edits=list(edits),
        )
    )
    return types.WorkspaceEdit(document_changes=changes), first_line
