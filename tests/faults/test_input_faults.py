"""The fault matrix, editor side: huge and binary documents, invalid positions, unknown URIs and
wrong argument types for every command, and 50 actions at once. One server for the module.

A client's mistake is answered (InvalidParams naming the field, or RequestFailed naming the
cause), logged with `window/logMessage`, never popped up; nothing is applied; the next action works.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import pytest

from mistral_lsp.protocol import COMMANDS
from mistral_lsp.testing.fake_api import Reply

from .conftest import (
    CART,
    GOOD_FIX,
    IN_TOTAL,
    MAX_SHOWN,
    FaultEditor,
    assert_no_key,
    expect_fix_works,
    expect_refused,
    fenced,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

UNCLOSED = "```python\ndef total(self, discount):\n    subtotal = sum("
INVALID_PARAMS, REQUEST_FAILED = -32602, -32803


def big_file(lines: int = 50_000) -> str:
    filler = [f"def helper_{n}(value):\n    return value + {n}\n\n" for n in range((lines - CART.count("\n")) // 3)]
    return CART + "\n" + "".join(filler)


async def test_a_50k_line_file(ed: FaultEditor) -> None:
    text = big_file()
    assert text.count("\n") >= 49_990
    await expect_refused(ed, "big", [Reply(text=UNCLOSED)], r"never closed", text=text)


BINARY_CASES = [
    ("nul", CART + "BLOB = '\x00\x01\x02\x7f\x1b[31m'\n# \x00\x00\x00\n", r"NUL character on line 15"),
    # What an editor holds for a file whose bytes are not UTF-8 (0xFF and the like).
    ("invalid-utf8", CART + "BLOB = '\ufffd\ufffd'\n", r"invalid UTF-8 .* on line 15"),
]


@pytest.mark.parametrize("action", ["mistral.fix", "mistral.explain", "mistral.review", "mistral.generateTests"])
@pytest.mark.parametrize(("kind", "text", "cause"), BINARY_CASES, ids=[c[0] for c in BINARY_CASES])
async def test_binary_looking_text_is_refused_and_never_sent(
    ed: FaultEditor, action: str, kind: str, text: str, cause: str
) -> None:
    uri = await ed.open(f"binary-{kind}-{action}.py", text)
    ed.fake.reset()
    ed.fake.enqueue(Reply(text=""))
    shown, edits = len(ed.shown()), len(ed.applied_edits)

    result, error = await ed.attempt(action, {"uri": uri, "range": IN_TOTAL})

    assert error is not None, f"{action} ran on binary text: {result}"
    assert error.code == REQUEST_FAILED  # the plugin shows the command's error, naming the cause
    assert re.search(cause, error.message) and "looks binary" in error.message, error.message
    assert ed.shown()[shown:] == []  # and only the plugin: not twice
    assert not [r for r in ed.fake.requests if r.path.endswith("/chat/completions")]  # never sent
    assert len(ed.applied_edits) == edits and ed.texts[uri] == text
    await expect_fix_works(ed, await ed.open(f"after-binary-{kind}-{action}.py", CART))


def _range(start_line: int, start_char: int, end_line: int, end_char: int) -> dict[str, Any]:
    return {"start": {"line": start_line, "character": start_char}, "end": {"line": end_line, "character": end_char}}


GOOD_RANGE = _range(9, 10, 9, 10)
HUGE_URI = "file:///" + "a" * 1_000_000 + ".py"

# (argument(s) builder taking the open document's URI, code, what the error must name)
ACTION_CASES: list[tuple[str, Any, int, str]] = [
    ("unknown-uri", lambda uri: [{"uri": "file:///nowhere/x.py", "range": GOOD_RANGE}], REQUEST_FAILED, r"not open"),
    ("megabyte-uri", lambda uri: [{"uri": HUGE_URI, "range": GOOD_RANGE}], REQUEST_FAILED, r"not open"),
    ("line-past-the-end", lambda uri: [{"uri": uri, "range": _range(10**6, 0, 10**6, 0)}], INVALID_PARAMS,
     r"range\.start\.line .*outside the document"),
    ("negative-line", lambda uri: [{"uri": uri, "range": _range(-1, 0, 0, 0)}], INVALID_PARAMS, r"range\.start"),
    # A reversed range is not a mistake: eglot 1.9 sends them, and the server reads it in order.
    ("uri-not-a-string", lambda uri: [{"uri": {"x": 1}, "range": GOOD_RANGE}], INVALID_PARAMS, r"uri"),
    ("range-not-an-object", lambda uri: [{"uri": uri, "range": "x"}], INVALID_PARAMS, r"range must be an object"),
    ("argument-not-an-object", lambda uri: [42], INVALID_PARAMS, r"arguments\[0\] must be an object"),
    ("arguments-not-a-list", lambda uri: 42, INVALID_PARAMS, r"arguments: wrong type"),
    ("no-argument", lambda uri: None, INVALID_PARAMS, r"needs one argument object"),
    ("wrong-preview-type", lambda uri: [{"uri": uri, "range": GOOD_RANGE, "preview": {"a": 1}}], INVALID_PARAMS,
     r"preview"),
]
OTHER_CASES: list[tuple[str, str, Any, int, str]] = [
    ("cancel-id-not-a-string", "mistral.cancel", [{"id": {"a": 1}}], INVALID_PARAMS, r"id"),
    ("cancel-argument-not-an-object", "mistral.cancel", [42], INVALID_PARAMS, r"arguments\[0\]"),
    ("accept-no-argument", "mistral.acceptFix", [], INVALID_PARAMS, r"argument"),
    ("accept-no-arguments-field", "mistral.acceptFix", None, INVALID_PARAMS, r"needs one argument object"),
    ("accept-never-issued-id", "mistral.acceptFix", [{"id": "never-made"}], INVALID_PARAMS, r"no preview has id"),
    ("accept-id-missing", "mistral.acceptFix", [{}], INVALID_PARAMS, r"id is missing"),
    ("accept-id-not-a-string", "mistral.acceptFix", [{"id": [1]}], INVALID_PARAMS, r"id"),
    ("accept-hunks-not-a-list", "mistral.acceptFix", [{"id": "x", "hunks": "h1"}], INVALID_PARAMS,
     r"hunks must be a list"),
    ("reject-hunks-not-strings", "mistral.rejectFix", [{"id": "x", "hunks": [1]}], INVALID_PARAMS,
     r"hunks\[0\] must be a string"),
    ("reject-no-argument", "mistral.rejectFix", [], INVALID_PARAMS, r"argument"),
    ("reject-no-arguments-field", "mistral.rejectFix", None, INVALID_PARAMS, r"needs one argument object"),
    ("reject-argument-not-an-object", "mistral.rejectFix", ["x"], INVALID_PARAMS, r"arguments\[0\]"),
    ("suggestion-unknown-uri", "mistral.applySuggestion",
     [{"uri": "file:///nowhere/x.py", "diagnostic": {"range": GOOD_RANGE, "message": "x"}}], REQUEST_FAILED,
     r"open document"),
    ("suggestion-no-arguments-field", "mistral.applySuggestion", None, INVALID_PARAMS, r"needs one argument object"),
    ("suggestion-diagnostic-missing", "mistral.applySuggestion", [{"uri": "file:///x.py"}], INVALID_PARAMS,
     r"diagnostic is missing"),
    ("suggestion-bad-range", "mistral.applySuggestion",
     [{"uri": "file:///x.py", "diagnostic": {"range": "x", "message": "x"}}], INVALID_PARAMS, r"diagnostic\.range"),
    ("unknown-command", "mistral.nope", [], INVALID_PARAMS, r"mistral\.nope"),
    ("list-actions-no-arguments-field", "mistral.listActions", None, INVALID_PARAMS, r"needs one argument object"),
    ("list-actions-uri-missing", "mistral.listActions", [{}], INVALID_PARAMS, r"uri is missing"),
    ("list-actions-uri-not-a-string", "mistral.listActions", [{"uri": 7}], INVALID_PARAMS, r"uri must be a string"),
    ("list-actions-argument-not-an-object", "mistral.listActions", ["x"], INVALID_PARAMS, r"arguments\[0\]"),
]
ACTION_COMMANDS = [spec.command for spec in COMMANDS if "uri" in getattr(spec.arguments, "__annotations__", {})
                   and spec.command not in ("mistral.applySuggestion", "mistral.listActions")]
CASES = [(f"{command}:{name}", command, build, code, cause)
         for command in ACTION_COMMANDS for name, build, code, cause in ACTION_CASES]


def _given(arguments: Any) -> Any:
    return lambda uri: arguments


CASES += [(f"{command}:{name}", command, _given(args), code, cause)
          for name, command, args, code, cause in OTHER_CASES]


async def test_every_command_is_covered() -> None:
    covered = {case[1] for case in CASES}
    assert {spec.command for spec in COMMANDS} - covered <= {"mistral.toggleReviewOnSave"}  # takes no argument


@pytest.mark.parametrize(("name", "command", "build", "code", "cause"), CASES, ids=[c[0] for c in CASES])
async def test_a_bad_argument_is_answered_and_only_logged(
    ed: FaultEditor, name: str, command: str, build: Any, code: int, cause: str
) -> None:
    uri = await ed.open(f"args-{len(ed.texts)}.py", CART)
    shown, edits, requests = len(ed.shown()), len(ed.applied_edits), len(ed.fake.requests)
    arguments = build(uri)
    params: dict[str, Any] = {"command": command}
    if arguments is not None:
        params["arguments"] = arguments

    result, error = await ed.raw_request("workspace/executeCommand", params)

    assert error is not None, f"answered {result}"
    assert error.code == code, error.message
    assert re.search(cause, error.message), error.message
    assert len(error.message) <= MAX_SHOWN and "\n" not in error.message
    assert "a" * 100 not in error.message  # the input is never echoed at length
    assert ed.shown()[shown:] == []  # logged, not popped up
    assert len(ed.applied_edits) == edits and ed.texts[uri] == CART
    assert len(ed.fake.requests) == requests  # the model was never asked
    await expect_fix_works(ed, uri)


async def test_bad_params_of_other_requests_are_answered_naming_the_field(ed: FaultEditor) -> None:
    uri = await ed.open("requests.py", CART)
    shown = len(ed.shown())
    cases = [
        ("textDocument/codeAction", {"textDocument": {"uri": uri}, "range": "x", "context": {"diagnostics": []}},
         r"range\.start"),
        ("textDocument/codeAction", {"textDocument": {"uri": uri}}, r"range: required field missing"),
        ("textDocument/codeAction", {"textDocument": {"uri": uri}, "range": GOOD_RANGE,
                                     "context": {"diagnostics": [{"range": GOOD_RANGE, "message": 5, "severity": 99}]}},
         r"context\.diagnostics"),
        ("workspace/executeCommand", {"command": 42}, r"(?i)command"),
        ("workspace/executeCommand", [1, 2], r"params"),
    ]
    for method, params, field in cases:
        _, error = await ed.raw_request(method, params)
        assert error is not None and error.code == INVALID_PARAMS, (method, params)
        assert re.search(field, error.message), error.message
    # Unknown documents and positions past the end are not errors for code actions: nothing to offer.
    result, error = await ed.raw_request("textDocument/codeAction", {
        "textDocument": {"uri": "file:///nowhere.py"}, "range": GOOD_RANGE, "context": {"diagnostics": []}})
    assert error is None and not result
    assert ed.shown()[shown:] == []
    await expect_fix_works(ed, uri)


async def test_50_concurrent_actions_each_end_well(ed: FaultEditor) -> None:
    """Half get a good fix, half a cut-off block: each document gets exactly its own outcome."""
    count = 50
    texts = {n: CART.replace("def total(", f"def total_{n}(") for n in range(count)}
    uris = {n: await ed.open(f"load-{n}.py", texts[n]) for n in range(count)}

    def respond(body: Any) -> Reply:
        prompt = json.dumps(body.get("messages", ""))
        n = int(re.search(r"def total_(\d+)", prompt).group(1))  # type: ignore[union-attr]
        code = fenced(f"def total_{n}(self, discount):\n    subtotal = sum(item.price for item in self.items)\n"
                      "    return subtotal - subtotal * discount / 100")
        return Reply(text=code) if n % 2 == 0 else Reply(text=code[: len(code) // 2])

    ed.fake.reset()
    ed.fake.responder = respond
    shown = len(ed.shown())
    try:
        outcomes = await asyncio.gather(*(ed.attempt("mistral.fix", {"uri": uris[n], "range": IN_TOTAL})
                                          for n in range(count)))
    finally:
        ed.fake.responder = None
    for n, (result, error) in enumerate(outcomes):
        if n % 2 == 0:
            assert error is None and result["applied"] is True, n
            assert ed.texts[uris[n]] == texts[n].replace("discount / 10\n", "discount / 100\n")
        else:
            assert error is not None and "never closed" in error.message, n
            assert ed.texts[uris[n]] == texts[n]
    assert len(ed.shown()[shown:]) == count // 2  # one message per failed run
    ed.fake.enqueue(GOOD_FIX)
    uri = await ed.open("after-load.py", CART)
    await expect_fix_works(ed, uri)


async def test_the_key_never_appears_in_any_output(ed: FaultEditor) -> None:
    assert_no_key(ed)
