"""The light top-level parse of on-demand resolution (`syntax.demand_scan`): in Go, only the
declarations that may define a wanted name are parsed, so a big package is reached within the
first second's budget; what it finds is what the full index finds, and the build replaces its
partial entries with full ones."""

from __future__ import annotations

import os
import time
from pathlib import Path

from mistral_lsp.syntax.resolve import cross_file_symbols
from mistral_lsp.syntax.workspace import FileEntry, WorkspaceIndex, analyse
from mistral_lsp.syntax.workspace_demand import DEFAULT_BUDGET, Budget, fill_on_demand

from .test_workspace_index import context_of, copy_project, other_files_text

TRICKY = '''// Package tricky has what a line scan could mistake.
package tricky

import (
	"fmt"
	"strings"
)

// Wanted is documented.
//
//go:noinline
func Wanted(a int,
	b int) int {
	if a > b {
		goto done
	}
	for i := 0; i < b; i++ {
		Local := i
		_ = Local
	}
done:
	return fmt.Sprint(a, strings.Repeat("x", b)) != "" && a > 0
}

var help = `
func Fake() int { return 0 }
type FakeType int
Wanted
`

/*
func Commented() {}
*/

type (
	// Grouped is in a group.
	Grouped struct {
		Field  int
		Nested struct {
			Deep int
		}
	}
	Alias = Grouped
)

var (
	First, Second = 1, 2
	Third         int
)

const (
	Zero = iota
	One
)

const (
	// Lonely is alone in its group.
	Lonely = 1
)

type Generic[T any] struct{ value T }

func (g *Generic[T]) Method() T { return g.value }

func OneLine() int { return 1 }

func Assembly(x uintptr) uintptr

var Closure = func() int {
	return len(help)
}
'''
DEFINED = ("Wanted", "Grouped", "Alias", "First", "Second", "Third", "Zero", "One", "Generic", "OneLine",
           "Assembly", "Closure", "help", "Lonely")
NOT_DEFINED = ("Fake", "FakeType", "Commented", "Method", "Field", "Nested", "Deep", "Local", "done", "value")
"""Names the file holds that no top-level declaration defines (the full index agrees)."""


def _light(tmp_path: Path, text: str, names: list[str]) -> tuple[WorkspaceIndex, Path]:
    """An index being built, after an on-demand resolution of `names` from a file of package
    `tricky` holding `text`."""
    root = tmp_path / "project"
    (root / "tricky").mkdir(parents=True)
    (root / "go.mod").write_text("module example.com/p\n")
    file = root / "tricky" / "tricky.go"
    file.write_text(text)
    user = root / "tricky" / "user.go"
    user.write_text("package tricky\n\nfunc use() {}\n")
    index = WorkspaceIndex([root])
    index.building = True
    fill_on_demand(index, user.as_posix(), "go", ["package tricky"], names)
    return index, file


def test_a_definition_parsed_in_part_is_the_one_the_full_index_finds(tmp_path: Path) -> None:
    index, file = _light(tmp_path, TRICKY, [*DEFINED, *NOT_DEFINED])
    full = analyse(file.as_posix(), TRICKY)
    assert full is not None and set(DEFINED) <= set(full.symbols) and not set(NOT_DEFINED) & set(full.symbols)
    entry = index.get(file.as_posix())
    assert entry is not None and index.partial(file.as_posix())
    # Same names, kinds and lines (doc comments, labels at column 0, raw strings and comments
    # holding declaration-like lines, groups, generics, methods, bodiless functions).
    assert {name: entry.symbols.get(name) for name in DEFINED} == {name: full.symbols[name] for name in DEFINED}
    assert not set(NOT_DEFINED) & set(entry.symbols)
    assert entry.imports == full.imports


def test_only_the_declarations_of_wanted_names_are_parsed(tmp_path: Path) -> None:
    index, file = _light(tmp_path, TRICKY, ["OneLine"])
    entry = index.get(file.as_posix())
    assert entry is not None and set(entry.symbols) == {"OneLine"}
    # A later action wanting more of the file parses more of it, keeping what it had.
    fill_on_demand(index, (file.parent / "user.go").as_posix(), "go", ["package tricky"], ["Third", "Wanted"])
    entry = index.get(file.as_posix())
    # (`Third`'s line is parsed with another of its group: `First` and `Second` come with it.)
    assert entry is not None and set(entry.symbols) == {"OneLine", "First", "Second", "Third", "Wanted"}


