"""`shutdown` while the workspace index is still being built: answered (after a bounded wait),
and what was indexed so far is saved, on every supported Python — before 3.11,
`asyncio.wait_for` raises `asyncio.TimeoutError`, which is not the builtin `TimeoutError`."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from lsprotocol import types

from mistral_lsp.lsp.workspace_index import PROGRESS_MIN_FILES
from mistral_lsp.testing.fake_api import FakeMistralAPI

from .conftest import start_editor


async def test_shutdown_during_a_stuck_index_build_is_answered(fake_api: FakeMistralAPI, tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    for i in range(PROGRESS_MIN_FILES + 10):  # enough files for the build to ask for progress
        (workspace / f"module_{i}.py").write_text(f"def f_{i}():\n    return {i}\n")
    editor = await start_editor(fake_api, tmp_path, "neovim")
    asked, release = [], asyncio.Event()

    async def create(params: types.WorkDoneProgressCreateParams) -> None:
        # The client sits on the index's progress token: the build cannot end before shutdown.
        asked.append(params.token)
        editor.notify()
        await release.wait()

    editor.client.protocol.fm.features[types.WINDOW_WORK_DONE_PROGRESS_CREATE] = create
    try:
        await editor.wait_until(lambda: asked, what="the index build to ask for progress")
        answer: Any = await asyncio.wait_for(editor.client.shutdown_async(None), 30)
        assert answer is None  # answered, not an error
        # Saved by shutdown itself, the build still held (read before the client lets it go on).
        saved_at_shutdown = "workspace index: saved" in editor.log_file.read_text(errors="replace")
    finally:
        release.set()
        editor.client.exit(None)
        await editor.client.stop()
    log = editor.log_file.read_text(errors="replace")
    assert "internal error" not in log and "Traceback" not in log
    assert saved_at_shutdown, log[-2000:]  # what the build had listed is kept for the next start
