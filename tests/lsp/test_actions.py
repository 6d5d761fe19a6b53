"""The four actions end to end: real server over stdio, recorded Neovim and VS Code client
capabilities, the loopback fake API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lsprotocol import types

from mistral_lsp.testing.fake_api import Reply

from ..samples import CART, EXPECTED_AFTER_FIX, FIXED_TOTAL_DEDENTED
from .conftest import API_KEY, Editor, pos, rng


def fenced(code: str, lang: str = "python") -> str:
    return f"Here is the fix:\n\n```{lang}\n{code}\n```\n\nThe discount is a percentage."


async def test_fix_applies_minimal_edit_reindented(editor: Editor) -> None:
    uri = await editor.open("cart.py", CART)
    editor.fake.enqueue(Reply(text=fenced(FIXED_TOTAL_DEDENTED)))
    result = await editor.command("mistral.fix", {"uri": uri, "range": rng(9, 10, 9, 10)})
    assert result.applied is True
    assert editor.texts[uri] == EXPECTED_AFTER_FIX
    # Minimal: one edit touching only the changed characters, not the whole method.
    (edit,) = editor.applied_edits
    (doc_edit,) = edit.document_changes
    assert [e.new_text for e in doc_edit.edits] == ["0"]
    assert doc_edit.text_document.version == 1
    request = editor.fake.requests[-1].json
    target_text = "\n".join(CART.splitlines()[7:10])
    assert request["prediction"] == {"type": "content", "content": target_text}
    assert request["prompt_cache_key"].startswith("mistral-lsp-")
    assert request["reasoning_effort"] == "high"
    assert result.usage["promptTokens"] > 0


async def test_streams_progress_and_deltas(editor: Editor) -> None:
    uri = await editor.open("cart.py", CART)
    reply = fenced(FIXED_TOTAL_DEDENTED)
    editor.fake.enqueue(Reply(text=reply, thinking="Let me think about the discount."))
    result = await editor.command("mistral.fix", {"uri": uri, "range": rng(9, 0, 9, 0), "id": "run-1"})
    assert result.id == "run-1"
    assert editor.stream_text("run-1") == reply
    done = editor.done("run-1")
    assert done is not None
    hunks = done.pop("hunks")
    assert done == {"id": "run-1", "action": "fix", "uri": uri, "done": True}
    # The done notification carries the proposal: one hunk, the whole changed line.
    assert [(h.id, h.range.start.line, h.range.end.line, h.newText, h.version) for h in hunks] == [
        ("h1", 9, 10, "        return subtotal - subtotal * discount / 100\n", 1)
    ]
    # Thinking never reaches the text, the code or the result.
    assert "Let me think" not in editor.texts[uri]
    assert "Let me think" not in result.text
    reports = [r for token_reports in editor.client.progress_reports.values() for r in token_reports]
    assert isinstance(reports[0], types.WorkDoneProgressBegin) and reports[0].title == "Mistral: Fix"
    assert any(isinstance(r, types.WorkDoneProgressReport) and r.message == "thinking…" for r in reports)
    assert isinstance(reports[-1], types.WorkDoneProgressEnd) and reports[-1].message == "done"


async def test_fix_rebased_when_document_edited_elsewhere(editor: Editor) -> None:
    uri = await editor.open("cart.py", CART)
    editor.fake.enqueue(Reply(text=fenced(FIXED_TOTAL_DEDENTED), chunks=None, delay_per_chunk=0.15))
    task = editor.run_command("mistral.fix", {"uri": uri, "range": rng(9, 0, 9, 0), "id": "rebase"})
    await editor.wait_until(lambda: editor.stream_text("rebase"), what="the first streamed text")
    editor.insert_lines(uri, 0, "# a comment typed while the model answers\n")
    result = await task
    assert result.applied is True
    assert editor.texts[uri] == "# a comment typed while the model answers\n" + EXPECTED_AFTER_FIX


async def test_fix_refused_when_target_edited(editor: Editor) -> None:
    uri = await editor.open("cart.py", CART)
    editor.fake.enqueue(Reply(text=fenced(FIXED_TOTAL_DEDENTED), delay_per_chunk=0.15))
    task = editor.run_command("mistral.fix", {"uri": uri, "range": rng(9, 0, 9, 0), "id": "stale"})
    await editor.wait_until(lambda: editor.stream_text("stale"), what="the first streamed text")
    editor.edit(uri, [types.TextEdit(range=rng(8, 8, 8, 16), new_text="total")])
    expected = editor.texts[uri]
    result = await task
    assert result.applied is False
    assert editor.texts[uri] == expected
    assert "edited while it answered" in result.message
    assert any("edited while it answered" in m for m in editor.messages(types.MessageType.Warning))


async def test_cancel_closes_the_stream_and_applies_nothing(editor: Editor) -> None:
    uri = await editor.open("cart.py", CART)
    # One chunk, then a minute's pause: the cancel must close the stream inside the pause.
    editor.fake.enqueue(Reply(text=fenced(FIXED_TOTAL_DEDENTED), delay_per_chunk=60))
    task = editor.run_command("mistral.fix", {"uri": uri, "range": rng(9, 0, 9, 0), "id": "c1"})
    await editor.wait_until(lambda: editor.stream_text("c1"), what="the first streamed text")
    cancel = await editor.command("mistral.cancel", {"id": "c1"})
    assert cancel.cancelled == ["c1"]
    disconnect = await editor.fake.wait_for_disconnect_async(timeout=20)
    assert disconnect.chunks_sent == 1  # closed before the model sent anything more
    result = await task
    assert result.cancelled is True and result.applied is False
    assert editor.texts[uri] == CART
    assert editor.done("c1")["cancelled"] is True
    ends = [r for rs in editor.client.progress_reports.values() for r in rs if isinstance(r, types.WorkDoneProgressEnd)]
    assert ends[-1].message == "cancelled"


async def test_cancel_request_cancels_the_run(editor: Editor) -> None:
    uri = await editor.open("cart.py", CART)
    editor.fake.enqueue(Reply(text=fenced(FIXED_TOTAL_DEDENTED), delay_per_chunk=0.5))
    params = types.ExecuteCommandParams(command="mistral.fix", arguments=[{"uri": uri, "range": rng(9, 0, 9, 0), "id": "c2"}])
    request = editor.client.protocol.send_request(types.WORKSPACE_EXECUTE_COMMAND, params, msg_id="exec-c2")
    await editor.wait_until(lambda: editor.stream_text("c2"), what="the first streamed text")
    editor.client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="exec-c2"))
    await editor.fake.wait_for_disconnect_async(timeout=5)
    del request
    await editor.wait_until(lambda: editor.done("c2"), what="the run to end")
    assert editor.done("c2")["cancelled"] is True
    assert editor.texts[uri] == CART


async def test_new_run_on_same_target_supersedes_the_old(editor: Editor) -> None:
    uri = await editor.open("cart.py", CART)
    editor.fake.enqueue(Reply(text=fenced(FIXED_TOTAL_DEDENTED), delay_per_chunk=0.5), Reply(text=fenced(FIXED_TOTAL_DEDENTED)))
    first = editor.run_command("mistral.fix", {"uri": uri, "range": rng(9, 0, 9, 0), "id": "old"})
    await editor.wait_until(lambda: editor.stream_text("old"), what="the first streamed text")
    second = await editor.command("mistral.fix", {"uri": uri, "range": rng(8, 4, 8, 4), "id": "new"})
    assert (await first).cancelled is True
    assert second.applied is True
    assert editor.texts[uri] == EXPECTED_AFTER_FIX


async def test_preview_accept_and_reject(editor: Editor) -> None:
    uri = await editor.open("cart.py", CART)
    editor.fake.enqueue(Reply(text=fenced(FIXED_TOTAL_DEDENTED)), Reply(text=fenced(FIXED_TOTAL_DEDENTED)))
    preview = await editor.command("mistral.fix", {"uri": uri, "range": rng(9, 0, 9, 0), "preview": True, "id": "p1"})
    assert preview.applied is False and editor.texts[uri] == CART
    assert preview.edit["documentChanges"][0]["edits"][0]["newText"] == "0"
    rejected = await editor.command("mistral.rejectFix", {"id": "p1"})
    assert rejected.rejected is True
    assert (await editor.command("mistral.acceptFix", {"id": "p1"})).applied is False
    await editor.command("mistral.fix", {"uri": uri, "range": rng(9, 0, 9, 0), "preview": True, "id": "p2"})
    accepted = await editor.command("mistral.acceptFix", {"id": "p2"})
    assert accepted.applied is True
    assert editor.texts[uri] == EXPECTED_AFTER_FIX


async def test_stale_preview_cannot_be_accepted(editor: Editor) -> None:
    uri = await editor.open("cart.py", CART)
    editor.fake.enqueue(Reply(text=fenced(FIXED_TOTAL_DEDENTED)))
    await editor.command("mistral.fix", {"uri": uri, "range": rng(9, 0, 9, 0), "preview": True, "id": "p3"})
    editor.edit(uri, [types.TextEdit(range=rng(9, 43, 9, 45), new_text="/ 1000")])
    typed = editor.texts[uri]
    accepted = await editor.command("mistral.acceptFix", {"id": "p3"})
    assert accepted.applied is False
    assert editor.texts[uri] == typed


async def test_text_typed_at_the_end_of_a_fixed_line_refuses_the_accept(editor: Editor) -> None:
    # The target ends where its last line ends; text typed after it is on a line the fix
    # changes, so accepting would merge the two. The accept is refused and the text kept.
    uri = await editor.open("cart.py", CART)
    editor.fake.enqueue(Reply(text=fenced(FIXED_TOTAL_DEDENTED)))
    await editor.command("mistral.fix", {"uri": uri, "range": rng(9, 0, 9, 0), "preview": True, "id": "p4"})
    line = CART.splitlines()[9]
    editor.edit(uri, [types.TextEdit(range=rng(9, len(line), 9, len(line)), new_text="  # and more")])
    typed = editor.texts[uri]
    accepted = await editor.command("mistral.acceptFix", {"id": "p4"})
    assert accepted.applied is False
    assert "edited after the preview" in accepted.message
    assert editor.texts[uri] == typed


async def test_text_typed_at_the_end_of_the_last_target_line_while_answering_refuses_the_fix(editor: Editor) -> None:
    uri = await editor.open("cart.py", CART)
    editor.fake.enqueue(Reply(text=fenced(FIXED_TOTAL_DEDENTED), delay_per_chunk=0.15))
    task = editor.run_command("mistral.fix", {"uri": uri, "range": rng(9, 0, 9, 0), "id": "merge"})
    await editor.wait_until(lambda: editor.stream_text("merge"), what="the first streamed text")
    line = CART.splitlines()[9]
    editor.edit(uri, [types.TextEdit(range=rng(9, len(line), 9, len(line)), new_text="  # and more")])
    typed = editor.texts[uri]
    result = await task
    assert result.applied is False
    assert "edited while it answered" in result.message
    assert editor.texts[uri] == typed


async def test_fix_refuses_an_unclosed_fence_and_bare_code(editor: Editor) -> None:
    """Half a block would cut the function's remaining lines; bare text may be prose."""
    uri = await editor.open("cart.py", CART)
    for reply, words in ((Reply(text="```python\n" + FIXED_TOTAL_DEDENTED), "never closed"),
                         (Reply(text=FIXED_TOTAL_DEDENTED), "without a code block")):
        editor.fake.enqueue(reply)
        with pytest.raises(Exception, match=words):
            await editor.command("mistral.fix", {"uri": uri, "range": rng(9, 0, 9, 0)})
        assert editor.texts[uri] == CART and not editor.applied_edits


