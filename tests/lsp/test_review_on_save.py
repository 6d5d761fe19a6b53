"""Review on save end to end: the real server over stdio, a Neovim-like client, the loopback
fake API. Every wait is on a message (a publishDiagnostics, a log message, a request the fake
recorded, or the answer to a later request — the server handles messages in order); no sleeps."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from mistral_lsp.testing.fake_api import FakeMistralAPI, Reply

from .conftest import CLIENTS, Editor, rng, server_env, start_editor

ON = {"reviewOnSave": True, "reviewDebounceMs": 50}
MARK = "# BUG"


def module_text(count: int = 30, *, changed: int | None = None) -> str:
    """`count` functions, each with a body only it holds (`body-07`)."""
    parts = ["import math", ""]
    for i in range(count):
        body = f"body-{i:02d}" + ("-changed" if i == changed else "")
        parts += ["", f"def function_{i:02d}(value):", f"    total = math.floor(value) + {i}",
                  f"    return total, {body!r}", ""]
    return "\n".join(parts)


CART = f"""\
class Cart:
    def __init__(self):
        self.items = []

    def total(self, discount):
        subtotal = sum(item.price for item in self.items)
        return subtotal - subtotal * discount / 10  {MARK}: percent


def round_up(value):
    return int(value)
"""
TOTAL_LINE = 6


def chat_requests(fake: FakeMistralAPI) -> list[dict[str, Any]]:
    return [r.json for r in fake.requests if r.path.endswith("/chat/completions")]


async def wait_for_chats(fake: FakeMistralAPI, count: int) -> None:
    seen = len(fake.requests)
    while len(chat_requests(fake)) < count:
        seen += 1
        await fake.wait_for_requests_async(seen, timeout=10)


def prompt_of(request: dict[str, Any]) -> str:
    parts = []
    for message in request["messages"]:
        content = message.get("content")
        parts.append(content if isinstance(content, str) else json.dumps(content))
    return "\n".join(parts)


def marker_responder(editor: Editor, uri: str) -> Callable[[Any], Reply]:
    """Answers like a reviewer: a finding on each line holding MARK that the prompt shows."""

    def respond(body: Any) -> Reply:
        prompt = prompt_of(body)
        findings = [
            {"startLine": number, "endLine": number, "severity": "warning", "category": "bug",
             "title": "Suspicious arithmetic", "message": "The discount is a percentage.",
             "snippet": line.strip(), "replacement": line.replace(" / 10", " / 100").split(MARK)[0].rstrip()}
            for number, line in enumerate(editor.texts[uri].split("\n"), 1)
            if MARK in line and line.strip() in prompt
        ]
        return Reply(text=json.dumps({"findings": findings}))

    return respond


class Session:
    """An editor plus helpers to save and wait for the review to be published."""

    def __init__(self, editor: Editor) -> None:
        self.editor = editor
        self.client = editor.client
        self.fake = editor.fake
        self.publishes: list[types.PublishDiagnosticsParams] = []
        original = self.client.protocol._handle_notification

        def hooked(method: str, params: Any) -> None:
            if method == types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS:
                self.publishes.append(params)
            original(method, params)

        self.client.protocol._handle_notification = hooked  # type: ignore[method-assign]

    async def flush(self) -> None:
        """Round trip: every notification the server sent before this answer has arrived."""
        await self.editor.command("mistral.cancel", {"id": "flush"})

    def published(self, uri: str) -> int:
        return sum(1 for p in self.publishes if p.uri == uri)

    async def save(self, uri: str, times: int = 1) -> list[types.Diagnostic]:
        """Save and wait until the review of that save published the document's findings."""
        await self.flush()
        before = self.published(uri)
        for _ in range(times):
            self.editor.save(uri)
        await self.editor.wait_until(lambda: self.published(uri) > before, what="review on save")
        return self.diagnostics(uri)

    def diagnostics(self, uri: str) -> list[types.Diagnostic]:
        return list(self.client.diagnostics.get(uri, []))

    async def stop(self) -> None:
        await self.client.shutdown_session()
        await self.client.stop()


