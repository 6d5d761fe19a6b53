"""Where generated tests go: each language's (and the project's) test-file convention.

| language | test file |
|---|---|
| Python | pytest `testpaths` or an existing `tests/` (mirroring the package when it does) → `tests/test_<module>.py`; else `test_<module>.py` beside the source |
| Go | `<name>_test.go` beside the source |
| TypeScript / JavaScript | an existing `<name>.test.<ext>` / `.spec.<ext>`; else `__tests__/<name>.test.<ext>` when the project uses `__tests__`; else `<name>.test.<ext>` beside |
| Rust | the same file: a `#[cfg(test)]` module appended |
| Java | the `src/test/java` mirror, `<Name>Test.java`; else `<Name>Test.java` beside |
| C# | `<Name>Tests.cs` beside |
| Ruby | `spec/<name>_spec.rb` when `spec/` exists, else `test/test_<name>.rb` when `test/` exists, else `<name>_test.rb` |
| PHP | `tests/<Name>Test.php` when `tests/` exists, else `<Name>Test.php` beside |
| Lua | `spec/<name>_spec.lua` when `spec/` exists, else `<name>_spec.lua` beside |
| C / C++ | `tests/test_<name>.<ext>` when `tests/` exists, else `test_<name>.<ext>` beside |
| Bash / other | `test_<name>.<ext>` beside |
"""

from __future__ import annotations

import configparser
import re
import sys
from collections.abc import Callable
from pathlib import Path

_ROOT_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", "pytest.ini", "tox.ini", "package.json",
                 "go.mod", "Cargo.toml", "pom.xml", "build.gradle", "Gemfile", "composer.json", ".git")


def project_root(source: Path, workspace_roots: list[Path] | None = None) -> Path:
    """The nearest ancestor holding a project marker, never above the workspace folder."""
    ceiling = None
    for root in workspace_roots or []:
        if source.is_relative_to(root):
            ceiling = root
            break
    for parent in source.parents:
        if any((parent / marker).exists() for marker in _ROOT_MARKERS):
            return parent
        if ceiling is not None and parent == ceiling:
            return parent
    return ceiling or source.parent


def _pytest_testpaths(root: Path) -> list[str]:
    pyproject = root / "pyproject.toml"
    if pyproject.exists():
        if sys.version_info >= (3, 11):
            import tomllib
        else:  # Python 3.10: the `tomli` backport (a dependency there), the same reader
            import tomli as tomllib

        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
            paths = data.get("tool", {}).get("pytest", {}).get("ini_options", {}).get("testpaths")
            if isinstance(paths, list) and paths:
                return [str(p) for p in paths]
            if isinstance(paths, str):
                return paths.split()
        except (OSError, ValueError):
            pass
    for name, section in (("pytest.ini", "pytest"), ("tox.ini", "pytest"), ("setup.cfg", "tool:pytest")):
        path = root / name
        if not path.exists():
            continue
        parser = configparser.ConfigParser()
        try:
            parser.read(path, encoding="utf-8")
        except configparser.Error:
            continue
        if parser.has_option(section, "testpaths"):
            return parser.get(section, "testpaths").split()
    return []


def _python_test_file(source: Path, root: Path) -> Path:
    module = source.stem
    testpaths = _pytest_testpaths(root)
    tests_dir = root / testpaths[0] if testpaths else root / "tests"
    if tests_dir.is_dir() or testpaths:
        try:
            relative = source.parent.relative_to(root)
        except ValueError:
            relative = Path()
        # Mirror the package when the tests folder already mirrors it (tests/pkg/sub/…).
        parts = [p for p in relative.parts if p not in ("src", "lib")]
        for depth in range(len(parts), 0, -1):
            candidate = tests_dir.joinpath(*parts[-depth:]) if depth else tests_dir
            if candidate.is_dir():
                return candidate / f"test_{module}.py"
        return tests_dir / f"test_{module}.py"
    return source.with_name(f"test_{module}.py")


def _js_test_file(source: Path, root: Path) -> Path:
    stem, ext = source.stem, source.suffix
    for kind in ("test", "spec"):
        existing = source.with_name(f"{stem}.{kind}{ext}")
        if existing.exists():
            return existing
    for folder in (source.parent / "__tests__", root / "__tests__"):
        if folder.is_dir():
            return source.parent / "__tests__" / f"{stem}.test{ext}"
    return source.with_name(f"{stem}.test{ext}")


def _java_test_file(source: Path) -> Path:
    parts = source.parts
    for index in range(len(parts) - 2):
        if parts[index : index + 3] == ("src", "main", "java"):
            return Path(*parts[:index], "src", "test", "java", *parts[index + 3 : -1], f"{source.stem}Test.java")
    return source.with_name(f"{source.stem}Test.java")


def _pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[_\-\s]+", name) if part)


def _ruby_test_file(source: Path, root: Path) -> Path:
    if (root / "spec").is_dir():
        return root / "spec" / f"{source.stem}_spec.rb"
    if (root / "test").is_dir():
        return root / "test" / f"test_{source.stem}.rb"
    return source.with_name(f"{source.stem}_test.rb")


def _php_test_file(source: Path, root: Path) -> Path:
    name = f"{_pascal(source.stem)}Test.php"
    return root / "tests" / name if (root / "tests").is_dir() else source.with_name(name)


def _lua_test_file(source: Path, root: Path) -> Path:
    name = f"{source.stem}_spec.lua"
    return root / "spec" / name if (root / "spec").is_dir() else source.with_name(name)


def _c_test_file(source: Path, root: Path) -> Path:
    name = f"test_{source.stem}{source.suffix}"
    return root / "tests" / name if (root / "tests").is_dir() else source.with_name(name)


_TEST_FILES: dict[str, Callable[[Path, Path], Path]] = {
    # language id: (source, workspace root) -> its test file
    "python": _python_test_file,
    "go": lambda source, root: source.with_name(f"{source.stem}_test.go"),
    **dict.fromkeys(("javascript", "typescript", "tsx", "javascriptreact", "typescriptreact"), _js_test_file),
    "rust": lambda source, root: source,
    "java": lambda source, root: _java_test_file(source),
    **dict.fromkeys(("csharp", "c_sharp", "c-sharp"), lambda source, root: source.with_name(f"{source.stem}Tests.cs")),
    "ruby": _ruby_test_file,
    "php": _php_test_file,
    "lua": _lua_test_file,
    "c": _c_test_file,
    "cpp": _c_test_file,
}


def conventional_test_file(source: Path, language: str, root: Path) -> Path:
    """The test file for `source` (which may not exist yet); Rust answers the source itself."""
    test_file = _TEST_FILES.get(language)
    if test_file is None:
        return source.with_name(f"test_{source.stem}{source.suffix}")
    return test_file(source, root)