async def test_errors_reach_the_user_and_the_next_action_works(editor: Editor) -> None:
    uri = await editor.open("cart.py", CART)
    cases = [
        (Reply(status=401, body={"detail": "Unauthorized"}), "rejected the key"),
        (Reply(status=429, retry_after=0), "rate"),
        (Reply(status=500), "http 500"),
        (Reply(text=fenced(FIXED_TOTAL_DEDENTED), cut_after_chunks=2), "cut"),
    ]
    for reply, words in cases:
        # 429 is retried (maxRetries 2 in these sessions): make every attempt fail.
        editor.fake.enqueue(*([reply] * (3 if reply.status in (429, 500) else 1)))
        before = len(editor.messages(types.MessageType.Error))
        with pytest.raises(Exception, match=f"(?i){words}"):
            await editor.command("mistral.fix", {"uri": uri, "range": rng(9, 0, 9, 0)})
        errors = editor.messages(types.MessageType.Error)[before:]
        assert errors and words in errors[-1].lower(), errors
        assert editor.texts[uri] == CART
    editor.fake.enqueue(Reply(text=fenced(FIXED_TOTAL_DEDENTED)))
    assert (await editor.command("mistral.fix", {"uri": uri, "range": rng(9, 0, 9, 0)})).applied is True


async def test_emoji_and_crlf(editor: Editor) -> None:
    text = 'def greet(name):\r\n    banner = "🎉🎉 hello"\r\n    return banner + nam\r\n'
    uri = await editor.open("greet.py", text)
    editor.fake.enqueue(Reply(text=fenced('def greet(name):\n    banner = "🎉🎉 hello"\n    return banner + name')))
    result = await editor.command("mistral.fix", {"uri": uri, "range": rng(2, 4, 2, 4)})
    assert result.applied is True
    assert editor.texts[uri] == text.replace("+ nam\r\n", "+ name\r\n")


