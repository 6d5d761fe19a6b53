"""The review command respects `reviewMaxFileLines` as review on save does: a whole-file review of
a bigger file is refused naming the setting (no request); a cursor or a selection reviews the
definitions there; a raised setting reviews the whole file."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pygls.exceptions import JsonRpcException

from mistral_lsp.testing.fake_api import FakeMistralAPI, Reply

from .conftest import Editor, editor_session, rng

DEFINITIONS = 2_100  # 3 lines each: 6,300 lines, over the default reviewMaxFileLines (5,000)
BIG = "".join(f"def helper_{n}(value):\n    return value + {n}\n\n" for n in range(DEFINITIONS))
NO_FINDINGS = Reply(text=json.dumps({"findings": []}))


def _chats(editor: Editor) -> list[Any]:
    return [r for r in editor.fake.requests if r.path.endswith("/chat/completions")]


@pytest.fixture
async def editor(fake_api: FakeMistralAPI, tmp_path: Path) -> AsyncIterator[Editor]:
    async for ed in editor_session(fake_api, tmp_path, "neovim"):
        yield ed


async def test_a_whole_file_review_over_the_limit_says_how_to_review_it(editor: Editor) -> None:
    uri = await editor.open("big.py", BIG)
    last = BIG.count("\n")
    for whole in (None, rng(0, 0, last, 0)):
        with pytest.raises(JsonRpcException) as caught:
            await editor.command("mistral.review", {"uri": uri, "range": whole})
        message = caught.value.message
        assert "6,300 lines, over mistral.reviewMaxFileLines (5,000)" in message, message
        assert "review a selection or the definition at the cursor" in message, message
    assert _chats(editor) == []  # nothing sent


async def test_a_cursor_in_a_big_file_reviews_only_the_definition_there(editor: Editor) -> None:
    uri = await editor.open("big.py", BIG)
    editor.fake.enqueue(NO_FINDINGS, NO_FINDINGS)
    cursor = await editor.command("mistral.review", {"uri": uri, "range": rng(3001, 4, 3001, 4)})
    assert cursor.applied is True
    selection = await editor.command("mistral.review", {"uri": uri, "range": rng(3000, 0, 3007, 0)})
    assert selection.applied is True
    sent_cursor, sent_selection = (json.dumps(r.json["messages"]) for r in _chats(editor))
    assert "def helper_1000(" in sent_cursor and len(sent_cursor) < len(BIG) / 4
    assert "def helper_1002(" in sent_selection and len(sent_selection) < len(BIG) / 4


async def test_a_raised_limit_reviews_the_whole_file(fake_api: FakeMistralAPI, tmp_path: Path) -> None:
    async for editor in editor_session(fake_api, tmp_path, "neovim", settings={"reviewMaxFileLines": 10_000}):
        uri = await editor.open("big.py", BIG)
        editor.fake.enqueue(NO_FINDINGS)
        result = await editor.command("mistral.review", {"uri": uri, "range": None})
        assert result.applied is True
        (sent,) = _chats(editor)
        assert f"def helper_{DEFINITIONS - 1}(" in json.dumps(sent.json["messages"])
