"""Every command request is answered: a run superseded or cancelled at any point resolves (for
clients that opted in to commands resolving when the run ends), and a bad argument is answered
naming the argument, never with a Python value."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from mistral_lsp.casing import camel_case
from mistral_lsp.protocol import COMMANDS, FixDecisionArguments
from mistral_lsp.testing.fake_api import FakeMistralAPI, Reply

from ..samples import CART, EXPECTED_AFTER_FIX, FIXED_TOTAL_DEDENTED
from .conftest import Editor, editor_session, rng
from .test_actions import fenced

IN_TOTAL = rng(9, 0, 9, 0)
CURSOR = {"start": {"line": 9, "character": 0}, "end": {"line": 9, "character": 0}}
# Generous: on the old code the first request is never answered at all.
ANSWER_WITHIN_S = 20


def _chats(editor: Editor) -> list[Any]:
    return [r for r in editor.fake.requests if r.path.endswith("/chat/completions")]


async def _answers(*requests: asyncio.Task[Any]) -> list[Any]:
    return list(await asyncio.wait_for(asyncio.gather(*requests), ANSWER_WITHIN_S))


async def test_a_double_press_answers_both_requests(editor: Editor) -> None:
    """The second request arrives while the first is still setting up its progress: the first
    is superseded before it streams, and is answered naming the run that replaced it."""
    uri = await editor.open("cart.py", CART)
    editor.fake.enqueue(Reply(text=fenced(FIXED_TOTAL_DEDENTED)))
    first = editor.run_command("mistral.fix", {"uri": uri, "range": IN_TOTAL, "id": "press-1"})
    second = editor.run_command("mistral.fix", {"uri": uri, "range": IN_TOTAL, "id": "press-2"})
    old, new = await _answers(first, second)
    assert old.cancelled is True and old.applied is False
    assert "superseded by run press-2" in old.message and "nothing was applied" in old.message
    assert new.applied is True and new.get("cancelled") is not True
    assert editor.texts[uri] == EXPECTED_AFTER_FIX
    assert len(_chats(editor)) == 1  # the superseded run never reached the API


async def test_a_supersede_storm_answers_every_request(editor: Editor) -> None:
    uri = await editor.open("cart.py", CART)
    editor.fake.enqueue(*[Reply(text=fenced(FIXED_TOTAL_DEDENTED), delay_per_chunk=0.05) for _ in range(8)])
    presses = [editor.run_command("mistral.fix", {"uri": uri, "range": IN_TOTAL, "id": f"storm-{n}"})
               for n in range(8)]
    answers = await _answers(*presses)
    *older, last = answers
    assert all(a.cancelled is True and "superseded by run storm-" in a.message for a in older), older
    assert last.applied is True
    assert editor.texts[uri] == EXPECTED_AFTER_FIX


def hold_progress_creation(editor: Editor) -> tuple[list[Any], asyncio.Event]:
    """The client answers `window/workDoneProgress/create` only once released: a run is held
    where it sets up its progress, before it streams."""
    asked: list[Any] = []
    release = asyncio.Event()

    async def create(params: types.WorkDoneProgressCreateParams) -> None:
        asked.append(params.token)
        editor.notify()
        await release.wait()
        editor.client.progress_reports.setdefault(params.token, [])

    editor.client.protocol.fm.features[types.WINDOW_WORK_DONE_PROGRESS_CREATE] = create
    return asked, release


async def test_mistral_cancel_before_the_run_streams_is_answered(editor: Editor) -> None:
    uri = await editor.open("cart.py", CART)
    asked, release = hold_progress_creation(editor)
    editor.fake.enqueue(Reply(text=fenced(FIXED_TOTAL_DEDENTED)))
    run = editor.run_command("mistral.fix", {"uri": uri, "range": IN_TOTAL, "id": "to-cancel"})
    await editor.wait_until(lambda: asked, what="the run to set up its progress")
    cancelled = await editor.command("mistral.cancel", {"id": "to-cancel"})
    assert cancelled.cancelled == ["to-cancel"]
    release.set()
    (answer,) = await _answers(run)
    assert answer.cancelled is True and answer.message == "cancelled; nothing was applied"
    assert editor.texts[uri] == CART and _chats(editor) == []


async def test_a_client_that_never_accepts_the_progress_token_still_gets_the_fix(editor: Editor) -> None:
    # lsp-mode 8.0 now and then leaves window/workDoneProgress/create unanswered: the run must
    # not wait for it forever.
    uri = await editor.open("cart.py", CART)
    asked, release = hold_progress_creation(editor)
    editor.fake.enqueue(Reply(text=fenced(FIXED_TOTAL_DEDENTED)))
    (answer,) = await _answers(editor.run_command("mistral.fix", {"uri": uri, "range": IN_TOTAL, "id": "no-token"}))
    assert asked and not release.is_set()  # answered while the client still held the token
    assert answer.applied is True
    assert editor.texts[uri] == EXPECTED_AFTER_FIX
    release.set()


# -- plain clients: answered at once, the newer run's result lands --------------------------------




async def test_a_plain_client_double_press_is_answered_at_once_and_the_newer_run_lands(eglot: Editor) -> None:
    uri = await eglot.open("cart.py", CART)
    eglot.fake.enqueue(Reply(text=fenced(FIXED_TOTAL_DEDENTED)), Reply(text=fenced(FIXED_TOTAL_DEDENTED)))
    first = eglot.run_command("mistral.fix", {"uri": uri, "range": IN_TOTAL, "id": "plain-1"})
    second = eglot.run_command("mistral.fix", {"uri": uri, "range": IN_TOTAL, "id": "plain-2"})
    started = await _answers(first, second)
    assert [(s.id, s.started) for s in started] == [("plain-1", True), ("plain-2", True)]
    await eglot.wait_until(lambda: eglot.texts[uri] == EXPECTED_AFTER_FIX, what="the newer run's fix")
    assert len(eglot.applied_edits) == 1  # the superseded run applied nothing


# -- argument errors name the argument -------------------------------------------------------------

ACTIONS = ["mistral.fix", "mistral.explain", "mistral.review", "mistral.generateTests"]


async def _error(editor: Editor, command: str, argument: Any) -> JsonRpcException:
    with pytest.raises(JsonRpcException) as caught:
        await asyncio.wait_for(editor.client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=command, arguments=[argument])), ANSWER_WITHIN_S)
    return caught.value


@pytest.mark.parametrize("command", ACTIONS)
async def test_a_null_or_missing_uri_is_named(editor: Editor, command: str) -> None:
    uri = await editor.open("cart.py", CART)
    for argument, words in (({"uri": None, "range": CURSOR}, "uri is missing"),
                            ({"range": CURSOR}, "uri is missing"),
                            ({"uri": "", "range": CURSOR}, "uri is missing"),
                            ({"uri": 42, "range": CURSOR}, "uri must be a string"),
                            ({"uri": uri, "range": CURSOR, "preview": None}, "preview must be true or false"),
                            ({"uri": uri, "range": CURSOR, "showResult": "yes"}, "showResult must be true or false"),
                            ({"uri": uri, "range": CURSOR, "version": "3"}, "version must be an integer")):
        error = await _error(editor, command, argument)
        assert words in error.message, (argument, error.message)
        assert "None" not in error.message and "42" not in error.message, error.message
    assert _chats(editor) == []
    assert editor.texts[uri] == CART


@pytest.mark.parametrize(("command", "argument", "words"), [
    ("mistral.acceptFix", {"id": None}, "id is missing"),
    ("mistral.acceptFix", {}, "id is missing"),
    ("mistral.rejectFix", {"id": 7}, "id must be a string"),
    ("mistral.cancel", {"id": 7}, "id must be a string"),
    ("mistral.applySuggestion", {"uri": None, "diagnostic": {"range": {"start": {"line": 0, "character": 0},
                                 "end": {"line": 0, "character": 1}}, "message": "x"}}, "uri is missing"),
    ("mistral.applySuggestion", {"uri": "file:///x.py"}, "diagnostic is missing"),
    ("mistral.applySuggestion", {"uri": "file:///x.py", "diagnostic": {"range": CURSOR, "message": None}},
     "diagnostic.message is missing"),
    ("mistral.fix", {"uri": "file:///x.py", "range": CURSOR, "diagnostics": [{"range": CURSOR, "message": 5}]},
     "diagnostics[0].message must be a string"),
])
async def test_other_commands_name_the_argument(editor: Editor, command: str, argument: dict[str, Any], words: str) -> None:
    error = await _error(editor, command, argument)
    assert words in error.message and "None" not in error.message, error.message


async def test_a_plain_client_is_told_why_binary_looking_text_is_not_sent(eglot: Editor) -> None:
    uri = await eglot.open("blob.py", CART + "DATA = b'\x00\x00'\n")
    started = await eglot.command("mistral.review", {"uri": uri, "range": IN_TOTAL})
    assert started.started is False and "NUL character on line 15" in started.message
    (shown,) = eglot.messages(types.MessageType.Error)
    assert "blob.py was not sent to the model" in shown and "looks binary" in shown
    assert _chats(eglot) == []


# -- every argument of every command: null and wrong kinds, named by the wire name ---------------

POSITION = {"line": 9, "character": 0}
STRING = ([42, True, 1.5, [], {}, ["x"]], "{name} must be a string")
BOOLEAN = ([1, "yes", [], {}, None], "{name} must be true or false")
INTEGER = (["3", True, 1.5, [], {}], "{name} must be an integer")
# Each field of each command's argument object: the wrong values to send, and what the error must say.
WRONG: dict[str, list[tuple[list[Any], str]]] = {
    "uri": [STRING, ([None, ""], "uri is missing")],
    "range": [([42, "x", [], True], "range must be an object"),
              ([{"start": None, "end": POSITION}], "range.start is missing"),
              ([{"start": {"line": "1", "character": 0}, "end": POSITION}], "range.start.line must be an integer"),
              ([{"start": POSITION, "end": {"line": 9, "character": None}}], "range.end.character is missing")],
    "version": [INTEGER],
    "diagnostics": [(["x", 42, {}, {"a": 1}, None, True], "diagnostics must be a list"),
                    ([[42], [None]], "diagnostics[0] must be an object"),
                    ([[{"range": CURSOR, "message": None}]], "diagnostics[0].message is missing"),
                    ([[{"range": CURSOR, "message": "m", "severity": 9}]], "diagnostics[0].severity must be one of 1, 2, 3, 4"),
                    ([[{"range": CURSOR, "message": "m", "code": 1.5}]], "diagnostics[0].code must be an integer or a string")],
    "id": [STRING],
    "preview": [BOOLEAN],
    "showResult": [BOOLEAN],
    "instruction": [STRING],
    "question": [STRING],
    "conversationId": [STRING],
    "actionId": [STRING],
    "hunks": [(["h1", 42, {}], "hunks must be a list"), ([[1], [None]], "hunks[0] must be a string")],
    "diagnostic": [([42, "x", [], True], "diagnostic must be an object"), ([None], "diagnostic is missing"),
                   ([{"range": CURSOR}], "diagnostic.message is missing"),
                   ([{"range": 7, "message": "m"}], "diagnostic.range must be an object")],
}
REQUIRED = {"uri", "diagnostic"}  # `id` is required by acceptFix and rejectFix only
# What a Python value or type looks like in a message: never shown for an argument.
PYTHON_SPELLING = re.compile(r"\b(None|True|False|NoneType|tuple|dict|str|int|float)\b|expected \w|<class")


def _commands_with_arguments() -> list[Any]:
    return [spec for spec in COMMANDS if spec.arguments is not None]


@pytest.fixture
async def neovim(fake_api: FakeMistralAPI, tmp_path: Path) -> AsyncIterator[Editor]:
    async for editor in editor_session(fake_api, tmp_path, "neovim"):
        yield editor


@pytest.mark.parametrize("spec", _commands_with_arguments(), ids=lambda spec: spec.command)
async def test_every_argument_of_every_command_is_named_when_wrong(neovim: Editor, spec: Any) -> None:
    editor = neovim
    uri = await editor.open("cart.py", CART)
    valid = {"uri": uri, "range": CURSOR, "id": "some-run", "diagnostic": {"range": CURSOR, "message": "m"}}
    names = [camel_case(field.name) for field in attrs.fields(spec.arguments)]
    assert set(names) <= set(WRONG), f"no wrong values listed for {set(names) - set(WRONG)}"
    required = {name: valid[name] for name in names
                if name in REQUIRED or (name == "id" and spec.arguments is FixDecisionArguments)}
    tried = 0
    for name in names:
        for values, words in WRONG[name]:
            for value in values:  # null only where it is wrong: elsewhere it means "none"
                argument = {**required, name: value}
                error = await _error(editor, spec.command, argument)
                expected = words.format(name=name)
                assert error.code == -32602, (argument, error.code, error.message)
                assert expected in error.message, (argument, error.message)
                assert not PYTHON_SPELLING.search(error.message), (argument, error.message)
                tried += 1
    assert tried >= len(names)
    assert _chats(editor) == [] and editor.texts[uri] == CART  # nothing ran
