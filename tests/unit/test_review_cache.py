"""The review cache (hashes + relative findings on disk) and the units it is keyed by."""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path

import pytest

from mistral_lsp.options import DEFAULT_REVIEW_EXCLUDE
from mistral_lsp.review import cache as review_cache
from mistral_lsp.review.cache import CACHE_VERSION, ReviewCache, cache_path_for_workspace
from mistral_lsp.review.findings import Finding
from mistral_lsp.review.units import (
    MODULE_UNIT_NAME,
    StoredFinding,
    compute_units,
    owner_of,
    place,
    to_stored,
)


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MISTRAL_LSP_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def stored(line: int = 0, title: str = "t", snippet: str = "x") -> StoredFinding:
    return StoredFinding(line=line, end=line, severity="warning", category="bug", title=title,
                         message="m", snippet=snippet, replacement=None)


# -- the cache file ------------------------------------------------------------------------------


def test_path_honours_env_and_is_per_workspace(cache_dir: Path) -> None:
    a = cache_path_for_workspace("/home/me/project")
    b = cache_path_for_workspace("/home/me/other")
    assert a.parent == cache_dir / "reviews"
    assert a != b
    assert a.name.startswith("project-")
    assert cache_path_for_workspace(None).parent == cache_dir / "reviews"


def test_round_trip_survives_a_new_instance(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    cache = ReviewCache(path)
    cache.load()
    assert cache.lookup("a.py", "h1") is None
    finding = dataclasses.replace(stored(2, "bad"), replacement="fixed()")
    cache.record("a.py", {"h1": [finding], "h2": []})
    cache.save()
    again = ReviewCache(path)
    again.load()
    assert again.lookup("a.py", "h1") == (finding,)
    assert again.lookup("a.py", "h2") == ()  # reviewed, clean: not the same as never reviewed
    assert again.lookup("a.py", "h3") is None
    assert json.loads(path.read_text())["version"] == CACHE_VERSION


async def test_save_async_writes_atomically(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "c.json"
    cache = ReviewCache(path)
    await cache.load_async()
    cache.record("a.py", {"h": [stored()]})
    await cache.save_async()
    assert [p.name for p in path.parent.iterdir()] == ["c.json"]  # no temporary left behind
    reloaded = ReviewCache(path)
    await reloaded.load_async()
    assert reloaded.lookup("a.py", "h") == (stored(),)


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        "[]",
        json.dumps({"version": 999, "files": {}}),
        json.dumps({"version": CACHE_VERSION, "files": {"a.py": {"units": {"h": {"findings": [{"line": "x"}]}}}}}),
        json.dumps({"version": CACHE_VERSION, "files": {"a.py": 3}}),
        "\udcff".encode("utf-8", "surrogateescape").decode("latin-1"),
    ],
)
def test_corrupt_cache_is_discarded_with_a_log_line(
    tmp_path: Path, content: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "c.json"
    path.write_text(content, encoding="utf-8")
    cache = ReviewCache(path)
    with caplog.at_level(logging.WARNING, logger="mistral_lsp.review.cache"):
        cache.load()
    assert len(cache) == 0
    assert "discarded" in caplog.text
    cache.save()  # the broken file is replaced by a valid, empty one
    assert json.loads(path.read_text())["files"] == {}


def test_unwritable_cache_is_logged_not_raised(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    cache = ReviewCache(blocker / "c.json")
    cache.load()
    cache.record("a.py", {"h": []})
    with caplog.at_level(logging.WARNING):
        cache.save()
    assert "not written" in caplog.text


def test_touch_keeps_current_and_few_stale_hashes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(review_cache, "STALE_UNITS_PER_FILE", 2)
    now = [0.0]
    cache = ReviewCache(tmp_path / "c.json", clock=lambda: now[0])
    for i in range(5):
        now[0] += 1
        cache.record("a.py", {f"old{i}": []})
    now[0] += 1
    cache.record("a.py", {"cur": []})
    cache.touch("a.py", ["cur"])
    assert cache.known("a.py") == {"cur", "old4", "old3"}  # the two most recently seen stale ones


def test_bounded_by_files_and_bytes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(review_cache, "MAX_FILES", 3)
    now = [0.0]
    cache = ReviewCache(tmp_path / "c.json", clock=lambda: now[0])
    for i in range(5):
        now[0] += 1
        cache.record(f"f{i}.py", {"h": [stored()]})
    cache.save()
    assert sorted(json.loads((tmp_path / "c.json").read_text())["files"]) == ["f2.py", "f3.py", "f4.py"]

    monkeypatch.setattr(review_cache, "MAX_FILES", 1000)
    monkeypatch.setattr(review_cache, "MAX_BYTES", 3000)
    for i in range(40):
        now[0] += 1
        cache.record(f"g{i}.py", {"h": [stored(title="x" * 50)]})
    cache.save()
    size = (tmp_path / "c.json").stat().st_size
    kept = json.loads((tmp_path / "c.json").read_text())["files"]
    assert size <= 3000
    assert "g39.py" in kept
    assert "f2.py" not in kept


# -- units: what is hashed ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Def:
    name: str
    kind: str
    start_line: int
    end_line: int


SOURCE = """\
import os

LIMIT = 3


class Cart:
    size = 0

    def add(self, item):
        self.items.append(item)

    def total(self):
        def helper(x):
            return x
        return sum(helper(i) for i in self.items)


def main():
    print(os.getcwd())
""".splitlines()

DEFS = [
    Def("Cart", "class", 5, 14),
    Def("add", "method", 8, 9),
    Def("total", "method", 11, 14),
    Def("helper", "function", 12, 13),  # nested in a function: part of `total`
    Def("main", "function", 17, 18),
]


def test_units_split_classes_methods_and_module_level() -> None:
    units = {u.name: u for u in compute_units(SOURCE, DEFS, "python")}
    assert set(units) == {"Cart", "add", "total", "main", MODULE_UNIT_NAME}
    assert units["Cart"].lines == (5, 6)  # its own lines: methods are units of their own
    assert units["total"].lines == (11, 12, 13, 14)
    assert units[MODULE_UNIT_NAME].lines == (0, 2)
    assert owner_of(list(units.values()), 13) is units["total"]


def test_hash_changes_only_for_the_edited_unit() -> None:
    before = {u.name: u.digest for u in compute_units(SOURCE, DEFS, "python")}
    edited = list(SOURCE)
    edited[9] = "        self.items.insert(0, item)"
    after = {u.name: u.digest for u in compute_units(edited, DEFS, "python")}
    assert {name for name in before if before[name] != after[name]} == {"add"}


def test_moving_code_keeps_hashes_and_findings_follow() -> None:
    units = compute_units(SOURCE, DEFS, "python")
    total = next(u for u in units if u.name == "total")
    finding = Finding(start_line=14, end_line=14, severity="warning", category="bug", title="t",
                      message="m", snippet="return sum(helper(i)")
    relative = to_stored(total, finding)
    assert relative is not None
    assert relative.line == 3

    moved = ["# a new comment", "", *SOURCE]
    shifted = [dataclasses.replace(d, start_line=d.start_line + 2, end_line=d.end_line + 2) for d in DEFS]
    moved_units = compute_units(moved, shifted, "python")
    moved_total = next(u for u in moved_units if u.name == "total")
    assert moved_total.digest == total.digest
    (placed,) = place(moved_total, [relative], moved)
    assert placed.start_line == 16
    assert "return sum(helper(i)" in moved[placed.start_line]
    # Blank lines added inside a definition change neither the hash nor the placement.
    spaced = [*SOURCE[:12], "", *SOURCE[12:]]
    spaced_defs = [Def("Cart", "class", 5, 15), Def("add", "method", 8, 9), Def("total", "method", 11, 15),
                   Def("main", "function", 18, 19)]
    spaced_total = next(u for u in compute_units(spaced, spaced_defs, "python") if u.name == "total")
    assert spaced_total.digest == total.digest
    assert place(spaced_total, [relative], spaced)[0].start_line == 15


def test_place_drops_a_finding_whose_snippet_is_gone() -> None:
    units = compute_units(SOURCE, DEFS, "python")
    add = next(u for u in units if u.name == "add")
    assert place(add, [stored(1, snippet="self.items.append")], SOURCE)
    assert place(add, [stored(1, snippet="not there")], SOURCE) == []
    assert place(add, [stored(7)], SOURCE) == []


# -- limits ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "excluded"),
    [
        ("src/app.py", False),
        ("node_modules/pkg/index.js", True),
        ("web/node_modules/pkg/index.js", True),
        ("static/app.min.js", True),
        ("app.min.js", True),
        ("proto/user_pb2.py", True),
        ("vendor/lib.go", True),
        ("poetry.lock", True),
        ("web/package-lock.json", True),
        ("src/vendored.py", False),
    ],
)
def test_default_exclude_globs(path: str, excluded: bool) -> None:
    from mistral_lsp.review.scope import excluded_by

    assert (excluded_by([path], DEFAULT_REVIEW_EXCLUDE) is not None) is excluded


def test_user_globs() -> None:
    from mistral_lsp.review.scope import excluded_by

    assert excluded_by(["gen/a.py"], ["gen/*.py"]) == "gen/*.py"
    assert excluded_by(["gen/sub/a.py"], ["gen/*.py"]) is None
    assert excluded_by(["gen/sub/a.py"], ["gen/**"]) == "gen/**"
    assert excluded_by(["a_test.go"], ["*_test.[gr][os]"]) is not None


@pytest.mark.parametrize(
    ("first_line", "generated"),
    [
        ("# Code generated by protoc-gen-go. DO NOT EDIT.", True),
        ("// @generated by relay-compiler", True),
        ("# Generated by Django 4.2 on 2024-01-01", True),
        ("# This file is autogenerated.", True),
        ("# Tokens generated by the lexer are cached here.", False),
        ("import os", False),
    ],
)
def test_generated_files_are_recognised(first_line: str, generated: bool) -> None:
    from mistral_lsp.review.scope import _looks_generated_or_minified

    assert (_looks_generated_or_minified([first_line, "x = 1"]) is not None) is generated
    assert _looks_generated_or_minified(["var a=1;" * 200] * 10) == "looks minified"


# -- restoring findings from the cache in a new server (the didOpen hook) ----------------------------


async def test_a_new_server_restores_findings_from_the_cache(tmp_path: Path) -> None:
    from lsprotocol.types import DocumentDiagnosticParams, TextDocumentIdentifier

    from mistral_lsp.actions.review_on_save import review_on_save
    from mistral_lsp.lsp.diagnostics import document_diagnostic
    from mistral_lsp.lsp.server import MistralLanguageServer
    from mistral_lsp.options import Settings

    text = "\n".join(SOURCE) + "\n"
    uri = (tmp_path / "cart.py").as_uri()
    published: list[str] = []

    def server() -> MistralLanguageServer:
        ls = MistralLanguageServer()
        ls.replace_settings(Settings(review_on_save=True))
        ls.publish_findings = published.append  # type: ignore[method-assign]
        ls.documents.open(uri, text, 1, "python")
        return ls

    first = server()
    state = review_on_save(first)
    location = state.locate(uri)
    snap = await state.snapshot(first.documents.get(uri))  # type: ignore[arg-type]
    add = next(u for u in snap.units if u.name == "add")
    cache = await state.cache_for(location)
    cache.record(location.key, {u.digest: [] for u in snap.units})
    cache.record(location.key, {add.digest: [stored(1, "Unbounded list", "self.items.append")]})
    await cache.save_async()

    again = server()
    await review_on_save(again).restore(uri)
    (finding,) = again.findings.get(uri, "save")
    assert finding.start_line == 9
    assert finding.title == "Unbounded list"
    assert published == [uri]
    report = document_diagnostic(
        again, DocumentDiagnosticParams(text_document=TextDocumentIdentifier(uri=uri))
    )
    assert [(d.range.start.line, d.source) for d in report.items] == [(9, "mistral")]

    disabled = server()
    disabled.replace_settings(Settings())
    await review_on_save(disabled).restore(uri)
    assert disabled.findings.get(uri) == []
