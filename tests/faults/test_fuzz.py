"""The fault matrix, fuzz row: a seeded stream of malformed LSP messages.

Afterwards every well-formed request (a JSON object with `"jsonrpc": "2.0"`, an integer or
string `id` and a string `method`) has been answered (an error in one line), no popup was shown,
no edit was applied, the document the fuzz did not touch is unchanged, and the next action
works. The figures are printed (`-s`).

Then supersede storms: bursts of the same action on the same target (a double key press, a
plugin's retry), with `mistral.cancel` and `$/cancelRequest` mixed in, on an open document with
a model that answers. Every request is answered — superseded runs included.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

import pytest

from mistral_lsp.testing.fake_api import Reply

from .conftest import CART, FIXED_TOTAL, FaultEditor, assert_no_key, expect_fix_works, fenced

pytestmark = pytest.mark.asyncio(loop_scope="module")

SEED = 20261129
MESSAGES = 2_400
# Never sent: they end the session, which is not a fault.
LIFECYCLE = {"shutdown", "exit", "initialize"}


def junk(rng: random.Random, depth: int = 0) -> Any:
    """A JSON value of any shape (no valid LSP object by design: values are random)."""
    kind = rng.randrange(12 if depth < 2 else 9)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 1, 2**31, -(2**53), 10**30])
    if kind == 3:
        return rng.random() * rng.choice([1, -1e9, 1e300])
    if kind == 4:
        return ""
    if kind == 5:
        return "".join(rng.choice("aé\x00\u2028\ud7ff💥\\\"{}[]") for _ in range(rng.randrange(1, 20)))
    if kind == 6:
        return "x" * rng.choice([1_000, 100_000])
    if kind == 7:
        return f"file:///fuzz/{rng.randrange(100)}.py"
    if kind == 8:
        return rng.choice(["2.0", "file:///", "mistral.fix", "utf-8"])
    if kind == 9:
        return [junk(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {rng.choice(["uri", "range", "id", "start", "line", "textDocument", "text", "arguments", "x"]):
            junk(rng, depth + 1) for _ in range(rng.randrange(4))}


def unknown_uri(rng: random.Random) -> str:
    return f"file:///fuzz/{rng.randrange(50)}.py"


def mutate(rng: random.Random, value: Any) -> Any:
    """`value` with one part deleted, replaced by junk, or retyped."""
    if isinstance(value, dict) and value and rng.random() < 0.8:
        key = rng.choice(list(value))
        copy = dict(value)
        if rng.random() < 0.3:
            del copy[key]
        else:
            copy[key] = mutate(rng, value[key])
        return copy
    if isinstance(value, list) and value and rng.random() < 0.7:
        copy = list(value)
        index = rng.randrange(len(copy))
        copy[index] = mutate(rng, copy[index])
        return copy
    return junk(rng)


def request_params(rng: random.Random) -> tuple[str, Any]:
    """A request that can be malformed anywhere; commands never target an open document."""
    position = {"line": rng.randrange(20), "character": rng.randrange(20)}
    range_ = {"start": position, "end": position}
    uri = unknown_uri(rng)
    command = rng.choice(["mistral.fix", "mistral.explain", "mistral.review", "mistral.generateTests",
                          "mistral.cancel", "mistral.acceptFix", "mistral.rejectFix", "mistral.applySuggestion",
                          "mistral.nope", ""])
    argument: Any = {"uri": uri, "range": range_}
    if command in ("mistral.acceptFix", "mistral.rejectFix"):
        argument = {"id": rng.choice([1, None, [], {"a": 1}])}  # never a string: no preview is named
    templates: list[tuple[str, Any]] = [
        ("textDocument/codeAction", {"textDocument": {"uri": uri}, "range": range_, "context": {"diagnostics": []}}),
        ("workspace/executeCommand", {"command": command, "arguments": [argument]}),
        ("workspace/executeCommand", {"command": command, "arguments": junk(rng)}),
        ("textDocument/diagnostic", {"textDocument": {"uri": uri}}),
        ("textDocument/hover", {"textDocument": {"uri": uri}, "position": position}),
        ("mistral/unknown", junk(rng)),
        ("$/cancelRequest", {"id": junk(rng)}),
    ]
    method, params = rng.choice(templates)
    return method, mutate(rng, params)


def notification_params(rng: random.Random) -> tuple[str, Any]:
    uri = unknown_uri(rng)
    item = {"uri": uri, "languageId": rng.choice(["python", "rust", "", "x" * 50]), "version": 1, "text": "x = 1\n"}
    change = {"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 1}}, "text": "y"}
    templates: list[tuple[str, Any]] = [
        ("textDocument/didOpen", {"textDocument": item}),
        ("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [change]}),
        ("textDocument/didClose", {"textDocument": {"uri": uri}}),
        ("textDocument/didSave", {"textDocument": {"uri": uri}}),
        ("$/cancelRequest", {"id": junk(rng)}),
        ("window/workDoneProgress/cancel", {"token": junk(rng)}),
        ("$/setTrace", {"value": junk(rng)}),
        ("mistral/whatever", junk(rng)),
    ]
    method, params = rng.choice(templates)
    return method, mutate(rng, params)


class Fuzz:
    """Builds the messages; remembers which well-formed requests must be answered."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.expected: set[Any] = set()
        self.next_id = 0

    def new_id(self) -> Any:
        self.next_id += 1
        return f"fuzz-{self.next_id}" if self.rng.random() < 0.5 else 7_000_000 + self.next_id

    def framed(self, body: bytes) -> bytes:
        return f"Content-Length: {len(body)}\r\n\r\n".encode() + body

    def message(self) -> bytes:
        rng = self.rng
        kind = rng.randrange(10)
        if kind <= 3:  # a well-formed request with malformed params
            method, params = request_params(rng)
            msg_id = self.new_id()
            self.expected.add(msg_id)
            return self.framed(json.dumps({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params}).encode())
        if kind <= 5:  # a notification with malformed params
            method, params = notification_params(rng)
            return self.framed(json.dumps({"jsonrpc": "2.0", "method": method, "params": params}).encode())
        if kind == 6:  # a request that is itself malformed: bad id, version, no method, a batch
            msg_id = self.new_id()
            method, params = request_params(rng)
            variants: list[Callable[[], Any]] = [
                lambda: {"jsonrpc": "2.0", "id": rng.choice([None, 1.5, [1], {"a": 1}, True]), "method": method},
                lambda: {"jsonrpc": rng.choice(["1.0", 2, None]), "id": msg_id, "method": method, "params": params},
                lambda: {"id": msg_id, "method": method, "params": params},
                lambda: {"jsonrpc": "2.0", "id": msg_id, "method": junk(rng)},
                lambda: [{"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params}],
                lambda: {"jsonrpc": "2.0", "id": msg_id, "result": junk(rng)},  # a response to nothing
                lambda: {"jsonrpc": "2.0", "id": msg_id, "error": junk(rng)},
            ]
            return self.framed(json.dumps(rng.choice(variants)()).encode())
        if kind == 7:  # not JSON, or JSON that is not an object
            text = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "textDocument/codeAction", "params": {}})
            bodies = [text[: rng.randrange(1, len(text))].encode(), bytes(rng.randrange(256) for _ in range(40)),
                      b"null", b"42", b'"text"', b"[]", b"{}", b"\xef\xbb\xbf{}", b"{" * 200 + b"}" * 200]
            return self.framed(rng.choice(bodies))
        if kind == 8:  # junk headers around a message
            method, params = notification_params(rng)
            body = json.dumps({"jsonrpc": "2.0", "method": method, "params": params}).encode()
            return (f"X-Fuzz: {rng.random()}\r\nContent-Type: text/nonsense\r\nContent-Length: {len(body)}\r\n\r\n"
                    .encode() + body)
        # a deeply nested params object
        msg_id = self.new_id()
        self.expected.add(msg_id)
        nested: Any = "x"
        for _ in range(rng.randrange(10, 400)):
            nested = {"a": [nested]}
        return self.framed(json.dumps({"jsonrpc": "2.0", "id": msg_id, "method": "textDocument/codeAction",
                                       "params": nested}).encode())


