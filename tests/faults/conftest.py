"""The fault matrix harness: one real server per module, the loopback fake API, and a check of
the four things every fault case must hold.

1. the server is alive (the next request is answered);
2. the message names the cause (the command's error and the one line the user is shown);
3. no edit was applied and the document is unchanged;
4. the next action works (a good reply is applied as before).

Every output of the session (messages, log messages, stream notifications, command errors, the
server's log file) is kept, so each module can check that the API key appears in none of them.
"""

from __future__ import annotations

import inspect
import itertools
import json
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from mistral_lsp.testing.fake_api import FakeMistralAPI, Reply
from tests.lsp.conftest import API_KEY, Editor, rng, start_editor
from tests.samples import CART, EXPECTED_AFTER_FIX, FIXED_TOTAL_DEDENTED

FIXED_TOTAL = FIXED_TOTAL_DEDENTED
FIXED_CART = EXPECTED_AFTER_FIX
# The cursor inside `total`.
IN_TOTAL = rng(9, 10, 9, 10)
# What a user must never see: a Python class name, a traceback, a line break.
_CRASH_LOOK = re.compile(r"Traceback|\b[A-Z]\w*(Error|Exception)\b|\n")
MAX_SHOWN = 300
# Every fault server uses these: small enough that timeouts and retries take seconds.
SETTINGS = {"maxRetries": 2, "timeoutSeconds": 2}


def fenced(code: str) -> str:
    return f"Here is the fix:\n\n```python\n{code}\n```\n"


GOOD_FIX = Reply(text=fenced(FIXED_TOTAL))


class FaultEditor(Editor):
    """An `Editor` that also keeps every command error, for the cause and key checks, and can
    send raw JSON-RPC messages (params of any shape, or not JSON at all)."""

    command_errors: list[str]
    raw_responses: dict[Any, tuple[Any, Any]]
    _raw_ids: itertools.count[int]

    def hook_raw_responses(self) -> None:
        self.raw_responses, self._raw_ids = {}, itertools.count()
        protocol = self.client.protocol
        original = protocol._handle_response

        def record(msg_id: Any, result: Any = None, error: Any = None) -> None:
            if msg_id not in protocol._request_futures:  # an answer to a raw message
                self.raw_responses[msg_id] = (result, error)
                if error is not None:
                    self.command_errors.append(str(error.message))
                self.notify()
                return
            original(msg_id, result, error)

        protocol._handle_response = record  # type: ignore[method-assign]

    async def send_raw(self, body: bytes | str, *, header: bytes | None = None) -> None:
        """One framed message, its body exactly `body`."""
        data = body.encode() if isinstance(body, str) else body
        written = self.client.protocol.writer.write(  # type: ignore[union-attr]
            (header if header is not None else f"Content-Length: {len(data)}\r\n\r\n".encode()) + data
        )
        if inspect.isawaitable(written):
            await written

    def raw_id(self) -> str:
        return f"raw-{next(self._raw_ids)}"

    async def raw_request(self, method: str, params: Any, timeout: float = 10.0) -> tuple[Any, Any]:
        """Send a request with `params` exactly as given; (result, error) of its response."""
        msg_id = self.raw_id()
        await self.send_raw(json.dumps({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params}))
        return await self.wait_until(lambda: self.raw_responses.get(msg_id), timeout, f"the answer to {method}")

    async def attempt(self, name: str, argument: Any) -> tuple[Any, JsonRpcException | None]:
        """Run a command; (result, None) or (None, its error). Arguments go on the wire as given."""
        params = types.ExecuteCommandParams(command=name, arguments=argument if isinstance(argument, list) else [argument])
        try:
            return await self.command_raw(params), None
        except JsonRpcException as exc:
            self.command_errors.append(exc.message or "")
            return None, exc

    async def command_raw(self, params: types.ExecuteCommandParams) -> Any:
        return await self.client.workspace_execute_command_async(params)

    def shown(self) -> list[str]:
        return [m.message for m in self.client.messages]

    def all_output(self) -> str:
        """Everything the server said to the editor, and its log file."""
        parts = [m.message for m in self.client.messages]
        parts += [m.message for m in self.client.log_messages]
        parts += [repr(s) for s in self.streams]
        parts += self.command_errors
        if self.log_file.exists():
            parts.append(self.log_file.read_text(errors="replace"))
        return "\n".join(parts)


async def start_fault_editor(fake: FakeMistralAPI, tmp_path: Path, **settings: Any) -> FaultEditor:
    editor = await start_editor(fake, tmp_path, "neovim", settings={**SETTINGS, **settings}, client_info="Neovim")
    editor.__class__ = FaultEditor
    assert isinstance(editor, FaultEditor)
    editor.command_errors = []
    editor.hook_raw_responses()
    return editor


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeMistralAPI]:
    with FakeMistralAPI(api_key=API_KEY) as api:
        yield api


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def ed(fake: FakeMistralAPI, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[FaultEditor]:
    editor = await start_fault_editor(fake, tmp_path_factory.mktemp("faults"))
    try:
        yield editor
    finally:
        await editor.client.shutdown_session()
        await editor.client.stop()


async def expect_refused(ed: FaultEditor, name: str, replies: list[Reply], cause: str,
                         *, action: str = "mistral.fix", text: str = CART, range_: types.Range = IN_TOTAL) -> str:
    """The fault case: `replies` make `action` fail; checks the four promises and returns the message."""
    uri = await ed.open(f"{name}.py", text)
    ed.fake.reset()
    ed.fake.enqueue(*replies)
    shown_before, edits_before = len(ed.shown()), len(ed.applied_edits)

    result, error = await ed.attempt(action, {"uri": uri, "range": range_})

    # 2. The message names the cause, in one short line, in the command's error and on screen.
    assert error is not None, f"{name}: the action succeeded with {result}"
    assert re.search(cause, error.message, re.IGNORECASE), error.message
    assert len(error.message) <= MAX_SHOWN and not _CRASH_LOOK.search(error.message), error.message
    new_shown = ed.shown()[shown_before:]
    assert len(new_shown) == 1, new_shown  # once, not twice
    assert re.search(cause, new_shown[0], re.IGNORECASE), new_shown
    assert len(new_shown[0]) <= MAX_SHOWN and not _CRASH_LOOK.search(new_shown[0]), new_shown[0]
    # 3. Nothing applied; the document is what it was.
    assert len(ed.applied_edits) == edits_before
    assert ed.texts[uri] == text
    # 1 and 4. The server is alive and the next action works.
    await expect_fix_works(ed, uri, text)
    return error.message


async def expect_fix_works(ed: FaultEditor, uri: str, text: str = CART) -> None:
    ed.fake.reset()
    ed.fake.enqueue(GOOD_FIX)
    result, error = await ed.attempt("mistral.fix", {"uri": uri, "range": IN_TOTAL})
    assert error is None, error.message
    assert result["applied"] is True
    assert ed.texts[uri] == text.replace("discount / 10\n", "discount / 100\n")


def assert_no_key(ed: FaultEditor) -> None:
    """The key is in no output; and no case above met a bug of the server (an internal error)."""
    output = ed.all_output()
    assert output, "nothing was recorded"
    assert API_KEY not in output
    assert API_KEY[8:24] not in output  # not even a part of it
    assert "internal error" not in output
    assert " ERROR " not in ed.log_file.read_text(errors="replace")
