"""The workspace index and cross-file context, on multi-file fixture projects per language."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from lsprotocol import types

from mistral_lsp.prompting.context import PromptContext, build_context
from mistral_lsp.syntax import Document
from mistral_lsp.syntax.workspace import WorkspaceIndex, list_files

PROJECTS = Path(__file__).resolve().parent.parent / "fixtures" / "workspace"


@dataclass(frozen=True)
class Project:
    language: str
    file: str
    function: str
    used: tuple[str, ...]
    """Lines of other files the function uses: each must be in the prompt."""
    unrelated: tuple[str, ...]
    """Definitions of other files it does not use: none may be."""

    def __str__(self) -> str:
        return self.language


PROJECT_CASES = [
    Project("python", "src/shop/cart.py", "def cart_total",
            ("def apply_vat(amount: float) -> float:", 'CURRENCY_SYMBOL = "EUR"'),
            ("unrelated_rounding", "never_imported_helper")),
    Project("typescript", "src/map.ts", "export function mapJoin",
            ("export function operate<T, R>", "export type OperatorFunction<T, R>", 'export const SEPARATOR = ", ";'),
            ("unrelatedLift", "neverImportedHelper")),
    Project("go", "main.go", "func summary",
            ("func Format(c Cents) string {", "func clampCount(n int) int {"),
            ("UnrelatedMoney", "neverCalledHelper")),
    Project("java", "src/main/java/com/shop/cart/Cart.java", "public String summary",
            ("public static String format(long cents) {", "static final int MAX_ITEMS = 100;"),
            ("neverUsed",)),
    Project("rust", "src/lib.rs", "pub fn summary",
            ("pub fn format_cents(cents: u64) -> String {", "pub fn clamp(count: u32) -> u32 {"),
            ("unrelated_format", "never_used_helper")),
    Project("c", "src/cart.c", "long cart_units",
            ("#define CENTS_PER_UNIT 100", "typedef long cents_t;"),
            ("NEVER_INCLUDED_MACRO",)),
]


def copy_project(language: str, tmp_path: Path) -> Path:
    root = tmp_path / language
    shutil.copytree(PROJECTS / language, root)
    return root


def context_of(root: Path, relative: str, needle: str, index: WorkspaceIndex) -> PromptContext:
    path = root / relative
    text = path.read_text()
    line = next(i for i, line in enumerate(text.split("\n")) if needle in line)
    doc = Document(path.as_uri(), text)
    position = types.Position(line, len(text.split("\n")[line]) - len(text.split("\n")[line].lstrip()))
    return build_context(doc, types.Range(position, position), workspace=index)


def other_files_text(ctx: PromptContext) -> str:
    section = ctx.section("workspace")
    return section.text if section is not None else ""


def assert_uses_and_nothing_unrelated(ctx: PromptContext, project: Project) -> None:
    """The other files' definitions the target uses are shown; the unrelated ones nowhere."""
    shown = other_files_text(ctx)
    for line in project.used:
        assert line in shown, (line, shown)
    prompt = "\n".join(section.text for section in ctx.sections)
    for name in project.unrelated:
        assert name not in prompt


@pytest.mark.parametrize("project", PROJECT_CASES, ids=str)
def test_the_definitions_of_other_files_the_target_uses_are_in_the_prompt_and_no_others(
    project: Project, tmp_path: Path
) -> None:
    root = copy_project(project.language, tmp_path)
    index = WorkspaceIndex([root])
    index.build()
    ctx = context_of(root, project.file, project.function, index)
    assert_uses_and_nothing_unrelated(ctx, project)
    shown = other_files_text(ctx)
    # Each one labelled with its workspace-relative path, and listed in the result's files.
    assert ctx.files[0] == project.file
    assert len(ctx.files) > 1
    for file in ctx.files[1:]:
        assert f" {file}:" in shown
        assert not file.startswith("/")