async def test_explain_streams_and_shows_a_document(editor: Editor) -> None:
    uri = await editor.open("cart.py", CART)
    explanation = "`total` subtracts a **discount** from the subtotal.\n\nIt divides by 10, which looks wrong."
    editor.fake.enqueue(Reply(text=explanation))
    result = await editor.command("mistral.explain", {"uri": uri, "range": rng(9, 0, 9, 0), "id": "e1"})
    assert result.text == explanation
    assert editor.stream_text("e1") == explanation
    assert editor.fake.requests[-1].json["reasoning_effort"] == "none"
    supports_show_document = editor.client.capabilities.window and editor.client.capabilities.window.show_document
    if supports_show_document:
        shown = editor.client.shown_documents[-1]
        assert Path(shown.uri.removeprefix("file://")).read_text(encoding="utf-8").endswith(explanation + "\n")
    else:
        assert "`total` subtracts" in editor.messages(types.MessageType.Info)[-1]
    assert editor.texts[uri] == CART


async def test_review_publishes_findings_and_suggestion_applies(editor: Editor) -> None:
    uri = await editor.open("cart.py", CART)
    findings = {"findings": [
        {"startLine": 10, "endLine": 10, "severity": "error", "category": "bug", "title": "Discount off by 10x",
         "message": "A percentage discount must be divided by 100.", "snippet": "return subtotal - subtotal * discount / 10",
         "replacement": "return subtotal - subtotal * discount / 100"},
        {"startLine": 99, "endLine": 120, "severity": "warning", "category": "style", "title": "Out of the file",
         "message": "This one points past the end.", "snippet": "nothing here", "replacement": None},
    ]}
    editor.fake.enqueue(Reply(text=json.dumps(findings), thinking="hmm"))
    result = await editor.command("mistral.review", {"uri": uri, "range": None})
    assert result.diagnostics == 1
    request = editor.fake.requests[-1].json
    assert request["response_format"]["type"] == "json_schema"
    diagnostics = await editor.wait_until(lambda: editor.client.diagnostics.get(uri), what="diagnostics")
    (diagnostic,) = diagnostics
    assert diagnostic.source == "mistral" and diagnostic.code == "mistral/bug"
    assert diagnostic.range.start == pos(9, 8)
    assert diagnostic.severity == types.DiagnosticSeverity.Error
    assert "hmm" not in diagnostic.message
    editor.fake.reset()
    actions = await editor.code_actions(uri, diagnostic.range, [diagnostic])
    suggestion = next(a for a in actions if a.title.startswith("Mistral: Apply suggestion"))
    assert editor.fake.requests == []  # code actions never touch the network
    editor.apply_workspace_edit(suggestion.edit)
    assert editor.texts[uri] == EXPECTED_AFTER_FIX
    # The finding's code was edited: the finding goes.
    await editor.wait_until(lambda: uri in editor.client.diagnostics and len(editor.client.diagnostics[uri]) == 0, what="the finding to be cleared")


