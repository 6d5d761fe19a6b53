"""Context from the first second, and generated files: while the index is built, the files a
target's imports bring in are indexed on demand (bounded); generated files are indexed (their
definitions are what code uses) and only review leaves them alone."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from mistral_lsp.options import Settings
from mistral_lsp.review.scope import skip_reason
from mistral_lsp.syntax.workspace import WorkspaceIndex, list_files
from mistral_lsp.syntax.workspace_demand import Budget, fill_on_demand

from .test_workspace_index import (
    PROJECT_CASES,
    Project,
    assert_uses_and_nothing_unrelated,
    context_of,
    copy_project,
    other_files_text,
)

ON_DEMAND = [case for case in PROJECT_CASES if case.language not in ("java", "c")]
"""Java's imports and C's includes not beside the file name files anywhere in the tree (by path
suffix): only the built index finds them. The same package's files, and headers beside the file,
are found on demand (see the tests below)."""


def building(root: Path) -> WorkspaceIndex:
    """An index as it is right after `initialized`: its build started, nothing indexed yet."""
    index = WorkspaceIndex([root])
    index.building = True
    return index


@pytest.mark.parametrize("project", ON_DEMAND, ids=str)
def test_before_the_build_reaches_them_the_files_the_imports_bring_in_are_indexed_on_demand(
    project: Project, tmp_path: Path
) -> None:
    root = copy_project(project.language, tmp_path)
    index = building(root)
    ctx = context_of(root, project.file, project.function, index)
    assert_uses_and_nothing_unrelated(ctx, project)
    # Only files that may define a used name were parsed: never the whole workspace.
    assert 0 < len(index) < len(list_files(root))


def test_java_finds_the_same_package_on_demand(tmp_path: Path) -> None:
    root = copy_project("java", tmp_path)
    ctx = context_of(root, "src/main/java/com/shop/cart/Cart.java", "public String summary", building(root))
    assert "static final int MAX_ITEMS = 100;" in other_files_text(ctx)


def test_c_finds_a_header_beside_the_file_on_demand(tmp_path: Path) -> None:
    root = copy_project("c", tmp_path)
    (root / "include" / "money.h").rename(root / "src" / "money.h")
    ctx = context_of(root, "src/cart.c", "long cart_units", building(root))
    assert "typedef long cents_t;" in other_files_text(ctx)


def test_the_build_takes_what_was_indexed_on_demand_as_it_is(tmp_path: Path) -> None:
    # Files parsed in full (Go's, parsed in part, are parsed again: `test_demand_scan`).
    root = copy_project("python", tmp_path)
    an_hour_ago = time.time() - 3600
    for path in root.rglob("*"):
        os.utime(path, (an_hour_ago, an_hour_ago))
    index = building(root)
    context_of(root, "src/shop/cart.py", "def cart_total", index)
    early = {path: index.get(path) for path in index.paths()}
    assert early
    counts = index.build_counted()
    assert counts.indexed == len(list_files(root))
    assert all(index.get(path) is entry for path, entry in early.items())  # not parsed again


def test_a_file_changed_since_it_was_indexed_on_demand_is_parsed_again_by_the_build(tmp_path: Path) -> None:
    root = copy_project("go", tmp_path)
    helpers = root / "helpers.go"
    an_hour_ago = time.time() - 3600
    os.utime(helpers, (an_hour_ago, an_hour_ago))
    index = building(root)
    context_of(root, "main.go", "func summary", index)
    assert index.get(helpers.as_posix()) is not None
    helpers.write_text(helpers.read_text() + "\nfunc addedLater() int { return 1 }\n")
    index.build()
    entry = index.get(helpers.as_posix())
    assert entry is not None and "addedLater" in entry.symbols


def test_on_demand_resolution_is_bounded(tmp_path: Path) -> None:
    root = tmp_path / "project"
    root.mkdir()
    (root / "go.mod").write_text("module example.com/many\n")
    names = [f"Helper{i}" for i in range(10)]
    for i, name in enumerate(names):
        (root / f"h{i}.go").write_text(f"package main\n\nfunc {name}() int {{ return {i} }}\n")
    main = root / "main.go"
    main.write_text("package main\n\nfunc all() int {\n\treturn " + " + ".join(f"{n}()" for n in names) + "\n}\n")
    index = building(root)
    filled = fill_on_demand(index, main.as_posix(), "go", ["package main"], names, budget=Budget(files=3))
    assert (filled.candidates, filled.parsed, len(index)) == (10, 3, 3)
    filled = fill_on_demand(index, main.as_posix(), "go", ["package main"], names, budget=Budget(bytes=1))
    assert filled.parsed == 0 and len(index) == 3  # a file is read, then the byte budget is spent
    # A name no file holds costs reading the candidates, never parsing them (the 3 parsed in
    # part are candidates still: they may define a name not parsed yet).
    filled = fill_on_demand(index, main.as_posix(), "go", ["package main"], ["Missing"])
    assert (filled.read, filled.parsed) == (10, 0)


STRINGER = '''// Code generated by "stringer -type=Pill"; DO NOT EDIT.

package pills

import "strconv"

const _Pill_name = "PlaceboAspirinIbuprofen"

var _Pill_index = [...]uint8{0, 7, 14, 23}

func (i Pill) String() string {
	if i < 0 || i >= Pill(len(_Pill_index)-1) {
		return "Pill(" + strconv.FormatInt(int64(i), 10) + ")"
	}
	return _Pill_name[_Pill_index[i]:_Pill_index[i+1]]
}
'''
PROTOBUF = '''// Code generated by protoc-gen-go. DO NOT EDIT.
// source: pills.proto

package pills

type Prescription struct {
	Patient string
	Pill    Pill
}

func (x *Prescription) GetPatient() string {
	if x != nil {
		return x.Patient
	}
	return ""
}
'''
HAND_WRITTEN = '''package pills

type Pill int

func label(p *Prescription) string {
	return p.GetPatient() + ": " + _Pill_name[:_Pill_index[1]]
}
'''


def test_generated_files_are_indexed_and_used_as_context_but_not_reviewed(tmp_path: Path) -> None:
    root = tmp_path / "pills"
    root.mkdir()
    (root / "go.mod").write_text("module example.com/pills\n")
    (root / "pill_string.go").write_text(STRINGER)
    (root / "pills.pb.go").write_text(PROTOBUF)
    (root / "pills.go").write_text(HAND_WRITTEN)
    (root / "app.min.js").write_text("function a(){return 1}\n")  # minified: still not indexed
    assert [path.name for path in list_files(root)] == ["pill_string.go", "pills.go", "pills.pb.go"]
    index = WorkspaceIndex([root])
    index.build()
    stringer = index.get((root / "pill_string.go").as_posix())
    protobuf = index.get((root / "pills.pb.go").as_posix())
    assert stringer is not None and {"_Pill_name", "_Pill_index"} <= set(stringer.symbols)
    assert protobuf is not None and "Prescription" in protobuf.symbols
    shown = other_files_text(context_of(root, "pills.go", "func label", index))
    assert "type Prescription struct {" in shown
    assert 'const _Pill_name = "PlaceboAspirinIbuprofen"' in shown
    # Review (on save and the CLI share these rules) skips them, with or without the default globs.
    for settings in (Settings(), Settings(review_exclude=[])):
        for name, text in (("pill_string.go", STRINGER), ("pills.pb.go", PROTOBUF)):
            assert skip_reason((name,), text.split("\n"), settings) is not None
        assert skip_reason(("pills.go",), HAND_WRITTEN.split("\n"), settings) is None


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_named_pipe_in_the_workspace_does_not_hold_the_build(tmp_path: Path) -> None:
    root = tmp_path / "project"
    root.mkdir()
    os.mkfifo(root / "pipe.py")  # reading its head would wait for a writer forever
    (root / "kept.py").write_text("def kept():\n    return 1\n")
    listed: list[Path] = []
    worker = threading.Thread(target=lambda: listed.extend(list_files(root)), daemon=True)
    worker.start()
    worker.join(timeout=30)
    try:
        assert not worker.is_alive(), "listing the workspace blocked on the named pipe"
        assert listed == [root / "kept.py"]
    finally:
        if worker.is_alive():  # release it: a writer ends the reader's wait
            os.close(os.open(root / "pipe.py", os.O_WRONLY | os.O_NONBLOCK))
