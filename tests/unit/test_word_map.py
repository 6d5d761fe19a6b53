"""The word map kept with the workspace index (identifier → files holding it): `references`
scans only those files, and the map follows every change the index sees."""

from __future__ import annotations

import json
from pathlib import Path

from mistral_lsp.lookup import PathGuard, ToolBox, Workspace
from mistral_lsp.syntax.document import Document
from mistral_lsp.syntax.workspace import WorkspaceIndex, document_edited, file_event


def workspace(tmp_path: Path, files: int = 40) -> tuple[Path, WorkspaceIndex, ToolBox]:
    root = (tmp_path / "ws").resolve()
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "rates.py").write_text("def convert(amount):\n    return amount * 2\n")
    for i in range(files):
        (root / f"module_{i}.py").write_text(f"def helper_{i}():\n    return {i}\n")
    index = WorkspaceIndex([root])
    index.build()
    guard = PathGuard([root], indexed=lambda p: index.get(p) is not None)
    return root, index, ToolBox(Workspace(index, guard), max_run_tokens=10**6)


def references(tools: ToolBox, name: str) -> str:
    return tools.answer("references", json.dumps({"name": name})).text


def test_references_scan_only_the_files_holding_the_name(tmp_path: Path) -> None:
    root, index, tools = workspace(tmp_path)
    (root / "module_3.py").write_text("# convert is mentioned in a comment only\n")
    file_event(index, str(root / "module_3.py"), deleted=False)
    # Two files hold the word (one only in a comment): only those are read, not all 42.
    assert references(tools, "convert") == "pkg/rates.py:1: def convert(amount):"
    assert references(tools, "nowhere_used") == "error: no uses of 'nowhere_used' found in the 0 files searched"
    assert index.words.files_with("convert") == {(root / "pkg/rates.py").as_posix(), (root / "module_3.py").as_posix()}


def test_the_map_follows_edits_file_events_and_deletions(tmp_path: Path) -> None:
    root, index, tools = workspace(tmp_path)
    caller = root / "module_7.py"
    caller.write_text("from pkg.rates import convert\n\nprint(convert(3))\n")
    file_event(index, str(caller), deleted=False)
    assert references(tools, "convert").splitlines() == [
        "pkg/rates.py:1: def convert(amount):",
        "module_7.py:1: from pkg.rates import convert",
        "module_7.py:3: print(convert(3))",
    ]
    # An edit in the editor (not saved) drops the use: the map follows the editor's text.
    edited = "from pkg.rates import convert as change\n\nprint(change(3))\n"
    index.open_text = lambda path: edited if path == caller.as_posix() else None
    document_edited(index, caller.as_posix(), Document(caller.as_uri(), edited))
    assert "module_7.py:3" not in references(tools, "convert")
    assert references(tools, "change").splitlines() == [
        "module_7.py:1: from pkg.rates import convert as change", "module_7.py:3: print(change(3))"]
    index.open_text = None
    caller.unlink()
    file_event(index, str(caller), deleted=True)
    assert index.words.files_with("change") == set()
    assert references(tools, "convert") == "pkg/rates.py:1: def convert(amount):"


def test_an_entry_from_the_saved_index_is_scanned_until_its_words_are_read(tmp_path: Path) -> None:
    root, index, tools = workspace(tmp_path, files=3)
    caller = root / "module_1.py"
    caller.write_text("from pkg.rates import convert\n")
    saved_entry = index.get(caller.as_posix())
    assert saved_entry is not None
    index.put(caller, saved_entry)  # as a restart takes it from the saved index: no text read
    assert index.words.is_unknown(caller.as_posix())
    assert caller.as_posix() in (index.words.files_with("anything") or set())
    assert "module_1.py:1: from pkg.rates import convert" in references(tools, "convert")
    # The scan read it: now known, and a candidate only for its own words.
    assert not index.words.is_unknown(caller.as_posix())
    assert caller.as_posix() not in (index.words.files_with("anything") or set())


def test_short_names_are_scanned_without_the_map(tmp_path: Path) -> None:
    root, index, tools = workspace(tmp_path, files=3)
    (root / "module_2.py").write_text("io = 1\n")
    file_event(index, str(root / "module_2.py"), deleted=False)
    assert index.words.files_with("io") is None
    assert references(tools, "io") == "module_2.py:1: io = 1"
