"""`textDocument/didClose` stops the document's runs: their HTTP streams close at once instead of
streaming (and paying for) an answer nobody will see, and a command waiting on one is answered.
A reload (didClose then didOpen at once, as Neovim's `:e!` sends) keeps the run.

Issue 19, item 5: the server side of `:bd` / `:bw` (the plugin's side is in tests/editors)."""

from __future__ import annotations

import asyncio

from lsprotocol import types

from mistral_lsp.testing.fake_api import Reply

from ..samples import CART, EXPECTED_AFTER_FIX, FIXED_TOTAL_DEDENTED
from .conftest import Editor, rng
from .test_actions import fenced

IN_TOTAL = rng(9, 0, 9, 0)
ANSWER_WITHIN_S = 20


def _close(editor: Editor, uri: str) -> None:
    editor.client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))


def _reopen(editor: Editor, uri: str) -> None:
    editor.versions[uri] += 1
    editor.client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
        uri=uri, language_id="python", version=editor.versions[uri], text=editor.texts[uri])))


async def test_closing_the_document_stops_its_run_and_closes_the_stream(editor: Editor) -> None:
    uri = await editor.open("cart.py", CART)
    # One chunk, then a minute's pause: the close must end the stream inside the pause.
    editor.fake.enqueue(Reply(text=fenced(FIXED_TOTAL_DEDENTED), delay_per_chunk=60))
    run = editor.run_command("mistral.fix", {"uri": uri, "range": IN_TOTAL, "id": "closed"})
    await editor.wait_until(lambda: editor.stream_text("closed"), what="the first streamed text")

    _close(editor, uri)

    disconnect = await editor.fake.wait_for_disconnect_async(timeout=ANSWER_WITHIN_S)
    assert disconnect.chunks_sent == 1  # stopped, not streamed to its end
    answer = await asyncio.wait_for(run, ANSWER_WITHIN_S)  # the waiting command is answered
    assert answer.cancelled is True and answer.applied is False
    assert editor.applied_edits == []
    assert not [m for m in editor.messages() if "closed" in m]  # no late "the document was closed"


async def test_a_reload_keeps_the_run_a_close_stops(editor: Editor) -> None:
    """cart.py is reloaded (closed and reopened at once) while other.py is closed for good. The
    runs of both wait at the same grace: once other.py's stream has closed, cart.py's check has
    been made too, and its run goes on to apply its fix."""
    cart = await editor.open("cart.py", CART)
    other = await editor.open("other.py", CART)
    editor.fake.enqueue(Reply(text=fenced(FIXED_TOTAL_DEDENTED), hold_after_chunks=1))
    kept = editor.run_command("mistral.fix", {"uri": cart, "range": IN_TOTAL, "id": "reloaded"})
    await editor.wait_until(lambda: editor.stream_text("reloaded"), what="the first streamed text on cart.py")
    editor.fake.enqueue(Reply(text=fenced(FIXED_TOTAL_DEDENTED), delay_per_chunk=60))
    stopped = editor.run_command("mistral.fix", {"uri": other, "range": IN_TOTAL, "id": "closed-for-good"})
    await editor.wait_until(lambda: editor.stream_text("closed-for-good"), what="the first streamed text on other.py")

    _close(editor, cart)
    _reopen(editor, cart)
    _close(editor, other)

    await editor.fake.wait_for_disconnect_async(timeout=ANSWER_WITHIN_S)
    assert (await asyncio.wait_for(stopped, ANSWER_WITHIN_S)).cancelled is True
    editor.fake.release()
    answer = await asyncio.wait_for(kept, ANSWER_WITHIN_S)
    assert answer.applied is True and answer.get("cancelled") is not True
    assert editor.texts[cart] == EXPECTED_AFTER_FIX
    assert len(editor.fake.disconnects) == 1  # only other.py's stream was cut
