"""`shutdown` lets a timed save of the workspace index that is writing end before it saves
what changed since (lsp/workspace_index.py): two saves never write the store at once."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from mistral_lsp.lsp import workspace_index
from mistral_lsp.lsp.server import MistralLanguageServer
from mistral_lsp.review.cache import CACHE_DIR_ENV
from mistral_lsp.syntax.workspace import WorkspaceIndex


async def test_shutdown_saves_only_after_the_timed_save_in_flight_ended(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "cache"))
    project = tmp_path / "project"
    project.mkdir()
    (project / "shop.py").write_text("def total(items):\n    return sum(items)\n")
    ls = MistralLanguageServer()
    index = ls.workspace_index = WorkspaceIndex([project])
    index.build()
    lifecycle = workspace_index._lifecycle(ls)
    lifecycle.built.set()
    timed_save: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    lifecycle.saving = timed_save  # a timed save, still writing

    shutdown = asyncio.create_task(workspace_index.shutdown(ls))
    # Shutdown must not end (nor write) while the timed save writes. Without that wait it saves
    # at once, a few milliseconds here; the bound can only make a loaded machine miss that bug,
    # never fail a correct shutdown, which cannot end before the timed save does.
    finished, _ = await asyncio.wait({shutdown}, timeout=2)
    assert finished == set()
    assert not workspace_index.store_directory().exists()  # nothing written beside it

    timed_save.set_result(None)
    await asyncio.wait_for(shutdown, 30)
    assert any(workspace_index.store_directory().iterdir())  # then shutdown saved the index