def test_code_a_line_scan_cannot_cut_is_parsed_in_full(tmp_path: Path) -> None:
    # Not gofmt'ed: the body's lines at column 0 would end the declaration after its first line.
    text = "package tricky\n\nfunc Unformatted() int {\nx := 1\nreturn x\n}\n\nfunc Other() {}\n"
    index, file = _light(tmp_path, text, ["Unformatted"])
    entry, full = index.get(file.as_posix()), analyse(file.as_posix(), text)
    assert entry is not None and full is not None and not index.partial(file.as_posix())
    assert entry.symbols == full.symbols  # the whole file: Other too
    assert entry.symbols["Unformatted"][0].end_line == 5


def test_a_package_of_more_files_than_the_full_parse_cap_is_reached_in_the_first_second(tmp_path: Path) -> None:
    root = tmp_path / "project"
    (root / "big").mkdir(parents=True)
    (root / "go.mod").write_text("module example.com/p\n")
    count = 48
    filler = "".join(f"func filler{i}() int {{\n\treturn {i}\n}}\n\n" for i in range(200))
    for i in range(count):
        (root / "big" / f"part{i:02}.go").write_text(f"package big\n\n{filler}func Part{i}() int {{ return {i} }}\n")
    user = root / "big" / "user.go"
    user.write_text("package big\n\nfunc all() int {\n\treturn " + " + ".join(f"Part{i}()" for i in range(count)) + "\n}\n")
    index = WorkspaceIndex([root])
    index.building = True
    names = [f"Part{i}" for i in range(count)]
    # Time is not what is tested (a loaded machine may take longer): the file caps are.
    budget = Budget(seconds=60.0)
    filled = fill_on_demand(index, user.as_posix(), "go", ["package big"], names, budget=budget)
    found = {symbol.name for _, symbol in cross_file_symbols(index, user.as_posix(), "go", ["package big"], names)}
    assert found == set(names)
    assert filled.parsed == filled.light == count > DEFAULT_BUDGET.full  # more than could be parsed in full


def test_the_build_replaces_entries_parsed_in_part_and_never_saves_them(tmp_path: Path) -> None:
    root = copy_project("go", tmp_path)
    an_hour_ago = time.time() - 3600
    for path in root.rglob("*"):
        os.utime(path, (an_hour_ago, an_hour_ago))
    index = WorkspaceIndex([root])
    index.building = True
    ctx = context_of(root, "main.go", "func summary", index)
    assert "func clampCount(n int) int {" in other_files_text(ctx)
    partial = [path for path in index.paths() if index.partial(path)]
    assert partial
    # What is saved between runs (`index_store`) holds only whole files.
    assert not {path for path, _, _ in index.stated_entries()} & set(partial)
    index.build()
    for path in index.paths():
        assert not index.partial(path)
        assert index.get(path) == analyse(path, Path(path).read_text())
    assert {path for path, _, _ in index.stated_entries()} == set(index.paths())


def test_a_whole_entry_is_never_replaced_by_a_part_of_it(tmp_path: Path) -> None:
    # The build may index a file while an action parses part of it: the build's entry stays.
    root = tmp_path / "project"
    root.mkdir()
    file = root / "tricky.go"
    file.write_text(TRICKY)
    an_hour_ago = time.time() - 3600
    os.utime(file, (an_hour_ago, an_hour_ago))
    index = WorkspaceIndex([root])
    index.update(file)
    whole = index.get(file.as_posix())
    assert whole is not None
    part = FileEntry(whole.path, whole.language, {"OneLine": whole.symbols["OneLine"]}, whole.imports)
    index.put(file, part, partial=True)
    assert index.get(file.as_posix()) is whole and not index.partial(file.as_posix())
    assert index.read_since(file)  # the build that comes later takes it as it is


def test_a_line_of_a_big_table_is_parsed_without_the_rest_of_the_table(tmp_path: Path) -> None:
    table = "".join(f"\tE{i} = Errno({i})\n" for i in range(3000))
    text = f"package tricky\n\ntype Errno int\n\nconst (\n{table})\n"
    index, file = _light(tmp_path, text, ["E1234", "E2999"])
    entry, full = index.get(file.as_posix()), analyse(file.as_posix(), text)
    assert entry is not None and full is not None and index.partial(file.as_posix())
    assert {name: entry.symbols[name] for name in ("E1234", "E2999")} == {
        name: full.symbols[name] for name in ("E1234", "E2999")
    }
    assert len(entry.symbols) <= 4  # each with one other line of the table, not 3,000