@pytest.fixture
async def session(fake_api: FakeMistralAPI, tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Session]:
    client = getattr(request, "param", "neovim")
    s = Session(await start_editor(fake_api, tmp_path, client, settings=ON))
    try:
        yield s
    finally:
        await s.stop()


@pytest.mark.parametrize("session", CLIENTS, indirect=True)
async def test_second_save_without_changes_sends_nothing(session: Session) -> None:
    uri = await session.editor.open("cart.py", CART)
    session.fake.responder = marker_responder(session.editor, uri)
    (finding,) = await session.save(uri)
    assert finding.source == "mistral"
    assert finding.range.start.line == TOTAL_LINE
    assert finding.code == "bug"
    assert finding.data["replacement"].endswith("discount / 100")
    assert session.publishes[-1].version == 1
    assert len(chat_requests(session.fake)) == 1

    assert [d.range.start.line for d in await session.save(uri)] == [TOTAL_LINE]
    assert len(chat_requests(session.fake)) == 1

    # Progress: one begin/end pair for the one request, none for the save that sent nothing.
    reports = [r for rs in session.client.progress_reports.values() for r in rs]
    assert [type(r) for r in reports if not isinstance(r, types.WorkDoneProgressReport)] == [
        types.WorkDoneProgressBegin, types.WorkDoneProgressEnd]
    assert reports[0].title == "Mistral: Review on save"
    assert reports[-1].message == "done: 1 finding"


async def test_one_changed_function_sends_only_its_body(session: Session) -> None:
    editor = session.editor
    uri = await editor.open("module.py", module_text())
    session.fake.default_reply = Reply(text='{"findings": []}')
    await session.save(uri)
    (first,) = chat_requests(session.fake)
    assert all(f"body-{i:02d}" in prompt_of(first) for i in range(30))

    line = module_text().split("\n").index("    return total, 'body-12'")
    editor.edit(uri, [types.TextEdit(range=rng(line, 0, line, 100), new_text="    return total, 'body-12-changed'")])
    await session.save(uri)
    _, second = chat_requests(session.fake)
    prompt = prompt_of(second)
    assert "body-12-changed" in prompt
    assert [i for i in range(30) if f"'body-{i:02d}'" in prompt] == []
    assert "def function_12(value):" in prompt


async def test_saves_within_the_debounce_window_send_one_request(fake_api: FakeMistralAPI, tmp_path: Path) -> None:
    # The five saves are sent back to back; a 2 s window holds them even on a loaded machine.
    s = Session(await start_editor(fake_api, tmp_path, "neovim", settings={**ON, "reviewDebounceMs": 2000}))
    try:
        uri = await s.editor.open("cart.py", CART)
        fake_api.responder = marker_responder(s.editor, uri)
        assert len(await s.save(uri, times=5)) == 1
        await s.flush()
        assert len(chat_requests(fake_api)) == 1
    finally:
        await s.stop()


async def test_a_newer_save_cancels_the_review_in_flight(session: Session) -> None:
    editor = session.editor
    uri = await editor.open("cart.py", CART)
    session.fake.enqueue(Reply(text='{"findings": []}', delay_before_first_byte=30))
    editor.save(uri)
    await wait_for_chats(session.fake, 1)
    session.fake.responder = marker_responder(editor, uri)
    editor.insert_lines(uri, 0, "# edited while the first review runs\n")
    (finding,) = await session.save(uri)
    assert finding.range.start.line == TOTAL_LINE + 1
    await session.fake.wait_for_disconnect_async(timeout=5)  # the first request's connection closed
    assert len(chat_requests(session.fake)) == 2
    ends = [r.message for rs in session.client.progress_reports.values() for r in rs
            if isinstance(r, types.WorkDoneProgressEnd)]
    assert sorted(ends) == ["cancelled", "done: 1 finding"]


