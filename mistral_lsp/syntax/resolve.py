"""Import resolution: which workspace files a file's imports (and its package) bring in.

Per language, from the import lines the file index found:

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

`cross_file_symbols` then keeps, from those files, the top-level definitions whose names the
target uses. Pure: reads `go.mod` / `tsconfig.json` files only.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from mistral_lsp.syntax.workspace import Symbol, WorkspaceIndex

MAX_CROSS_FILE = 100
"""Definitions from other files, at most (the budget is the real limit; this bounds the work)."""

_PY_FROM = re.compile(r"^\s*from\s+(\.*)([\w.]*)\s+import\s+(.+)$", re.DOTALL)
_PY_IMPORT = re.compile(r"^\s*import\s+(.+)$", re.DOTALL)
_QUOTED = re.compile(r"""(?:from|import|require|require_relative|load)\s*\(?\s*['"`]([^'"`]+)['"`]""")
_GO_PATH = re.compile(r'"([^"]+)"')
_GO_ALIAS = re.compile(r'(?m)^\s*(?:import\s+)?([A-Za-z_]\w*)\s+"[^"]+"')
_JAVA = re.compile(r"^\s*import\s+(?:static\s+)?([\w.]+?)(\.\*)?\s*;", re.MULTILINE)
_JAVA_PACKAGE = re.compile(r"^\s*package\s+([\w.]+)\s*;", re.MULTILINE)
_RUST_MOD = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;", re.MULTILINE)
_RUST_USE = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?use\s+([^;]+);", re.MULTILINE)
_C_INCLUDE = re.compile(r'#\s*include\s+"([^"]+)"')
_PHP_USE = re.compile(r"^\s*use\s+(?:function\s+|const\s+)?([\w\\]+)", re.MULTILINE)
_ALIAS = re.compile(r"\b([A-Za-z_$][\w$]*)\s+as\s+([A-Za-z_$][\w$]*)")
_JS_EXTENSIONS = (".ts", ".tsx", ".d.ts", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts")


_resolved: dict[tuple[int, int, str, str, tuple[str, ...]], list[str]] = {}
"""Resolved imports by (index, its generation, file, language, imports): actions on one file
resolve the same imports again and again while the index stays the same."""


def resolve_imports(index: WorkspaceIndex, path: str, language: str, imports: Sequence[str]) -> list[str]:
    """The indexed files `path`'s imports (and package) bring in, nearest first, without `path`."""
    key = (id(index), index.generation, path, language, tuple(imports))
    found = _resolved.get(key)
    if found is None:
        if len(_resolved) > 256:
            _resolved.clear()
        found = _resolved[key] = _resolve(index, path, language, imports)
    return list(found)


def _resolve(index: WorkspaceIndex, path: str, language: str, imports: Sequence[str]) -> list[str]:
    directory = path.rpartition("/")[0]
    found: list[str] = []
    text = "\n".join(imports)
    if language == "python":
        found = _python(index, path, imports)
    elif language in ("javascript", "typescript", "tsx"):
        for spec in _QUOTED.findall(text):
            found += _js(index, directory, spec)
    elif language == "go":
        found = [p for p in index.in_dir(directory) if p.endswith(".go") and not p.endswith("_test.go")]
        for import_path in _GO_PATH.findall(text):
            found += _go(index, path, import_path)
    elif language == "java":
        found = [p for p in index.in_dir(directory) if p.endswith(".java")]
        for name, star in _JAVA.findall(text):
            relative = name.replace(".", "/")
            found += _by_suffix(index, relative, ("/",)) if star else _by_suffix(index, relative + ".java")
    elif language == "rust":
        found = _rust(index, path, text)
    elif language in ("c", "cpp"):
        for include in _C_INCLUDE.findall(text):
            beside = f"{directory}/{include}"
            found += [beside] if index.get(_normal(beside)) else _by_suffix(index, include)
    elif language == "ruby":
        for spec in _QUOTED.findall(text):
            found += _first(index, [f"{directory}/{spec}", f"{directory}/{spec}.rb"]) or _by_suffix(index, spec + ".rb")
    elif language == "lua":
        for spec in _QUOTED.findall(text):
            relative = spec.replace(".", "/")
            found += _by_suffix(index, relative + ".lua") or _by_suffix(index, relative + "/init.lua")
    elif language == "php":
        for name in _PHP_USE.findall(text):
            parts = name.split("\\")
            for start in range(len(parts) - 1):
                hits = _by_suffix(index, "/".join(parts[start:]) + ".php")
                if hits:
                    found += hits
                    break
    out: list[str] = []
    for candidate in found:
        candidate = _normal(candidate)
        if candidate != path and candidate not in out and index.get(candidate) is not None:
            out.append(candidate)
    return out


def cross_file_symbols(
    index: WorkspaceIndex, path: str, language: str, imports: Sequence[str], used: Iterable[str]
) -> list[tuple[str, Symbol]]:
    """The top-level definitions of the files `path` imports whose names the target uses, in
    order of first use (one file's definitions of a name: the first file that has it)."""
    files = resolve_imports(index, path, language, imports)
    # `from m import name as alias`, `import { name as alias }`, `use a::Name as Alias`.
    table = _names_of(index, files)
    text = "\n".join(imports)
    aliases = {alias: name for name, alias in _ALIAS.findall(text) if alias != name}
    # Go: `syscall.Getrlimit` — `syscall` names the package, not a definition.
    qualifiers = {p.rpartition("/")[2] for p in _GO_PATH.findall(text)} if language == "go" else set()
    qualifiers |= set(_GO_ALIAS.findall(text)) if language == "go" else set()
    out: list[tuple[str, Symbol]] = []
    for used_name in dict.fromkeys(used):
        if used_name in qualifiers:
            continue
        found = table.get(aliases.get(used_name, used_name))
        if found is not None:
            out.append(found)
        if len(out) >= MAX_CROSS_FILE:
            break
    return out


_tables: dict[tuple[int, int, tuple[str, ...]], dict[str, tuple[str, Symbol]]] = {}


def _names_of(index: WorkspaceIndex, files: list[str]) -> dict[str, tuple[str, Symbol]]:
    """Each name the files define, with its definition in the first file that has it (cached
    while the index does not change: a Go package's files are many)."""
    key = (id(index), index.generation, tuple(files))
    table = _tables.get(key)
    if table is None:
        table = {}
        for file in reversed(files):
            entry = index.get(file)
            if entry is not None:
                table.update((name, (file, symbols[0])) for name, symbols in entry.symbols.items())
        if len(_tables) > 64:
            _tables.clear()
        _tables[key] = table
    return table


# -- languages ------------------------------------------------------------------------------------


def _python(index: WorkspaceIndex, path: str, imports: Sequence[str]) -> list[str]:
    directory = path.rpartition("/")[0]
    root = index.root_of(path)
    bases = [str(root), f"{root}/src"] if root is not None else []
    bases += [str(r) for r in index.roots if str(r) not in bases]
    found: list[str] = []
    for statement in imports:
        statement = " ".join(statement.replace("\\\n", " ").replace("(", " ").replace(")", " ").split())
        match = _PY_FROM.match(statement)
        if match:
            dots, module, names = match.groups()
            if dots:
                base = directory
                for _ in range(len(dots) - 1):
                    base = base.rpartition("/")[0]
                starts = [base]
            else:
                starts = bases
            module_path = module.replace(".", "/")
            for start in starts:
                where = f"{start}/{module_path}" if module_path else start
                found += _first(index, [f"{where}.py", f"{where}/__init__.py", f"{where}.pyi"])
                for name in names.split(","):
                    name = name.strip().split(" ")[0]
                    if name and name != "*":
                        found += _first(index, [f"{where}/{name}.py", f"{where}/{name}/__init__.py"])
            continue
        match = _PY_IMPORT.match(statement)
        if match:
            for module in match.group(1).split(","):
                module_path = module.strip().split(" ")[0].replace(".", "/")
                for start in bases:
                    found += _first(index, [f"{start}/{module_path}.py", f"{start}/{module_path}/__init__.py"])
    return found


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
    stem = _normal(stem)
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
    return [p for p in index.in_dir(directory) if p.endswith(".go") and not p.endswith("_test.go")]


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


def _rust(index: WorkspaceIndex, path: str, text: str) -> list[str]:
    file = Path(path)
    module_dir = file.parent if file.name in ("mod.rs", "lib.rs", "main.rs") else file.parent / file.stem
    found: list[str] = []
    for name in _RUST_MOD.findall(text):
        found += _first(index, [f"{module_dir}/{name}.rs", f"{module_dir}/{name}/mod.rs"])
    crate = file.parent
    while not (crate / "lib.rs").exists() and not (crate / "main.rs").exists() and crate.parent != crate:
        if crate.name == "src" or crate.parent == crate:
            break
        crate = crate.parent
    for use in _RUST_USE.findall(text):
        segments = [s for s in re.split(r"::", use.split("{")[0].strip()) if s]
        if not segments:
            continue
        head, rest = segments[0], segments[1:]
        if head == "crate":
            base = crate
        elif head == "self":
            base = module_dir
        elif head == "super":
            base = module_dir.parent
            while rest and rest[0] == "super":
                base, rest = base.parent, rest[1:]
        else:
            continue
        # The longest prefix of the path that is a module file: `crate::a::b::Item` → a/b.rs.
        for end in range(len(rest), -1, -1):
            where = "/".join([base.as_posix(), *rest[:end]])
            hits = _first(index, [f"{where}.rs", f"{where}/mod.rs"]) if end else _first(
                index, [f"{where}/lib.rs", f"{where}/main.rs", f"{where}/mod.rs"]
            )
            if hits:
                found += hits
                break
    return found


# -- helpers --------------------------------------------------------------------------------------


def _first(index: WorkspaceIndex, candidates: Iterable[str]) -> list[str]:
    for candidate in candidates:
        candidate = _normal(candidate)
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


def _normal(path: str) -> str:
    parts: list[str] = []
    for part in path.split("/"):
        if part == "..":
            if parts and parts[-1] not in ("", ".."):
                parts.pop()
        elif part != "." and (part or not parts):
            parts.append(part)
    return "/".join(parts)
