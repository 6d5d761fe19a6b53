"""Generated tests go where each project keeps its tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from mistral_lsp.text.testfiles import conventional_test_file, project_root


def make(root: Path, *paths: str) -> None:
    for path in paths:
        target = root / path
        if path.endswith("/"):
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("")


def test_python_tests_dir(tmp_path: Path) -> None:
    make(tmp_path, "pyproject.toml", "pkg/cart.py", "tests/")
    assert conventional_test_file(tmp_path / "pkg/cart.py", "python", tmp_path) == tmp_path / "tests/test_cart.py"


def test_python_mirrored_tests(tmp_path: Path) -> None:
    make(tmp_path, "pyproject.toml", "src/pkg/sub/cart.py", "tests/pkg/sub/")
    assert conventional_test_file(tmp_path / "src/pkg/sub/cart.py", "python", tmp_path) == tmp_path / "tests/pkg/sub/test_cart.py"


def test_python_testpaths(tmp_path: Path) -> None:
    make(tmp_path, "pkg/cart.py")
    (tmp_path / "pyproject.toml").write_text('[tool.pytest.ini_options]\ntestpaths = ["checks"]\n')
    assert conventional_test_file(tmp_path / "pkg/cart.py", "python", tmp_path) == tmp_path / "checks/test_cart.py"


def test_python_beside_source(tmp_path: Path) -> None:
    make(tmp_path, "pyproject.toml", "cart.py")
    assert conventional_test_file(tmp_path / "cart.py", "python", tmp_path) == tmp_path / "test_cart.py"


def test_go_ts_rust_java(tmp_path: Path) -> None:
    assert conventional_test_file(tmp_path / "cart.go", "go", tmp_path) == tmp_path / "cart_test.go"
    assert conventional_test_file(tmp_path / "cart.ts", "typescript", tmp_path) == tmp_path / "cart.test.ts"
    assert conventional_test_file(tmp_path / "lib.rs", "rust", tmp_path) == tmp_path / "lib.rs"
    java = tmp_path / "src/main/java/com/shop/Cart.java"
    assert conventional_test_file(java, "java", tmp_path) == tmp_path / "src/test/java/com/shop/CartTest.java"


def test_js_existing_spec_and_dunder_tests(tmp_path: Path) -> None:
    make(tmp_path, "a/cart.spec.js", "b/__tests__/", "b/cart.js")
    assert conventional_test_file(tmp_path / "a/cart.js", "javascript", tmp_path) == tmp_path / "a/cart.spec.js"
    assert conventional_test_file(tmp_path / "b/cart.js", "javascript", tmp_path) == tmp_path / "b/__tests__/cart.test.js"


def test_project_root_stops_at_marker(tmp_path: Path) -> None:
    make(tmp_path, "proj/pyproject.toml", "proj/pkg/deep/mod.py")
    assert project_root(tmp_path / "proj/pkg/deep/mod.py") == tmp_path / "proj"


@pytest.mark.parametrize(
    ("language", "source", "layout", "expected"),
    [
        ("ruby", "lib/cart.rb", "spec/", "spec/cart_spec.rb"),
        ("ruby", "lib/cart.rb", "test/", "test/test_cart.rb"),
        ("ruby", "lib/cart.rb", None, "lib/cart_test.rb"),
        ("php", "src/shopping_cart.php", "tests/", "tests/ShoppingCartTest.php"),
        ("php", "src/shopping_cart.php", None, "src/ShoppingCartTest.php"),
        ("lua", "lua/cart.lua", "spec/", "spec/cart_spec.lua"),
        ("lua", "lua/cart.lua", None, "lua/cart_spec.lua"),
        ("c", "src/cart.c", "tests/", "tests/test_cart.c"),
        ("cpp", "src/cart.cpp", None, "src/test_cart.cpp"),
        ("csharp", "src/Cart.cs", None, "src/CartTests.cs"),
        ("kotlin", "src/Cart.kt", "tests/", "src/test_Cart.kt"),  # no convention known: beside the source
    ],
)
def test_each_language_follows_the_project_layout(
    tmp_path: Path, language: str, source: str, layout: str | None, expected: str
) -> None:
    make(tmp_path, source, *([layout] if layout else []))
    assert conventional_test_file(tmp_path / source, language, tmp_path) == tmp_path / expected
