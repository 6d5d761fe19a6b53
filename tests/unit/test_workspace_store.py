"""The workspace index saved in the cache directory (`syntax.index_store`): what a restart reuses,
re-reads and drops, and that a damaged or foreign saved index is ignored, never fatal."""

from __future__ import annotations

import gzip
import json
import logging
import os
import shutil
import time
from pathlib import Path

import pytest

from mistral_lsp.syntax import index_store
from mistral_lsp.syntax.workspace import WorkspaceIndex, document_edited

from .test_workspace_index import PROJECTS, context_of, other_files_text

AN_HOUR_AGO = time.time() - 3600


def aged_copy(language: str, tmp_path: Path) -> Path:
    """A fixture project whose files were last modified an hour ago."""
    root = tmp_path / language
    shutil.copytree(PROJECTS / language, root)
    for path in root.rglob("*"):
        os.utime(path, (AN_HOUR_AGO, AN_HOUR_AGO))
    return root


def built_and_saved(root: Path, cache: Path) -> WorkspaceIndex:
    index = WorkspaceIndex([root])
    index.build()
    index_store.save(cache, index)
    return index


def saved_then_restarted(root: Path, cache: Path) -> tuple[WorkspaceIndex, WorkspaceIndex, int]:
    first = built_and_saved(root, cache)
    second = WorkspaceIndex([root])
    counts = second.build_counted(saved=index_store.load(cache, second.roots))
    return first, second, counts.reused


@pytest.mark.parametrize("language", ["python", "typescript", "go", "java", "rust", "c"])
def test_a_restart_reuses_every_unchanged_file_and_equals_a_fresh_build(language: str, tmp_path: Path) -> None:
    root = aged_copy(language, tmp_path)
    first, second, reused = saved_then_restarted(root, tmp_path / "cache")
    assert reused == len(first) > 1
    assert second.snapshot() == first.snapshot()


def test_a_file_changed_or_deleted_while_down_is_reread_or_dropped(tmp_path: Path) -> None:
    root = aged_copy("python", tmp_path)
    cache = tmp_path / "cache"
    first = built_and_saved(root, cache)
    rates, currency = root / "src/shop/pricing/rates.py", root / "src/shop/pricing/currency.py"
    # Same size, new modification time: re-read all the same.
    rates.write_text(rates.read_text().replace("def apply_vat(amount", "def apply_tax(amount"))
    os.utime(rates, (AN_HOUR_AGO + 60, AN_HOUR_AGO + 60))
    currency.unlink()

    second = WorkspaceIndex([root])
    counts = second.build_counted(saved=index_store.load(cache, second.roots))
    assert counts.indexed == len(first) - 1
    assert counts.reused == len(first) - 2
    entry = second.get(rates.as_posix())
    assert entry is not None and "apply_tax" in entry.symbols and "apply_vat" not in entry.symbols
    assert second.get(currency.as_posix()) is None
    fresh = WorkspaceIndex([root])
    fresh.build()
    assert second.snapshot() == fresh.snapshot()


def test_text_from_the_editor_or_a_file_modified_moments_ago_is_not_saved(tmp_path: Path) -> None:
    from mistral_lsp.syntax import Document

    root = aged_copy("python", tmp_path)
    cart, rates = root / "src/shop/cart.py", root / "src/shop/pricing/rates.py"
    rates.write_text(rates.read_text() + "\n\ndef brand_new():\n    pass\n")  # modified just now
    index = WorkspaceIndex([root])
    index.build()
    unsaved = cart.read_text() + "\n\ndef only_in_the_editor():\n    pass\n"
    document_edited(index, cart.as_posix(), Document(cart.as_uri(), unsaved, 1, "python"))
    index_store.save(tmp_path / "cache", index)

    saved = index_store.load(tmp_path / "cache", index.roots)
    assert cart.as_posix() not in saved
    assert rates.as_posix() not in saved
    assert (root / "src/shop/pricing/currency.py").as_posix() in saved
    # What was saved of them is re-read on restart: the disk's cart, the new rates.
    restarted = WorkspaceIndex([root])
    restarted.build_counted(saved=saved)
    cart_entry, rates_entry = restarted.get(cart.as_posix()), restarted.get(rates.as_posix())
    assert cart_entry is not None and "only_in_the_editor" not in cart_entry.symbols
    assert rates_entry is not None and "brand_new" in rates_entry.symbols


