"""How each language's import lines name workspace files: one resolver per language id.

- Python: absolute imports under the workspace roots (and their `src/`), relative imports,
  `from . import mod` (the module's names are then used as `mod.name`);
- JavaScript / TypeScript: relative specifiers with extensions and `index.*`, `tsconfig.json`
  `paths` (its `baseUrl` and `*` patterns);
- Go: the other files of the package's directory, and the module's packages (`go.mod`);
- Java: the same package (directory), and imports under the source roots (by path suffix);
- Rust: `mod x;`, `use crate::`, `super::` and `self::` paths;
- C / C++: `#include "..."` beside the file, then anywhere in the tree by path suffix;
- Ruby `require_relative`, Lua `require("a.b")`, PHP `use A\\B` (by path suffix, which is
  what PSR-4 amounts to).

A resolver proposes candidate paths, nearest first; `resolve` keeps those that are indexed.
Pure: reads `go.mod` / `tsconfig.json` files only.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from mistral_lsp.syntax.workspace import WorkspaceIndex

_PY_FROM = re.compile(r"^\s*from\s+(\.*)([\w.]*)\s+import\s+(.+)$", re.DOTALL)
_PY_IMPORT = re.compile(r"^\s*import\s+(.+)$", re.DOTALL)
_QUOTED = re.compile(r"""(?:from|import|require|require_relative|load)\s*\(?\s*['"`]([^'"`]+)['"`]""")
GO_IMPORT_PATH = re.compile(r'"([^"]+)"')
_JAVA = re.compile(r"^\s*import\s+(?:static\s+)?([\w.]+?)(\.\*)?\s*;", re.MULTILINE)
_RUST_MOD = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;", re.MULTILINE)
_RUST_USE = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?use\s+([^;]+);", re.MULTILINE)
_C_INCLUDE = re.compile(r'#\s*include\s+"([^"]+)"')
_PHP_USE = re.compile(r"^\s*use\s+(?:function\s+|const\s+)?([\w\\]+)", re.MULTILINE)
_JS_EXTENSIONS = (".ts", ".tsx", ".d.ts", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts")


# -- languages ------------------------------------------------------------------------------------


def _python(index: WorkspaceIndex, path: str, imports: Sequence[str]) -> list[str]:
    """`from [.]m import n` and `import m`: the module's file (or package), and for `from`
    each imported name that is itself a module (`from . import mod`)."""
    directory = _directory(path)
    bases = _python_bases(index, path)
    found: list[str] = []
    for statement in imports:
        statement = _one_line(statement)
        if match := _PY_FROM.match(statement):
            dots, module, names = match.groups()
            starts = [_up(directory, len(dots) - 1)] if dots else bases
            found += _python_from(index, starts, module.replace(".", "/"), names)
        elif match := _PY_IMPORT.match(statement):
            found += _python_import(index, bases, match.group(1))
    return found


def _python_bases(index: WorkspaceIndex, path: str) -> list[str]:
    """Where absolute imports start: the file's workspace root and its `src/` first, then the
    other roots."""
    root = index.root_of(path)
    bases = [str(root), f"{root}/src"] if root is not None else []
    return bases + [str(r) for r in index.roots if str(r) not in bases]


def _one_line(statement: str) -> str:
    """An import statement on one line, without continuations or parentheses."""
    return " ".join(statement.replace("\\\n", " ").replace("(", " ").replace(")", " ").split())


def _up(directory: str, levels: int) -> str:
    """`directory`'s ancestor `levels` up (a relative import's dots, less one)."""
    for _ in range(levels):
        directory = directory.rpartition("/")[0]
    return directory


def _python_from(index: WorkspaceIndex, starts: Sequence[str], module_path: str, names: str) -> list[str]:
    found: list[str] = []
    for start in starts:
        where = f"{start}/{module_path}" if module_path else start
        found += _first(index, [f"{where}.py", f"{where}/__init__.py", f"{where}.pyi"])
        for name in names.split(","):
            name = name.strip().split(" ")[0]
            if name and name != "*":
                found += _first(index, [f"{where}/{name}.py", f"{where}/{name}/__init__.py"])
    return found


def _python_import(index: WorkspaceIndex, bases: Sequence[str], modules: str) -> list[str]:
    found: list[str] = []
    for module in modules.split(","):
        module_path = module.strip().split(" ")[0].replace(".", "/")
        for start in bases:
            found += _first(index, [f"{start}/{module_path}.py", f"{start}/{module_path}/__init__.py"])
    return found


def _js_imports(index: WorkspaceIndex, path: str, imports: Sequence[str]) -> list[str]:
    directory = _directory(path)
    return [hit for spec in _QUOTED.findall(_joined(imports)) for hit in _js(index, directory, spec)]


def _js(index: WorkspaceIndex, directory: str, spec: str) -> list[str]:
    if spec.startswith("."):
        return _js_file(index, f"{directory}/{spec}")
    for base, patterns in _tsconfig_paths(index, directory):
        for pattern, targets in patterns.items():
            prefix, star, suffix = pattern.partition("*")
            if (star and spec.startswith(prefix) and spec.endswith(suffix)) or spec == pattern:
                middle = spec[len(prefix) : len(spec) - len(suffix)] if star else ""
                for target in targets:
                    hits = _js_file(index, f"{base}/{target.replace('*', middle)}")
                    if hits:
                        return hits
    return []


def _js_file(index: WorkspaceIndex, stem: str) -> list[str]:
    stem = normal_path(stem)
    without = re.sub(r"\.(js|mjs|cjs|jsx)$", "", stem)  # TS sources import "./x.js" for "./x.ts"
    candidates = [stem] + [without + ext for ext in _JS_EXTENSIONS] + [f"{stem}/index{ext}" for ext in _JS_EXTENSIONS]
    return _first(index, candidates)


def _tsconfig_paths(index: WorkspaceIndex, directory: str) -> list[tuple[str, dict[str, list[str]]]]:
    """`compilerOptions.paths` of the nearest tsconfig.json (with its baseUrl)."""
    root = index.root_of(directory + "/x")
    here = Path(directory)
    while True:
        found = _read_tsconfig(str(here / "tsconfig.json"))
        if found is not None:
            return [found]
        if root is None or here == root or here.parent == here:
            return []
        here = here.parent


@functools.lru_cache(maxsize=64)
def _read_tsconfig(path: str) -> tuple[str, dict[str, list[str]]] | None:
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return None
    text = re.sub(r"(?m)^\s*//.*$", "", text)
    text = re.sub(r",(\s*[}\]])", r"\1", text)
    try:
        options = json.loads(text).get("compilerOptions", {})
    except (ValueError, AttributeError):
        return Path(path).parent.as_posix(), {}
    base = (Path(path).parent / options.get("baseUrl", ".")).as_posix()
    paths = options.get("paths", {})
    return base, {k: list(v) for k, v in paths.items() if isinstance(v, list)} if isinstance(paths, dict) else {}


def _go_imports(index: WorkspaceIndex, path: str, imports: Sequence[str]) -> list[str]:
    """The other files of the package, and the module's packages it imports."""
    found = _go_package_files(index, _directory(path))
    for import_path in GO_IMPORT_PATH.findall(_joined(imports)):
        found += _go(index, path, import_path)
    return found


def _go_package_files(index: WorkspaceIndex, directory: str) -> list[str]:
    return [p for p in index.in_dir(directory) if p.endswith(".go") and not p.endswith("_test.go")]


def _go(index: WorkspaceIndex, path: str, import_path: str) -> list[str]:
    module = _go_module(index, path)
    if module is None:
        return []
    module_dir, name = module
    if name == "std":
        directory = f"{module_dir}/{import_path}"
    elif import_path == name or import_path.startswith(name + "/"):
        directory = f"{module_dir}/{import_path[len(name):].lstrip('/')}".rstrip("/")
    else:
        return []
    return _go_package_files(index, directory)


def _go_module(index: WorkspaceIndex, path: str) -> tuple[str, str] | None:
    here = Path(path).parent
    root = index.root_of(path)
    while True:
        name = _read_go_mod(str(here / "go.mod"))
        if name is not None:
            return here.as_posix(), name
        if root is None or here == root or here.parent == here:
            return None
        here = here.parent


@functools.lru_cache(maxsize=64)
def _read_go_mod(path: str) -> str | None:
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return None
    match = re.search(r"^\s*module\s+(\S+)", text, re.MULTILINE)
    return match.group(1).strip('"') if match else None


def _rust(index: WorkspaceIndex, path: str, imports: Sequence[str]) -> list[str]:
    """`mod x;` (its file beside or below), and `use crate::` / `self::` / `super::` paths
    (the longest prefix that is a module file)."""
    text = _joined(imports)
    file = Path(path)
    module_dir = file.parent if file.name in ("mod.rs", "lib.rs", "main.rs") else file.parent / file.stem
    found: list[str] = []
    for name in _RUST_MOD.findall(text):
        found += _first(index, [f"{module_dir}/{name}.rs", f"{module_dir}/{name}/mod.rs"])
    crate = _rust_crate_dir(file)
    for use in _RUST_USE.findall(text):
        segments = [s for s in re.split(r"::", use.split("{")[0].strip()) if s]
        start = _rust_use_start(segments, crate, module_dir)
        if start is not None:
            found += _rust_module_file(index, *start)
    return found


def _rust_crate_dir(file: Path) -> Path:
    """The directory of the crate root (`lib.rs` / `main.rs`): up from the file, stopping at
    `src/` (a crate's sources do not go above it)."""
    crate = file.parent
    while not (crate / "lib.rs").exists() and not (crate / "main.rs").exists() and crate.parent != crate:
        if crate.name == "src" or crate.parent == crate:
            break
        crate = crate.parent
    return crate


def _rust_use_start(segments: list[str], crate: Path, module_dir: Path) -> tuple[Path, list[str]] | None:
    """The directory a `use` path starts from and the segments after it; None for paths into
    other crates (`std::`, dependencies), which are not workspace files."""
    if not segments:
        return None
    head, rest = segments[0], segments[1:]
    if head == "crate":
        return crate, rest
    if head == "self":
        return module_dir, rest
    if head == "super":
        base = module_dir.parent
        while rest and rest[0] == "super":
            base, rest = base.parent, rest[1:]
        return base, rest
    return None


def _rust_module_file(index: WorkspaceIndex, base: Path, rest: list[str]) -> list[str]:
    """The longest prefix of the path that is a module file: `crate::a::b::Item` → a/b.rs."""
    for end in range(len(rest), -1, -1):
        where = "/".join([base.as_posix(), *rest[:end]])
        hits = _first(index, [f"{where}.rs", f"{where}/mod.rs"]) if end else _first(
            index, [f"{where}/lib.rs", f"{where}/main.rs", f"{where}/mod.rs"]
        )
        if hits:
            return hits
    return []


def _java_imports(index: WorkspaceIndex, path: str, imports: Sequence[str]) -> list[str]:
    """The same package (directory), then each import by path suffix (`.*`: the directory)."""
    found = [p for p in index.in_dir(_directory(path)) if p.endswith(".java")]
    for name, star in _JAVA.findall(_joined(imports)):
        relative = name.replace(".", "/")
        found += _by_suffix(index, relative, ("/",)) if star else _by_suffix(index, relative + ".java")
    return found


def _c_includes(index: WorkspaceIndex, path: str, imports: Sequence[str]) -> list[str]:
    """`#include "x.h"` beside the file, else anywhere in the tree by path suffix."""
    directory = _directory(path)
    found: list[str] = []
    for include in _C_INCLUDE.findall(_joined(imports)):
        beside = f"{directory}/{include}"
        found += [beside] if index.get(normal_path(beside)) else _by_suffix(index, include)
    return found


def _ruby_requires(index: WorkspaceIndex, path: str, imports: Sequence[str]) -> list[str]:
    directory = _directory(path)
    found: list[str] = []
    for spec in _QUOTED.findall(_joined(imports)):
        found += _first(index, [f"{directory}/{spec}", f"{directory}/{spec}.rb"]) or _by_suffix(index, spec + ".rb")
    return found


def _lua_requires(index: WorkspaceIndex, path: str, imports: Sequence[str]) -> list[str]:
    found: list[str] = []
    for spec in _QUOTED.findall(_joined(imports)):
        relative = spec.replace(".", "/")
        found += _by_suffix(index, relative + ".lua") or _by_suffix(index, relative + "/init.lua")
    return found


def _php_uses(index: WorkspaceIndex, path: str, imports: Sequence[str]) -> list[str]:
    found: list[str] = []
    for name in _PHP_USE.findall(_joined(imports)):
        found += _php_class_file(index, name.split("\\"))
    return found


def _php_class_file(index: WorkspaceIndex, parts: list[str]) -> list[str]:
    """The file of a namespaced name: PSR-4 maps a namespace prefix to a directory, so the
    longest suffix of the name that is a path in the tree (dropping leading segments)."""
    for start in range(len(parts) - 1):
        hits = _by_suffix(index, "/".join(parts[start:]) + ".php")
        if hits:
            return hits
    return []


_Resolver = Callable[[WorkspaceIndex, str, Sequence[str]], list[str]]
"""(index, the file's path, its import lines) → candidate paths, nearest first (unfiltered:
`_resolve` keeps the indexed ones)."""

RESOLVERS: dict[str, _Resolver] = {
    "python": _python,
    "javascript": _js_imports,
    "typescript": _js_imports,
    "tsx": _js_imports,
    "go": _go_imports,
    "java": _java_imports,
    "rust": _rust,
    "c": _c_includes,
    "cpp": _c_includes,
    "ruby": _ruby_requires,
    "lua": _lua_requires,
    "php": _php_uses,
}
"""The import resolver of each language id; a language without one brings in no files."""


# -- helpers --------------------------------------------------------------------------------------


def _first(index: WorkspaceIndex, candidates: Iterable[str]) -> list[str]:
    for candidate in candidates:
        candidate = normal_path(candidate)
        if index.get(candidate) is not None:
            return [candidate]
    return []


def _by_suffix(index: WorkspaceIndex, relative: str, directory: tuple[str, ...] = ()) -> list[str]:
    """Indexed files whose path ends with `relative` (or, with `directory`, files in it)."""
    relative = relative.strip("/")
    if directory:
        return [p for p in index.paths() if p.rpartition("/")[0].endswith("/" + relative)]
    name = relative.rpartition("/")[2]
    return [p for p in index.with_name(name) if p.endswith("/" + relative)]


def _directory(path: str) -> str:
    return path.rpartition("/")[0]


def _joined(imports: Sequence[str]) -> str:
    """The import lines as one text, for the languages matched by regular expression."""
    return "\n".join(imports)


def normal_path(path: str) -> str:
    parts: list[str] = []
    for part in path.split("/"):
        if part == "..":
            if parts and parts[-1] not in ("", ".."):
                parts.pop()
        elif part != "." and (part or not parts):
            parts.append(part)
    return "/".join(parts)