async def test_review_findings_move_with_their_code(editor: Editor) -> None:
    uri = await editor.open("cart.py", CART)
    editor.fake.enqueue(Reply(text=json.dumps({"findings": [
        {"startLine": 14, "endLine": 14, "severity": "information", "category": "style", "title": "Use round",
         "message": "ceil is surprising here.", "snippet": "return math.ceil(value)", "replacement": None}]})))
    await editor.command("mistral.review", {"uri": uri, "range": None})
    await editor.wait_until(lambda: editor.client.diagnostics.get(uri), what="diagnostics")
    editor.insert_lines(uri, 0, "# one\n# two\n")
    await editor.wait_until(lambda: editor.client.diagnostics[uri] and editor.client.diagnostics[uri][0].range.start.line == 15,
                            what="the finding to move down two lines")


async def test_generate_tests_creates_conventional_file_then_appends(editor: Editor) -> None:
    (editor.workspace / "tests").mkdir()
    (editor.workspace / "pyproject.toml").write_text("[project]\nname = 'cart'\n")
    uri = await editor.open("cart.py", CART)
    first = "from cart import round_up\n\n\ndef test_round_up():\n    assert round_up(1.2) == 2"
    editor.fake.enqueue(Reply(text=fenced(first)))
    result = await editor.command("mistral.generateTests", {"uri": uri, "range": rng(13, 4, 13, 4)})
    test_path = editor.workspace / "tests" / "test_cart.py"
    assert result.testUri == test_path.as_uri()
    assert test_path.read_text() == first + "\n"
    assert editor.client.shown_documents[-1].uri == test_path.as_uri()
    # The second run's imports join the file's import block, known ones are not repeated.
    second_tests = "def test_round_up_integer():\n    assert round_up(2) == 2"
    second = "import pytest\n\nfrom cart import round_up\n\n\n" + second_tests
    editor.fake.enqueue(Reply(text=fenced(second)))
    await editor.command("mistral.generateTests", {"uri": uri, "range": rng(13, 4, 13, 4)})
    assert test_path.read_text() == "from cart import round_up\nimport pytest\n" + first.split("\n", 1)[1] + "\n\n" \
        + second_tests + "\n"
    shown = editor.client.shown_documents[-1]
    assert shown.selection is not None
    assert test_path.read_text().splitlines()[shown.selection.start.line] == "def test_round_up_integer():"
    # The existing test file's imports went into the prompt.
    prompt = json.dumps(editor.fake.requests[-1].json["messages"])
    assert "from cart import round_up" in prompt