async def test_findings_follow_their_code_and_go_when_it_is_edited(session: Session) -> None:
    editor = session.editor
    uri = await editor.open("cart.py", CART)
    session.fake.responder = marker_responder(editor, uri)
    await session.save(uri)

    # Lines inserted above move the finding at once (didChange), and a save keeps it there.
    editor.insert_lines(uri, 0, "import os\n\n\ndef helper():\n    return os.sep\n\n\n")
    await editor.wait_until(
        lambda: [d.range.start.line for d in session.diagnostics(uri)] == [TOTAL_LINE + 7], what="moved finding"
    )
    assert [d.range.start.line for d in await session.save(uri)] == [TOTAL_LINE + 7]
    new_prompt = prompt_of(chat_requests(session.fake)[-1])
    assert "def helper():" in new_prompt
    assert "subtotal" not in new_prompt  # `total` did not change: not reviewed again
    assert len(chat_requests(session.fake)) == 2

    # Editing the finding's own code removes it at once, and the review of the new code has none.
    line = TOTAL_LINE + 7
    editor.edit(uri, [types.TextEdit(range=rng(line, 0, line, 100),
                                     new_text="        return subtotal - subtotal * discount / 100")])
    await editor.wait_until(lambda: session.diagnostics(uri) == [], what="finding removed by the edit")
    assert await session.save(uri) == []
    assert "discount / 100" in prompt_of(chat_requests(session.fake)[-1])


async def test_findings_and_hashes_survive_a_restart(fake_api: FakeMistralAPI, tmp_path: Path) -> None:
    first = Session(await start_editor(fake_api, tmp_path, "neovim", settings=ON))
    try:
        uri = await first.editor.open("cart.py", CART)
        fake_api.responder = marker_responder(first.editor, uri)
        assert len(await first.save(uri)) == 1
    finally:
        await first.stop()
    assert len(chat_requests(fake_api)) == 1
    assert list((tmp_path / "cache" / "reviews").glob("workspace-*.json"))

    second = Session(await start_editor(fake_api, tmp_path, "neovim", settings=ON))
    try:
        uri = await second.editor.open("cart.py", CART)
        (finding,) = await second.save(uri)
        assert finding.range.start.line == TOTAL_LINE
        assert finding.message.startswith("Suspicious arithmetic")
        assert len(chat_requests(fake_api)) == 1
    finally:
        await second.stop()


async def test_toggling_on_after_a_restart_brings_the_cached_findings_back(fake_api: FakeMistralAPI, tmp_path: Path) -> None:
    """A client that restarts the server with review on save off in its settings, then turns
    the session toggle back on, sees the open documents' findings again without a request."""
    first = Session(await start_editor(fake_api, tmp_path, "neovim", settings=ON))
    try:
        uri = await first.editor.open("cart.py", CART)
        fake_api.responder = marker_responder(first.editor, uri)
        assert len(await first.save(uri)) == 1
    finally:
        await first.stop()

    second = Session(await start_editor(fake_api, tmp_path, "neovim", settings={"reviewDebounceMs": 0}))
    try:
        uri = await second.editor.open("cart.py", CART)
        await second.flush()
        assert second.diagnostics(uri) == []
        before = second.published(uri)
        await second.editor.command("mistral.toggleReviewOnSave", {})
        await second.editor.wait_until(lambda: second.published(uri) > before, what="cached findings")
        (finding,) = second.diagnostics(uri)
        assert finding.range.start.line == TOTAL_LINE
        assert len(chat_requests(fake_api)) == 1
    finally:
        await second.stop()


async def test_off_by_default(fake_api: FakeMistralAPI, tmp_path: Path) -> None:
    s = Session(await start_editor(fake_api, tmp_path, "neovim", settings={"reviewDebounceMs": 0}))
    try:
        uri = await s.editor.open("cart.py", CART)
        s.editor.save(uri)
        await s.flush()
        assert chat_requests(fake_api) == []
        assert s.published(uri) == 0
        # The toggle command turns it on for the session.
        toggled = await s.editor.command("mistral.toggleReviewOnSave", {})
        assert getattr(toggled, "reviewOnSave", None) or toggled["reviewOnSave"] is True
        fake_api.responder = marker_responder(s.editor, uri)
        assert len(await s.save(uri)) == 1
        assert len(chat_requests(fake_api)) == 1
    finally:
        await s.stop()


