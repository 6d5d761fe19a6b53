"""Plain LSP clients — every client that does not send `experimental.mistral` — end to end:
commands answer at once and runs finish on their own; edits, explanations and follow-ups reach
clients through what they declared they support (recorded eglot capabilities, and ALE's)."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import client_capabilities

from mistral_lsp.testing.fake_api import FakeMistralAPI, Reply

from ..samples import CART, EXPECTED_AFTER_FIX, FIXED_TOTAL_DEDENTED
from .conftest import Editor, editor_session, rng
from .test_actions import fenced

# What ALE 3.3 declares (autoload/ale/lsp.vim): no applyEdit, no workspaceEdit, no window, no clientInfo.
ALE_CAPABILITIES = types.ClientCapabilities(
    workspace=types.WorkspaceClientCapabilities(apply_edit=False, configuration=False, workspace_folders=False),
    text_document=types.TextDocumentClientCapabilities(
        code_action=types.CodeActionClientCapabilities(
            code_action_literal_support=types.ClientCodeActionLiteralOptions(
                code_action_kind=types.ClientCodeActionKindOptions(value_set=[])
            )
        ),
        publish_diagnostics=types.PublishDiagnosticsClientCapabilities(related_information=True),
    ),
)
REVIEW = {"findings": [{
    "startLine": 10, "endLine": 10, "severity": "warning", "category": "bug", "title": "Discount off by 10x",
    "message": "A percentage discount must be divided by 100.", "snippet": "return subtotal - subtotal * discount / 10",
    "replacement": "return subtotal - subtotal * discount / 100",
}]}






@pytest.fixture
async def ale(fake_api: FakeMistralAPI, tmp_path: Path) -> AsyncIterator[Editor]:
    async for editor in editor_session(fake_api, tmp_path, opt_in=False, capabilities=ALE_CAPABILITIES):
        yield editor


async def test_command_answers_at_once_and_the_fix_lands_later(eglot: Editor) -> None:
    uri = await eglot.open("cart.py", CART)
    eglot.fake.enqueue(Reply(text=fenced(FIXED_TOTAL_DEDENTED), delay_per_chunk=0.3))
    started = await eglot.command("mistral.fix", {"uri": uri, "range": rng(9, 0, 9, 0), "id": "p1"})
    assert started == {"id": "p1", "started": True}
    assert eglot.texts[uri] == CART  # answered before the model did
    await eglot.wait_until(lambda: eglot.texts[uri] == EXPECTED_AFTER_FIX, what="the fix")
    assert eglot.streams == []  # no mistral/stream for a client that did not ask
    # eglot declares documentChanges: the edit is versioned.
    (edit,) = eglot.applied_edits
    assert edit.document_changes and edit.document_changes[0].text_document.version == 1


async def test_a_background_run_is_cancelled_by_mistral_cancel(eglot: Editor) -> None:
    uri = await eglot.open("cart.py", CART)
    eglot.fake.enqueue(Reply(text=fenced(FIXED_TOTAL_DEDENTED), delay_per_chunk=0.5))
    await eglot.command("mistral.fix", {"uri": uri, "range": rng(9, 0, 9, 0), "id": "c1"})
    token = await eglot.wait_until(
        lambda: next((t for t, reports in eglot.client.progress_reports.items() if reports), None),
        what="the progress begin")
    await eglot.wait_until(lambda: any((getattr(r, "message", None) or "").startswith("writing")
                                       for r in eglot.client.progress_reports[token]), what="the answer streaming")
    cancel = await eglot.command("mistral.cancel", {"id": "c1"})
    assert cancel.cancelled == ["c1"]
    await eglot.fake.wait_for_disconnect_async(timeout=5)
    await eglot.wait_until(lambda: isinstance(eglot.client.progress_reports[token][-1], types.WorkDoneProgressEnd),
                           what="the progress end")
    assert eglot.texts[uri] == CART and eglot.applied_edits == []




@pytest.fixture
async def changes_only(fake_api: FakeMistralAPI, tmp_path: Path) -> AsyncIterator[Editor]:
    """applyEdit, but neither documentChanges nor resource operations."""
    capabilities = types.ClientCapabilities(
        workspace=types.WorkspaceClientCapabilities(apply_edit=True), window=types.WindowClientCapabilities(),
    )
    async for editor in editor_session(fake_api, tmp_path, opt_in=False, capabilities=capabilities):
        yield editor


async def test_progress_cancel_cancels_a_background_run(vscode_plain: Editor) -> None:
    editor = vscode_plain
    uri = await editor.open("cart.py", CART)
    editor.fake.enqueue(Reply(text=fenced(FIXED_TOTAL_DEDENTED), delay_per_chunk=0.5))
    await editor.command("mistral.fix", {"uri": uri, "range": rng(9, 0, 9, 0), "id": "pc"})
    token = await editor.wait_until(
        lambda: next((t for t, reports in editor.client.progress_reports.items() if reports), None),
        what="the progress begin")
    editor.client.protocol.notify(types.WINDOW_WORK_DONE_PROGRESS_CANCEL, types.WorkDoneProgressCancelParams(token=token))
    await editor.wait_until(lambda: isinstance(editor.client.progress_reports[token][-1], types.WorkDoneProgressEnd),
                            what="the progress end")
    assert editor.client.progress_reports[token][-1].message == "cancelled"
    assert editor.texts[uri] == CART


async def test_failures_are_shown_once_and_answered_at_once(eglot: Editor) -> None:
    uri = await eglot.open("cart.py", CART)
    eglot.fake.enqueue(Reply(status=401, body={"detail": "Unauthorized"}))
    started = await eglot.command("mistral.review", {"uri": uri, "range": rng(9, 0, 9, 0)})
    assert started.started is True
    await eglot.wait_until(lambda: eglot.messages(types.MessageType.Error), what="the error")
    not_open = await eglot.command("mistral.fix", {"uri": eglot.uri("other.py"), "range": rng(0, 0, 0, 0)})
    assert not_open.started is False and "not open" in not_open.message
    errors = eglot.messages(types.MessageType.Error)
    assert len(errors) == 2 and "rejected the key" in errors[0] and "not open" in errors[1]


async def test_no_apply_edit_writes_the_unmodified_file_and_says_so(ale: Editor) -> None:
    uri = await ale.open("cart.py", CART)
    ale.fake.enqueue(Reply(text=fenced(FIXED_TOTAL_DEDENTED)))
    await ale.command("mistral.fix", {"uri": uri, "range": rng(9, 10, 9, 11)})  # ALE's one-character range
    path = ale.path("cart.py")
    await ale.wait_until(lambda: ale.messages(types.MessageType.Error), what="the notice")
    assert path.read_text(encoding="utf-8") == EXPECTED_AFTER_FIX
    assert ale.applied_edits == []  # never sent workspace/applyEdit
    (notice,) = ale.messages(types.MessageType.Error)  # the one level ALE shows by default
    assert str(path) in notice and "reload" in notice


async def test_no_apply_edit_never_overwrites_unsaved_changes(ale: Editor) -> None:
    uri = await ale.open("cart.py", CART)
    ale.insert_lines(uri, 0, "# unsaved\n")
    ale.fake.enqueue(Reply(text=fenced(FIXED_TOTAL_DEDENTED)))
    await ale.command("mistral.fix", {"uri": uri, "range": rng(10, 0, 10, 0)})
    await ale.wait_until(lambda: ale.messages(types.MessageType.Error), what="the refusal")
    assert "unsaved changes" in ale.messages(types.MessageType.Error)[0]  # the one level ALE shows by default
    assert ale.path("cart.py").read_text(encoding="utf-8") == CART


async def test_tests_and_explanation_without_create_or_show_document(eglot: Editor) -> None:
    uri = await eglot.open("cart.py", CART)
    eglot.fake.enqueue(Reply(text=fenced("def test_round_up():\n    assert round_up(1.2) == 2")),
                       Reply(text="`total` takes off the discount.\n\nSecond line.\n\nThird.\n\nFourth.\n\nFifth."))
    await eglot.command("mistral.generateTests", {"uri": uri, "range": rng(13, 4, 13, 4)})
    test_path = eglot.path("test_cart.py")
    await eglot.wait_until(lambda: eglot.messages(), what="the tests notice")
    # eglot 1.9 has no resourceOperations: the server wrote the new file; no CreateFile was sent.
    assert test_path.read_text(encoding="utf-8") == "def test_round_up():\n    assert round_up(1.2) == 2\n"
    assert eglot.applied_edits == []
    assert f"new tests in {test_path}, line 1" in eglot.messages()[-1]
    await eglot.command("mistral.explain", {"uri": uri, "range": rng(8, 0, 8, 0)})
    await eglot.wait_until(lambda: any("explanation of" in m for m in eglot.messages()), what="the explanation")
    notice = next(m for m in eglot.messages() if "explanation of" in m)
    first, *rest = notice.splitlines()
    markdown = Path(first.split(" in ", 1)[1])
    assert markdown.read_text(encoding="utf-8").endswith("Fifth.\n")
    assert rest == ["`total` takes off the discount.", "Second line.", "Third.", "Fourth.", "…"]


@pytest.fixture
async def eglot_umask_002(fake_api: FakeMistralAPI, tmp_path: Path) -> AsyncIterator[Editor]:
    """eglot, with the server started under umask 002 (a group-writable setup)."""
    previous = os.umask(0o002)
    try:
        async for editor in editor_session(fake_api, tmp_path, opt_in=False, capabilities=client_capabilities("emacs")):
            yield editor
    finally:
        os.umask(previous)


async def test_a_test_file_the_server_creates_honours_the_umask(eglot_umask_002: Editor) -> None:
    eglot = eglot_umask_002
    uri = await eglot.open("cart.py", CART)
    eglot.fake.enqueue(Reply(text=fenced("def test_round_up():\n    assert round_up(1.2) == 2")))
    await eglot.command("mistral.generateTests", {"uri": uri, "range": rng(13, 4, 13, 4)})
    test_path = eglot.path("test_cart.py")
    await eglot.wait_until(lambda: eglot.messages(), what="the tests notice")
    assert eglot.applied_edits == []  # the server wrote the file itself
    # As if the editor had written it: 0666 minus the umask, not a private 0600.
    assert stat.S_IMODE(test_path.stat().st_mode) == 0o664


async def test_changes_instead_of_document_changes(changes_only: Editor) -> None:
    editor = changes_only
    uri = await editor.open("cart.py", CART)
    editor.fake.enqueue(Reply(text=fenced(FIXED_TOTAL_DEDENTED)))
    await editor.command("mistral.fix", {"uri": uri, "range": rng(9, 0, 9, 0)})
    await editor.wait_until(lambda: editor.texts[uri] == EXPECTED_AFTER_FIX, what="the fix")
    (edit,) = editor.applied_edits
    assert edit.document_changes is None and list(edit.changes) == [uri]


async def test_follow_ups_of_findings_stripped_of_source_and_data(ale: Editor) -> None:
    uri = await ale.open("cart.py", CART)
    ale.fake.enqueue(Reply(text=json.dumps(REVIEW)))
    await ale.command("mistral.review", {"uri": uri, "range": rng(9, 0, 9, 0)})
    published = await ale.wait_until(lambda: ale.client.diagnostics.get(uri), what="the findings")
    # What ALE sends back: code, message and range only.
    (ours,) = published
    stripped = types.Diagnostic(range=rng(9, 8, 9, 9), message=ours.message, code=ours.code)
    actions = await ale.code_actions(uri, rng(9, 8, 9, 9), [stripped])
    titles = [a.title for a in actions]
    assert titles[:2] == ["Mistral: Apply suggestion — Discount off by 10x", "Mistral: Explain this finding — Discount off by 10x"]
    suggestion = actions[0]
    # ALE has no documentChanges: the suggestion's edit is plain `changes`.
    assert suggestion.edit is not None and suggestion.edit.document_changes is None
    (edit,) = suggestion.edit.changes[uri]
    assert edit.new_text == "        return subtotal - subtotal * discount / 100"