@pytest.mark.parametrize("project", PROJECT_CASES, ids=str)
def test_without_an_index_the_context_is_the_file_alone(project: Project, tmp_path: Path) -> None:
    root = copy_project(project.language, tmp_path)
    ctx = context_of(root, project.file, project.function, WorkspaceIndex([root]))
    assert ctx.section("workspace") is None
    assert len(ctx.files) == 1


def test_a_deleted_or_renamed_file_leaves_the_index_and_the_prompt(tmp_path: Path) -> None:
    root = copy_project("python", tmp_path)
    index = WorkspaceIndex([root])
    index.build()
    rates = root / "src/shop/pricing/rates.py"
    assert index.get(rates.as_posix()) is not None
    # Renamed: the old path is gone, the new one is indexed (under its new name).
    moved = rates.with_name("tariffs.py")
    rates.rename(moved)
    index.remove(rates)
    index.update(moved)
    assert index.get(rates.as_posix()) is None
    assert index.get(moved.as_posix()) is not None
    ctx = context_of(root, "src/shop/cart.py", "def cart_total", index)
    assert "apply_vat(amount" not in other_files_text(ctx)  # cart.py still imports the old name
    # Deleted, with its folder.
    index.remove_under(root / "src/shop/pricing")
    assert not [p for p in index.paths() if "/pricing/" in p]
    ctx = context_of(root, "src/shop/cart.py", "def cart_total", index)
    assert ctx.section("workspace") is None


def test_gitignored_vendored_minified_binary_and_huge_files_are_skipped(tmp_path: Path) -> None:
    root = tmp_path / "project"
    (root / "src").mkdir(parents=True)
    (root / "build_output").mkdir()
    (root / "node_modules" / "lib").mkdir(parents=True)
    (root / ".gitignore").write_text("build_output/\n*.secret.py\n")
    (root / "src" / "kept.py").write_text("def kept():\n    return 1\n")
    (root / "src" / "keys.secret.py").write_text("API = 1\n")
    (root / "build_output" / "gen.py").write_text("def gen():\n    return 1\n")
    (root / "node_modules" / "lib" / "index.js").write_text("export const x = 1;\n")
    (root / "src" / "schema_pb2.py").write_text("X = 1\n")
    (root / "src" / "made.go").write_text("// Code generated by stringer. DO NOT EDIT.\npackage x\n")
    (root / "src" / "app.min.js").write_text("function a(){return 1}\n")
    (root / "src" / "blob.py").write_bytes(b"X = 1\n\0\0\0")
    (root / "src" / "huge.py").write_text("X = 1\n" * 200_000)
    (root / "README.md").write_text("# not code\n")
    # Generated files are indexed (`test_workspace_demand`: their definitions are context).
    expected = [root / "src" / name for name in ("kept.py", "made.go", "schema_pb2.py")]
    assert list_files(root) == expected  # a plain folder: the .gitignore files are read
    if shutil.which("git"):
        subprocess.run(["git", "init", "-q"], cwd=root, check=True)
        assert list_files(root) == expected  # a repository: git ls-files says the same
    index = WorkspaceIndex([root])
    assert index.build() == 3


def test_the_file_count_cap_bounds_the_index(tmp_path: Path) -> None:
    for i in range(30):
        (tmp_path / f"m{i:02}.py").write_text(f"def f{i}():\n    return {i}\n")
    index = WorkspaceIndex([tmp_path])
    assert index.build(max_files=10) == 10
    assert len(index) == 10


def test_multi_root_workspaces_label_each_file_with_its_own_root(tmp_path: Path) -> None:
    python = copy_project("python", tmp_path)
    go = copy_project("go", tmp_path)
    index = WorkspaceIndex([python, go])
    index.build()
    assert index.relative((go / "helpers.go").as_posix()) == "helpers.go"
    assert index.relative((python / "src/shop/cart.py").as_posix()) == "src/shop/cart.py"
    ctx = context_of(go, "main.go", "func summary", index)
    assert "helpers.go" in ctx.files