def test_a_saved_index_from_another_version_is_discarded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = aged_copy("python", tmp_path)
    index = built_and_saved(root, tmp_path / "cache")
    monkeypatch.setattr(index_store, "fingerprint", lambda: "an upgraded grammar")
    assert index_store.load(tmp_path / "cache", index.roots) == {}


DAMAGE = {
    "truncated": lambda raw: raw[: len(raw) // 2],
    "not gzip": lambda raw: b"garbage",
    "not json": lambda raw: gzip.compress(b"{not json"),
    "another shape": lambda raw: gzip.compress(json.dumps([1, 2]).encode()),
    "a line cut short": lambda raw: gzip.compress(gzip.decompress(raw)[:-30]),
}


@pytest.mark.parametrize("damage", list(DAMAGE), ids=str)
def test_a_damaged_saved_index_is_ignored_with_one_log_line(
    damage: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = aged_copy("python", tmp_path)
    cache = tmp_path / "cache"
    index = built_and_saved(root, cache)
    (path,) = cache.glob("*.jsonl.gz")
    path.write_bytes(DAMAGE[damage](path.read_bytes()))
    with caplog.at_level(logging.INFO, logger="mistral_lsp.syntax.index_store"):
        saved = index_store.load(cache, index.roots)
    assert saved == {}
    assert len(caplog.records) == 1 and str(path) in caplog.records[0].getMessage()
    restarted = WorkspaceIndex([root])
    assert restarted.build_counted(saved=saved).indexed == len(index)
    shown = other_files_text(context_of(root, "src/shop/cart.py", "def cart_total", restarted))
    assert "def apply_vat(amount: float) -> float:" in shown


def test_a_symbol_of_the_wrong_type_discards_the_file(tmp_path: Path) -> None:
    root = aged_copy("python", tmp_path)
    cache = tmp_path / "cache"
    index = built_and_saved(root, cache)
    (path,) = cache.glob("*.jsonl.gz")
    lines = [json.loads(line) for line in gzip.decompress(path.read_bytes()).splitlines()]
    rates = next(line for line in lines[1:] if line[0] == "src/shop/pricing/rates.py")
    rates[4][0][2] = "7"
    path.write_bytes(gzip.compress(b"\n".join(json.dumps(line).encode() for line in lines)))
    assert index_store.load(cache, index.roots) == {}


def test_writes_are_atomic_and_the_directory_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    stale = cache / "old-0000000000000000.jsonl.gz"
    stale.write_bytes(b"x" * 10)
    long_ago = time.time() - (index_store.MAX_AGE_DAYS + 1) * 86400
    os.utime(stale, (long_ago, long_ago))
    left_by_a_crash = cache / ".index-abc.tmp"
    left_by_a_crash.write_bytes(b"partial")
    os.utime(left_by_a_crash, (long_ago, long_ago))
    recent = cache / "recent-1111111111111111.jsonl.gz"
    recent.write_bytes(b"y" * 1000)

    root = aged_copy("python", tmp_path)
    index = WorkspaceIndex([root])
    index.build()
    written = index_store.save(cache, index)
    assert not stale.exists() and not left_by_a_crash.exists()
    assert recent.exists()  # used recently, and the directory is under its cap
    assert sorted(p.name for p in cache.iterdir()) == sorted([recent.name, index_store.store_path(cache, root.resolve()).name])

    # Over the cap: the least recently used go first, never the one just written.
    monkeypatch.setattr(index_store, "MAX_TOTAL_BYTES", written + 10)
    index_store.save(cache, index)
    assert [p.name for p in cache.iterdir()] == [index_store.store_path(cache, root.resolve()).name]