async def test_excluded_and_long_files_send_nothing(fake_api: FakeMistralAPI, tmp_path: Path) -> None:
    settings = {**ON, "reviewMaxFileLines": 20, "reviewExclude": ["**/vendor/**", "gen/*.py"]}
    s = Session(await start_editor(fake_api, tmp_path, "neovim", settings=settings))
    try:
        editor = s.editor
        for name, text in [("vendor/lib.py", CART), ("gen/models.py", CART), ("long.py", module_text(10)),
                           ("generated.py", "# Code generated by protoc. DO NOT EDIT.\n" + CART)]:
            uri = await editor.open(name, text)
            editor.save(uri)
            skipped = await editor.wait_until(
                lambda name=name: [m.message for m in s.client.log_messages if Path(name).name in m.message
                                   and "review on save skipped" in m.message],
                what=f"skip message for {name}",
            )
            assert len(skipped) == 1
        await s.flush()
        assert chat_requests(fake_api) == []
        assert any("reviewMaxFileLines" in m.message for m in s.client.log_messages)
    finally:
        await s.stop()


async def test_failures_are_shown_once_and_do_not_storm(fake_api: FakeMistralAPI, tmp_path: Path) -> None:
    s = Session(await start_editor(fake_api, tmp_path, "neovim", settings=ON))
    try:
        editor = s.editor
        uri = await editor.open("cart.py", CART)
        fake_api.enqueue(Reply(status=401))
        assert await s.save(uri) == []
        (message,) = editor.messages(types.MessageType.Error)
        assert "review on save" in message
        assert "MISTRAL_API_KEY" in message
        assert len(chat_requests(fake_api)) == 1
        # Paused after a rejected key: the next save sends nothing and says nothing new.
        editor.insert_lines(uri, 0, "# edited\n")
        await s.save(uri)
        assert len(chat_requests(fake_api)) == 1
        assert len(editor.messages(types.MessageType.Error)) == 1
        # New settings (here: turned off and on again) resume reviews.
        for _ in range(2):
            await editor.command("mistral.toggleReviewOnSave", {})
        fake_api.responder = marker_responder(editor, uri)
        assert len(await s.save(uri)) == 1
        assert len(chat_requests(fake_api)) == 2
    finally:
        await s.stop()


async def test_no_api_key_says_how_to_fix_it(fake_api: FakeMistralAPI, tmp_path: Path) -> None:
    env = server_env(fake_api, tmp_path, MISTRAL_API_KEY="")
    s = Session(await start_editor(fake_api, tmp_path, "neovim", settings=ON, env=env))
    try:
        uri = await s.editor.open("cart.py", CART)
        await s.save(uri)
        s.editor.insert_lines(uri, 0, "# edited\n")
        await s.save(uri)
        (message,) = s.editor.messages(types.MessageType.Error)
        assert "no Mistral API key" in message
        assert "MISTRAL_API_KEY" in message
        assert chat_requests(fake_api) == []
    finally:
        await s.stop()


async def test_save_right_after_start_uses_configuration_settings(fake_api: FakeMistralAPI, tmp_path: Path) -> None:
    # Settings only through workspace/configuration (as vim.lsp.config users have): a save sent
    # before the server's first configuration answer must still be reviewed.
    editor = await start_editor(fake_api, tmp_path, settings=ON, init_options=False)
    try:
        uri = await editor.open("shop.py", "def price(x):\n    return x / 10\n")
        fake_api.enqueue(Reply(text=json.dumps({"findings": []})))
        editor.save(uri)
        requests = await fake_api.wait_for_requests_async(2, timeout=10)  # /models, then the review
        chat = [r for r in requests if r.path.endswith("/chat/completions")]
        assert chat and "return x / 10" in prompt_of(chat[0].json)
    finally:
        await editor.client.shutdown_session()
        await editor.client.stop()


