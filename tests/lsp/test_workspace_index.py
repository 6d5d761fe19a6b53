"""Cross-file context end to end: the real server indexes the workspace after `initialized`
(with progress), follows `didChangeWatchedFiles`, and an action's prompt and result show the
definitions of other files the target uses."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from lsprotocol import types

from mistral_lsp.testing.fake_api import FakeMistralAPI, Reply

from .conftest import API_KEY, Editor, pos, start_editor

PROJECT = Path(__file__).resolve().parent.parent / "fixtures" / "workspace" / "python"
FILLER_FILES = 120
"""Enough files for the index to show progress (small workspaces index without it)."""


@pytest.fixture(params=["neovim", "visual_studio_code"])
async def session(request: pytest.FixtureRequest, fake_api: FakeMistralAPI, tmp_path: Path) -> AsyncIterator[Editor]:
    workspace = tmp_path / "workspace"
    shutil.copytree(PROJECT, workspace)
    (workspace / ".gitignore").write_text("ignored/\n")
    (workspace / "ignored").mkdir()
    (workspace / "ignored" / "shadow.py").write_text("def apply_vat(amount):\n    return 'from an ignored file'\n")
    filler = workspace / "src" / "filler"
    filler.mkdir()
    for i in range(FILLER_FILES):
        (filler / f"module_{i}.py").write_text(f"def filler_{i}():\n    return {i}\n")
    editor = await start_editor(fake_api, tmp_path, request.param)
    try:
        yield editor
    finally:
        await editor.client.shutdown_session()
        await editor.client.stop()


def progress_ends(editor: Editor) -> list[str]:
    return [
        r.message or "" for reports in editor.client.progress_reports.values() for r in reports
        if isinstance(r, types.WorkDoneProgressEnd)
    ]


async def explain(editor: Editor, uri: str, line: int) -> tuple[dict[str, object], str]:
    editor.fake.enqueue(Reply(text="It adds VAT."))
    result = await editor.command("mistral.explain", {"uri": uri, "range": {"start": pos(line, 4), "end": pos(line, 4)},
                                                      "showResult": False})
    return result["context"], json.dumps(editor.fake.requests[-1].json["messages"])


async def test_the_index_builds_with_progress_and_feeds_cross_file_context(session: Editor) -> None:
    ends = await session.wait_until(
        lambda: [m for m in progress_ends(session) if m.startswith("Indexed")], what="the index build to end"
    )
    assert ends == [f"Indexed {FILLER_FILES + 5:,} files"]  # the project's 5 files and the fillers, not ignored/
    begins = [r for rs in session.client.progress_reports.values() for r in rs if isinstance(r, types.WorkDoneProgressBegin)]
    assert begins[0].message == f"Indexing {FILLER_FILES + 5:,} files"

    cart = session.path("src/shop/cart.py")
    uri = await session.open("src/shop/cart.py", cart.read_text(), write=False)
    context, prompt = await explain(session, uri, 4)
    assert context["files"] == ["src/shop/cart.py", "src/shop/pricing/rates.py", "src/shop/pricing/currency.py"]
    assert isinstance(context["tokens"], int) and context["tokens"] > 0
    assert "def apply_vat(amount: float) -> float:" in prompt
    assert "src/shop/pricing/rates.py:6" in prompt
    assert "from an ignored file" not in prompt
    assert "unrelated_rounding" not in prompt

    # The file is deleted on disk: the watcher says so, and it leaves the index and the prompt.
    rates = session.path("src/shop/pricing/rates.py")
    rates.unlink()
    session.client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(changes=[types.FileEvent(uri=rates.as_uri(), type=types.FileChangeType.Deleted)])
    )
    context, prompt = await explain(session, uri, 4)
    assert context["files"] == ["src/shop/cart.py", "src/shop/pricing/currency.py"]
    assert "def apply_vat" not in prompt

    # It comes back under the same name with a new body: created, then indexed from the disk.
    rates.write_text("def apply_vat(amount: float) -> float:\n    return amount * 1.25\n")
    session.client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(changes=[types.FileEvent(uri=rates.as_uri(), type=types.FileChangeType.Created)])
    )
    context, prompt = await explain(session, uri, 4)
    assert "src/shop/pricing/rates.py" in context["files"]
    assert "amount * 1.25" in prompt


async def test_workspace_folders_added_and_removed_join_and_leave_the_index(
    fake_api: FakeMistralAPI, tmp_path: Path
) -> None:
    (tmp_path / "workspace").mkdir()
    editor = await start_editor(fake_api, tmp_path, "visual_studio_code")
    try:
        second = tmp_path / "second"
        shutil.copytree(PROJECT, second)
        filler = second / "filler"
        filler.mkdir()
        for i in range(FILLER_FILES):
            (filler / f"module_{i}.py").write_text(f"def filler_{i}():\n    return {i}\n")
        folder = types.WorkspaceFolder(uri=second.as_uri(), name="second")
        editor.client.workspace_did_change_workspace_folders(
            types.DidChangeWorkspaceFoldersParams(event=types.WorkspaceFoldersChangeEvent(added=[folder], removed=[]))
        )
        await editor.wait_until(
            lambda: [m for m in progress_ends(editor) if m == f"Indexed {FILLER_FILES + 5:,} files"],
            what="the added folder to be indexed",
        )
        cart = second / "src/shop/cart.py"
        uri = cart.as_uri()
        editor.texts[uri], editor.versions[uri] = cart.read_text(), 1
        editor.client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=cart.read_text())
        ))
        context, prompt = await explain(editor, uri, 4)
        assert context["files"] == ["src/shop/cart.py", "src/shop/pricing/rates.py", "src/shop/pricing/currency.py"]
        assert "def apply_vat(amount: float) -> float:" in prompt

        editor.client.workspace_did_change_workspace_folders(
            types.DidChangeWorkspaceFoldersParams(event=types.WorkspaceFoldersChangeEvent(added=[], removed=[folder]))
        )
        context, prompt = await explain(editor, uri, 4)
        assert len(context["files"]) == 1
        assert "def apply_vat" not in prompt
    finally:
        await editor.client.shutdown_session()
        await editor.client.stop()


# -- the index saved in the cache directory ---------------------------------------------------


def restartable_workspace(tmp_path: Path) -> Path:
    """The project and its fillers, last modified an hour ago (files modified moments before
    they are read are not saved: their stat could still change without their size)."""
    workspace = tmp_path / "workspace"
    shutil.copytree(PROJECT, workspace)
    filler = workspace / "src" / "filler"
    filler.mkdir()
    for i in range(FILLER_FILES):
        (filler / f"module_{i}.py").write_text(f"def filler_{i}():\n    return {i}\n")
    an_hour_ago = time.time() - 3600
    for path in workspace.rglob("*"):
        os.utime(path, (an_hour_ago, an_hour_ago))
    return workspace


def saved_indexes(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "cache" / "index").glob("*.jsonl.gz"))


def saved_files(saved: Path) -> set[str]:
    """The workspace-relative paths a saved index holds (its lines after the header)."""
    return {json.loads(line)[0] for line in gzip.decompress(saved.read_bytes()).splitlines()[1:]}


async def run_until_indexed(fake_api: FakeMistralAPI, tmp_path: Path, ending: str) -> Editor:
    editor = await start_editor(fake_api, tmp_path, "visual_studio_code")
    await editor.wait_until(lambda: [m for m in progress_ends(editor) if m.startswith("Indexed")],
                            what="the index build to end")
    assert progress_ends(editor) == [ending]
    return editor


async def stop(editor: Editor) -> None:
    await editor.client.shutdown_session()
    await editor.client.stop()


async def test_a_restarted_server_reuses_the_saved_index_and_reindexes_what_changed(
    fake_api: FakeMistralAPI, tmp_path: Path
) -> None:
    workspace = restartable_workspace(tmp_path)
    editor = await run_until_indexed(fake_api, tmp_path, f"Indexed {FILLER_FILES + 5:,} files")
    await stop(editor)  # `shutdown` is answered once the index is saved

    # While the server is down: one file changes, one is deleted.
    rates = workspace / "src/shop/pricing/rates.py"
    rates.write_text(rates.read_text().replace("def apply_vat(amount: float)", "def apply_vat(amount: float, rate: float)"))
    half_an_hour_ago = time.time() - 1800
    os.utime(rates, (half_an_hour_ago, half_an_hour_ago))
    (workspace / "src/shop/pricing/currency.py").unlink()

    # 124 files; all but the changed one are taken from the saved index without being read.
    editor = await run_until_indexed(fake_api, tmp_path, f"Indexed {FILLER_FILES + 4:,} files ({FILLER_FILES + 3:,} unchanged)")
    try:
        cart = workspace / "src/shop/cart.py"
        uri = await editor.open("src/shop/cart.py", cart.read_text(), write=False)
        context, prompt = await explain(editor, uri, 4)
        assert context["files"] == ["src/shop/cart.py", "src/shop/pricing/rates.py"]
        assert "def apply_vat(amount: float, rate: float) -> float:" in prompt
        assert "def apply_vat(amount: float) -> float:" not in prompt
        assert "currency.py" not in prompt
        # Deleted during the session: only the save on `shutdown` can drop it from the file.
        other = workspace / "src/shop/other.py"
        other.unlink()
        editor.client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=other.as_uri(), type=types.FileChangeType.Deleted)]
        ))
    finally:
        await stop(editor)

    # Saved again on shutdown, without the deleted files, with the changed one, without the key.
    (saved,) = saved_indexes(tmp_path)
    stored = saved_files(saved)
    assert "src/shop/pricing/currency.py" not in stored
    assert "src/shop/other.py" not in stored
    assert "src/shop/pricing/rates.py" in stored
    for path in (tmp_path / "cache").rglob("*"):
        if path.is_file():
            raw = path.read_bytes()
            assert API_KEY.encode() not in (gzip.decompress(raw) if path.suffix == ".gz" else raw)


async def test_a_damaged_saved_index_is_ignored_and_rebuilt(fake_api: FakeMistralAPI, tmp_path: Path) -> None:
    workspace = restartable_workspace(tmp_path)
    editor = await run_until_indexed(fake_api, tmp_path, f"Indexed {FILLER_FILES + 5:,} files")
    await stop(editor)  # `shutdown` is answered once the index is saved
    (saved,) = saved_indexes(tmp_path)
    saved.write_bytes(saved.read_bytes()[:-20])  # cut short, as by a full disk

    editor = await run_until_indexed(fake_api, tmp_path, f"Indexed {FILLER_FILES + 5:,} files")
    try:
        assert "ignoring the damaged saved index" in editor.log_file.read_text()
        cart = workspace / "src/shop/cart.py"
        uri = await editor.open("src/shop/cart.py", cart.read_text(), write=False)
        context, prompt = await explain(editor, uri, 4)
        assert "src/shop/pricing/rates.py" in context["files"]
        assert "def apply_vat(amount: float) -> float:" in prompt
    finally:
        await stop(editor)
    # Rewritten whole.
    assert "src/shop/pricing/rates.py" in saved_files(saved)


async def test_with_the_cache_setting_off_nothing_is_saved_or_loaded(fake_api: FakeMistralAPI, tmp_path: Path) -> None:
    restartable_workspace(tmp_path)
    editor = await run_until_indexed(fake_api, tmp_path, f"Indexed {FILLER_FILES + 5:,} files")
    await stop(editor)
    assert saved_indexes(tmp_path)

    editor = await start_editor(fake_api, tmp_path, "visual_studio_code", settings={"workspaceIndexCache": False})
    await editor.wait_until(lambda: [m for m in progress_ends(editor) if m.startswith("Indexed")],
                            what="the index build to end")
    assert progress_ends(editor) == [f"Indexed {FILLER_FILES + 5:,} files"]  # nothing reused
    for saved in saved_indexes(tmp_path):
        saved.unlink()
    await stop(editor)
    assert saved_indexes(tmp_path) == []  # nor saved on shutdown


# -- the first second: an action while the index is still being built -------------------------

SLOW_BUILD_FILES = 2000
"""Enough files, listed before the project's, that the build is still running when an action
sent right after `initialize` builds its context (the test checks it was)."""


async def test_an_action_before_the_index_is_built_gets_the_definitions_its_imports_bring_in(
    fake_api: FakeMistralAPI, tmp_path: Path
) -> None:
    workspace = tmp_path / "workspace"
    shutil.copytree(PROJECT, workspace)
    filler = workspace / "src" / "aaa_filler"  # walked before src/shop
    filler.mkdir()
    for i in range(SLOW_BUILD_FILES):
        (filler / f"module_{i}.py").write_text(f"def filler_{i}():\n    return {i}\n")
    editor = await start_editor(fake_api, tmp_path, "visual_studio_code")
    try:
        cart = editor.path("src/shop/cart.py")
        uri = await editor.open("src/shop/cart.py", cart.read_text(), write=False)
        context, prompt = await explain(editor, uri, 4)
        assert not [m for m in progress_ends(editor) if m.startswith("Indexed")], "the build ended first"
        assert "def apply_vat(amount: float) -> float:" in prompt
        assert "src/shop/pricing/rates.py:6" in prompt
        assert 'CURRENCY_SYMBOL = \\"EUR\\"' in prompt
        assert context["files"] == [
            "src/shop/cart.py", "src/shop/pricing/rates.py", "src/shop/pricing/currency.py"
        ]
    finally:
        await stop(editor)