async def test_code_actions_from_memory(editor: Editor) -> None:
    uri = await editor.open("cart.py", CART)
    actions = await editor.code_actions(uri, rng(9, 0, 9, 0))
    assert [a.title for a in actions] == ["Mistral: Fix", "Mistral: Explain", "Mistral: Review", "Mistral: Generate tests",
                                          "Mistral: Ask"]
    assert [a.command.command for a in actions] == ["mistral.fix", "mistral.explain", "mistral.review", "mistral.generateTests",
                                                    "mistral.ask"]
    assert actions[0].kind == "refactor.rewrite.mistral"
    diagnostic = types.Diagnostic(range=rng(9, 8, 9, 20), message="possible bug", source="pyright")
    with_diag = await editor.code_actions(uri, rng(9, 0, 9, 0), [diagnostic])
    assert with_diag[0].kind == "quickfix.mistral" and with_diag[0].is_preferred
    assert with_diag[0].command.arguments[0]["diagnostics"][0]["message"] == "possible bug"
    only_quickfix = await editor.code_actions(uri, rng(9, 0, 9, 0), [diagnostic], only=["quickfix"])
    assert [a.title for a in only_quickfix] == ["Mistral: Fix"]
    assert await editor.code_actions(uri, rng(9, 0, 9, 0), only=["source"]) == []
    assert editor.fake.requests == []


async def test_missing_key_names_the_fix(fake_api, tmp_path) -> None:
    from .conftest import server_env, start_editor

    env = server_env(fake_api, tmp_path)
    env.pop("MISTRAL_API_KEY")
    ed = await start_editor(fake_api, tmp_path, env=env)
    try:
        uri = await ed.open("cart.py", CART)
        with pytest.raises(Exception, match="MISTRAL_API_KEY"):
            await ed.command("mistral.explain", {"uri": uri, "range": rng(9, 0, 9, 0)})
        assert any("MISTRAL_API_KEY" in m for m in ed.messages(types.MessageType.Error))
        assert fake_api.requests == []
    finally:
        await ed.client.shutdown_session()
        await ed.client.stop()


async def test_invalid_setting_is_reported_and_server_keeps_serving(fake_api, tmp_path) -> None:
    from .conftest import start_editor

    ed = await start_editor(fake_api, tmp_path, settings={"contextTokens": "lots", "model": "mistral-medium-3.5"})
    try:
        warning = await ed.wait_until(lambda: [m for m in ed.messages(types.MessageType.Warning) if "contextTokens" in m],
                                      what="the invalid-setting message")
        assert "keeping the previous" in warning[0]
        uri = await ed.open("cart.py", CART)
        fake_api.enqueue(Reply(text="It sums prices."))
        result = await ed.command("mistral.explain", {"uri": uri, "range": rng(9, 0, 9, 0), "showResult": False})
        assert result.text == "It sums prices."
        assert fake_api.requests[-1].json["model"] == "mistral-medium-3-5"
    finally:
        await ed.client.shutdown_session()
        await ed.client.stop()


async def test_api_key_never_logged(editor: Editor) -> None:
    uri = await editor.open("cart.py", CART)
    editor.fake.enqueue(Reply(status=401, body={"message": f"Unauthorized key {API_KEY}"}))
    with pytest.raises(Exception, match="rejected the key") as info:
        await editor.command("mistral.explain", {"uri": uri, "range": rng(9, 0, 9, 0)})
    assert API_KEY not in str(info.value)
    editor.fake.enqueue(Reply(text="ok"))
    await editor.command("mistral.explain", {"uri": uri, "range": rng(9, 0, 9, 0)})
    log = editor.log_file.read_text(encoding="utf-8")
    assert "mistral.explain" in log or "explain" in log  # the log is real, and at debug level
    assert API_KEY not in log
    assert all(API_KEY not in m for m in editor.messages())
