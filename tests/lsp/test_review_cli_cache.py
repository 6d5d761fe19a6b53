"""`mistral-lsp review` and review on save share one review cache: what the editor reviewed is
not sent again by the command, and what the command reviewed shows in the editor on open."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from mistral_lsp.testing.fake_api import FakeMistralAPI, Reply

from .conftest import server_env, start_editor
from .test_review_on_save import CART, ON, Session, chat_requests, marker_responder


def review(workspace: Path, env: dict[str, str], *paths: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-I", "-m", "mistral_lsp", "review", *paths, "--format", "json"],
        cwd=workspace, env=env, capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.stdout, done.stderr
    report: dict[str, object] = json.loads(done.stdout)
    return report


async def test_the_command_and_the_editor_share_the_review_cache(fake_api: FakeMistralAPI, tmp_path: Path) -> None:
    session = Session(await start_editor(fake_api, tmp_path, "neovim", settings=ON))
    try:
        editor = session.editor
        uri = await editor.open("cart.py", CART)
        fake_api.responder = marker_responder(editor, uri)
        [diagnostic] = await session.save(uri)
        assert len(chat_requests(fake_api)) == 1

        # Reviewed on save: the command answers from the cache, with the same finding.
        report = review(editor.workspace, server_env(fake_api, tmp_path), "cart.py")
        assert len(chat_requests(fake_api)) == 1
        [finding] = report["findings"]  # type: ignore[misc]
        assert (finding["line"] - 1, finding["title"]) == (diagnostic.range.start.line, "Suspicious arithmetic")

        # Reviewed by the command: opening the file shows its finding without a request.
        basket = editor.path("basket.py")
        basket.write_text(CART.replace("class Cart", "class Basket"), encoding="utf-8")
        fake_api.responder = marker_responder_for_file(basket)
        review(editor.workspace, server_env(fake_api, tmp_path), "basket.py")
        assert len(chat_requests(fake_api)) == 2
        basket_uri = await editor.open("basket.py", basket.read_text(encoding="utf-8"), write=False)
        await editor.wait_until(lambda: session.diagnostics(basket_uri), what="cached findings on open")
        assert len(chat_requests(fake_api)) == 2
    finally:
        await session.stop()


def marker_responder_for_file(path: Path) -> Callable[[Any], Reply]:
    """`marker_responder`, reading the text from disk instead of an open document."""
    on_disk = SimpleNamespace(texts={path.as_uri(): path.read_text(encoding="utf-8")})
    return marker_responder(on_disk, path.as_uri())  # type: ignore[arg-type]