async def test_every_well_formed_request_is_answered_and_nothing_pops_up(ed: FaultEditor) -> None:
    uri = await ed.open("untouched.py", CART)
    shown, edits = len(ed.shown()), len(ed.applied_edits)
    fuzz = Fuzz(SEED)
    messages = [fuzz.message() for _ in range(MESSAGES)]
    # Sent in batches of writes, the way a busy client would.
    for start in range(0, len(messages), 100):
        await ed.send_raw(b"".join(messages[start : start + 100]), header=b"")

    try:
        await ed.wait_until(lambda: fuzz.expected <= set(ed.raw_responses), timeout=30,
                            what=f"answers to {len(fuzz.expected)} requests")
    except AssertionError:
        missing = sorted(map(str, fuzz.expected - set(ed.raw_responses)))
        print("MISSING", len(missing), missing[:20], "LOG", ed.log_file)
        raise
    answered = fuzz.expected & set(ed.raw_responses)
    popups = ed.shown()[shown:]
    print(f"\nfuzz: {len(messages)} messages sent, {len(fuzz.expected)} well-formed requests, "
          f"{len(answered)} answered, {len(popups)} popups")
    assert len(messages) >= 2_000 and len(fuzz.expected) >= 500
    assert popups == []
    assert ed.applied_edits[edits:] == []  # nothing applied, anywhere
    for _result, error in (ed.raw_responses[i] for i in answered):
        if error is not None:
            assert len(error.message) <= 300 and "\n" not in error.message, error.message
    assert ed.texts[uri] == CART
    await expect_fix_works(ed, uri)