async def test_toggle_survives_configuration_rereads_until_the_setting_changes(fake_api: FakeMistralAPI, tmp_path: Path) -> None:
    editor = await start_editor(fake_api, tmp_path, settings={"reviewOnSave": ["python"], "reviewDebounceMs": 50})
    asked = []
    original = editor.client.get_configuration

    def counting(*args: Any, **kwargs: Any) -> Any:
        asked.append(1)
        editor.notify()
        return original(*args, **kwargs)

    editor.client.get_configuration = counting  # type: ignore[method-assign]

    async def reread() -> None:
        before = len(asked)
        editor.client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        await editor.wait_until(lambda: len(asked) > before, what="the server to re-read its settings")
        await editor.command("mistral.cancel", {"id": "none"})  # a round trip: the answer is applied

    async def toggle() -> Any:
        return (await editor.command("mistral.toggleReviewOnSave", {})).reviewOnSave

    try:
        assert await toggle() is False
        await reread()
        assert await toggle() == ["python"]
        assert await toggle() is False
        # The user changes the setting itself: that wins over the session toggle.
        editor.client.set_configuration({"reviewOnSave": True, "reviewDebounceMs": 50}, section="mistral")
        await reread()
        assert await toggle() is False
        assert await toggle() is True
    finally:
        await editor.client.shutdown_session()
        await editor.client.stop()


async def test_the_review_command_seeds_the_baseline_of_review_on_save(fake_api: FakeMistralAPI, tmp_path: Path) -> None:
    """Review the file, turn review on save on, save: nothing is sent; change one function and
    save: only it is sent. The command's findings come back once, not twice."""
    s = Session(await start_editor(fake_api, tmp_path, "neovim", settings={"reviewDebounceMs": 50}))
    try:
        editor = s.editor
        text = module_text().replace("    return total, 'body-20'", f"    return total / 10  {MARK}")
        uri = await editor.open("module.py", text)
        fake_api.responder = marker_responder(editor, uri)
        reviewed = await editor.command("mistral.review", {"uri": uri, "range": None})
        assert reviewed.diagnostics == 1 and len(chat_requests(fake_api)) == 1

        assert (await editor.command("mistral.toggleReviewOnSave", {})).reviewOnSave is True
        (finding,) = await s.save(uri)  # the command's finding, once
        assert finding.message == "Suspicious arithmetic: The discount is a percentage."
        assert len(chat_requests(fake_api)) == 1  # the unchanged file: nothing sent

        line = text.split("\n").index("    return total, 'body-12'")
        editor.edit(uri, [types.TextEdit(range=rng(line, 0, line, 100), new_text="    return total, 'body-12-changed'")])
        await s.save(uri)
        assert len(chat_requests(fake_api)) == 2
        prompt = prompt_of(chat_requests(fake_api)[-1])
        assert "body-12-changed" in prompt and "def function_12(value):" in prompt
        assert [i for i in range(30) if f"'body-{i:02d}'" in prompt] == []  # no other definition
    finally:
        await s.stop()


RULE = "---\nid: percent-discount\nseverity: error\ntitle: Discounts are percentages\nglobs: ['*.py']\n---\n{body}\n"


async def test_review_rules_on_save_carry_their_id_and_a_rule_change_re_reviews_the_file(session: Session) -> None:
    editor = session.editor
    rule = editor.workspace / ".mistral" / "rules" / "percent-discount.md"
    rule.parent.mkdir(parents=True)
    rule.write_text(RULE.format(body="A discount is divided by 100."))
    uri = await editor.open("cart.py", CART)
    plain = marker_responder(editor, uri)

    def respond(body: Any) -> Reply:
        findings = json.loads(plain(body).text)["findings"]
        if "Rule `percent-discount`" in str(body["messages"][0]["content"]):
            for finding in findings:
                finding.update(rule="percent-discount", severity="hint")
        return Reply(text=json.dumps({"findings": findings}))

    session.fake.responder = respond
    (finding,) = await session.save(uri)
    assert finding.code == "percent-discount"
    assert finding.severity == types.DiagnosticSeverity.Error  # the rule's severity
    assert "A discount is divided by 100." in prompt_of(chat_requests(session.fake)[0])

    await session.save(uri)
    assert len(chat_requests(session.fake)) == 1  # nothing changed: from the cache

    rule.write_text(RULE.format(body="A discount is a percentage: divide it by 100."))
    await session.save(uri)
    assert len(chat_requests(session.fake)) == 2  # the rule changed: its file is reviewed again
    assert "A discount is a percentage" in prompt_of(chat_requests(session.fake)[1])