STORMS = 60
ACTIONS = ["mistral.fix", "mistral.explain", "mistral.review", "mistral.generateTests"]
# Cursors inside `total` (lines 8–10): each one selects the same target.
CURSORS = [(8, 4), (9, 8), (9, 20), (10, 8)]


def storm_reply(body: Any) -> Reply:
    """A model that answers each action sensibly, slowly enough to be superseded mid-stream."""
    if body.get("response_format"):
        return Reply(text='{"findings": []}', delay_per_chunk=0.005)
    return Reply(text=fenced(FIXED_TOTAL), delay_per_chunk=0.005)


async def all_answered(ed: FaultEditor, expected: list[str]) -> None:
    """Wait until every request in `expected` is answered; else fail saying how many were not."""
    try:
        await ed.wait_until(lambda: set(expected) <= set(ed.raw_responses), timeout=60,
                            what=f"answers to {len(expected)} requests")
    except AssertionError:
        missing = sorted(set(expected) - set(ed.raw_responses))
        print(f"\nsupersede storms: {len(expected)} requests sent, {len(expected) - len(missing)} answered; "
              f"MISSING {len(missing)}: {missing[:20]} LOG {ed.log_file}")
        raise


async def test_supersede_storms_answer_every_request(ed: FaultEditor) -> None:
    rng = random.Random(SEED + 1)
    uri = await ed.open("storm.py", CART)
    ed.fake.reset()
    ed.fake.responder = storm_reply
    expected: list[str] = []
    runs_cancelled = 0
    requests_cancelled: set[str] = set()

    def request(msg_id: str, method: str, params: Any) -> bytes:
        expected.append(msg_id)
        body = json.dumps({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params}).encode()
        return f"Content-Length: {len(body)}\r\n\r\n".encode() + body

    try:
        for storm in range(STORMS):
            action = rng.choice(ACTIONS)
            burst = []
            for press in range(rng.randrange(2, 7)):
                line, character = rng.choice(CURSORS)
                cursor = {"line": line, "character": character}
                argument = {"uri": uri, "range": {"start": cursor, "end": cursor}, "showResult": False}
                if rng.random() < 0.5:
                    argument["id"] = f"run-{storm}-{press}"
                burst.append(request(f"storm-{storm}-{press}", "workspace/executeCommand",
                                     {"command": action, "arguments": [argument]}))
                kind = rng.randrange(8)
                if kind == 0 and "id" in argument:  # the plugin's cancel of that run
                    runs_cancelled += 1
                    burst.append(request(f"cancel-{storm}-{press}", "workspace/executeCommand",
                                         {"command": "mistral.cancel", "arguments": [{"id": argument["id"]}]}))
                elif kind == 1:  # the client gives up on the request itself
                    requests_cancelled.add(f"storm-{storm}-{press}")
                    body = json.dumps({"jsonrpc": "2.0", "method": "$/cancelRequest",
                                       "params": {"id": f"storm-{storm}-{press}"}}).encode()
                    burst.append(f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
            await ed.send_raw(b"".join(burst), header=b"")
            if storm % 10 == 9:  # now and then, let a storm's last run finish before the next
                await all_answered(ed, expected)
        await all_answered(ed, expected)
    finally:
        ed.fake.responder = None
    answered = [ed.raw_responses[msg_id] for msg_id in expected]
    superseded = sum(1 for result, _ in answered if "superseded by run" in str(getattr(result, "message", "")))
    errors = {msg_id: error for msg_id, (_, error) in zip(expected, answered, strict=True) if error is not None}
    print(f"\nsupersede storms: {STORMS} storms, {len(expected)} requests sent, {len(answered)} answered "
          f"({superseded} superseded, {runs_cancelled} mistral.cancel, {len(errors)} errors)")
    assert len(answered) == len(expected) and superseded > 0
    # The only errors: RequestCancelled, for the requests the client cancelled itself.
    assert set(errors) <= requests_cancelled, sorted(set(errors) - requests_cancelled)
    assert all(error.code == -32800 for error in errors.values()), errors
    assert ed.fake.responder is None
    await expect_fix_works(ed, await ed.open("after-storm.py", CART))


async def test_the_key_never_appears_in_any_output(ed: FaultEditor) -> None:
    assert_no_key(ed)
