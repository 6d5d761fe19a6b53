r"""Cross-file recall and workspace-index scale, on real code no one here wrote (`bench.corpus`).

Cross-file recall: for random functions, the definitions of other files that the function
uses, found independently of this code — Python's `ast` plus `importlib` for Python; Universal
Ctags plus the languages' plain rules (Go: same directory, or `pkg.Name` of an imported
standard package; Java: a class of the same package; TypeScript: a named import from a relative
path; Rust: a `use crate::...` item) for the others. A hit is the definition's own line in the
prompt. Target ≥ 0.85 for Python, TypeScript, Go, Java and Rust. A function whose target the
tool selects differently from the ground truth (it ends elsewhere, or is one line) is not
dropped: its uses count as misses. The "without generated-only" column leaves out uses defined
only in generated files, decided by the files' own header (Go's convention,
`^// Code generated .* DO NOT EDIT\.$` before the first line of code), not by the index's rules.

Scale, on Go's standard library (apt `golang-src`): full build time and RSS growth, one-file
incremental update (p95), context build with the index for functions of a real ≥10k-line file
(`net/http/h2_bundle.go`; p95). Targets: ≤ 30 s, ≤ +150 MB, ≤ 20 ms, ≤ 15 ms. A missed target
fails the run (`bench/targets.py`). Then the index
saved in the cache directory (`syntax.index_store`): save time and size on disk, and a restart
from it in a fresh process (load + list + reuse; time and RSS growth), against the cold build.

Run: `python -m bench.bench_workspace [--quick] [--misses]`.
"""

from __future__ import annotations

import argparse
import ast
import concurrent.futures
import functools
import gc
import glob
import importlib.util
import json
import random
import re
import resource
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from lsprotocol import types

from bench import corpus
from bench.bench_recall import BUDGET, code_only, ctags, normalized, outside_target
from bench.targets import Targets
from mistral_lsp.prompting.context import build_context
from mistral_lsp.syntax.document import Document
from mistral_lsp.syntax.workspace import WorkspaceIndex, document_edited, list_files

Expected = tuple[str, tuple[tuple[Path, int], ...]]
"""A name the function uses and where it is defined: (file, 0-based line), one or more (Go's
per-platform files define a name once per platform; any of them will do)."""


GENERATED = "(generated file)"
DISAGREES = "(the tool's target is not this function)"


def hits(expected: Iterable[Expected], shown: str | None, misses: list[str], where: str) -> tuple[int, int]:
    """Uses found in `shown`, of all expected; `shown` None (the tool chose another target than
    the ground truth's function) finds none: a disagreement is a miss, never dropped."""
    found = total = 0
    for name, places in expected:
        total += 1
        if shown is not None and any(normalized(_line(path, line)) in shown for path, line in places):
            found += 1
        else:
            path, line = places[0]
            why = [GENERATED] if all(_generated(p) for p, _ in places) else []
            why += [DISAGREES] if shown is None else []
            misses.append(" ".join([f"{where}: {path.name}:{line + 1} {name}", *why]))
    return found, total


# Go's convention for generated files (https://go.dev/s/generatedcode), read independently of
# the index's own rules (`syntax.workspace_files.is_indexable`).
GENERATED_HEADER = re.compile(r"^// Code generated .* DO NOT EDIT\.$")


def generated_by_header(text: str) -> bool:
    """The file says it is generated: a `// Code generated ... DO NOT EDIT.` line among the
    comments and blank lines before its first line of code."""
    for line in text.split("\n"):
        stripped = line.rstrip("\r")
        if GENERATED_HEADER.match(stripped):
            return True
        if stripped.strip() and not stripped.lstrip().startswith(("//", "/*", "*", "#")):
            return False
    return False


@functools.lru_cache(maxsize=4096)
def _generated(path: Path) -> bool:
    return generated_by_header(path.read_text(errors="replace"))


@functools.lru_cache(maxsize=256)
def _lines(path: Path) -> list[str]:
    return path.read_text(errors="replace").split("\n")


def _line(path: Path, line: int) -> str:
    return _lines(path)[line]


def context_at(index: WorkspaceIndex, path: Path, line: int, name: str) -> str | None:
    """The prompt's context outside the target, normalized; None when the tool's target is not
    the ground truth's function (it does not hold `line`, or is a one-line signature)."""
    text = path.read_text(errors="replace")
    doc = Document(path.as_uri(), text)
    column = max(text.split("\n")[line].find(name), 0)
    position = types.Position(line, column)
    ctx = build_context(doc, types.Range(position, position), budget_tokens=BUDGET, workspace=index)
    if not ctx.target.start_line <= line <= ctx.target.end_line or ctx.target.start_line == ctx.target.end_line:
        return None  # the tool and the ground truth disagree on what the function is
    return normalized(outside_target(ctx))


# -- Python ------------------------------------------------------------------------------------

PY_PACKAGES = ("email", "asyncio", "json", "http", "importlib", "concurrent", "logging", "urllib", "xml/dom",
               "multiprocessing", "unittest", "sqlite3", "xmlrpc", "html", "wsgiref", "dbm", "ctypes", "curses")


@functools.lru_cache(maxsize=4096)
def _py_top_level(path: Path) -> dict[str, int]:
    try:
        tree = ast.parse(path.read_text(errors="replace"))
    except SyntaxError:
        return {}
    out: dict[str, int] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            out.setdefault(node.name, node.lineno - 1)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                if isinstance(target, ast.Name):
                    out.setdefault(target.id, node.lineno - 1)
    return out


def _py_module_file(name: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError, AttributeError):
        return None
    origin = spec.origin if spec else None
    return Path(origin) if origin and origin.endswith(".py") else None


def python_recall(rng: random.Random, quick: bool, misses: list[str]) -> tuple[int, int, int]:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(p for package in PY_PACKAGES for p in (stdlib / package).glob("*.py"))
    index = WorkspaceIndex([stdlib])
    for path in files:
        index.update(path)
    for path in stdlib.glob("*.py"):  # top-level modules the packages import
        index.update(path)
    found = total = sampled = 0
    for path in rng.sample(files, min(len(files), 40 if quick else 120)):
        module = ".".join(path.relative_to(stdlib).with_suffix("").parts).removesuffix(".__init__")
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        tree = ast.parse(path.read_text(errors="replace"))
        names: dict[str, tuple[Path, str]] = {}  # local name -> (module file, name there)
        modules: dict[str, Path] = {}  # local name -> module file
        for node in tree.body:
            if isinstance(node, ast.ImportFrom):
                base = importlib.util.resolve_name("." * node.level + (node.module or ""), package) if node.level else node.module
                if not base:
                    continue
                for alias in node.names:
                    sub = _py_module_file(f"{base}.{alias.name}") if alias.name != "*" else None
                    if sub is not None and sub.is_relative_to(stdlib):
                        modules[alias.asname or alias.name] = sub
                        continue
                    origin = _py_module_file(base)
                    if origin is not None and alias.name != "*":
                        names[alias.asname or alias.name] = (origin, alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    origin = _py_module_file(alias.name)
                    if origin is not None and alias.asname:
                        modules[alias.asname] = origin
        functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
        for function in rng.sample(functions, min(3, len(functions))):
            expected: set[Expected] = set()
            for node in ast.walk(function):
                if isinstance(node, ast.Name) and node.id in names:
                    origin, name = names[node.id]
                    line = _py_top_level(origin).get(name)
                    if line is not None and origin != path:
                        expected.add((name, ((origin, line),)))
                elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules:
                    origin = modules[node.value.id]
                    line = _py_top_level(origin).get(node.attr)
                    if line is not None and origin != path:
                        expected.add((node.attr, ((origin, line),)))
            if not expected:
                continue
            shown = context_at(index, path, function.lineno - 1, function.name)
            sampled += 1
            f, t = hits(expected, shown, misses, f"{path.name}:{function.name}")
            found, total = found + f, total + t
    return found, total, sampled


# -- ctags languages ---------------------------------------------------------------------------

IDENT = re.compile(r"(?<![\w.$])([A-Za-z_$][\w$]*)")
QUALIFIED = re.compile(r"\b([A-Za-z_]\w*)\.([A-Za-z_]\w*)")
DEFINING_KINDS = {"func", "function", "type", "struct", "interface", "const", "constant", "var", "variable",
                  "class", "enum", "alias", "talias", "typedef", "macro", "trait", "module"}


@functools.lru_cache(maxsize=4096)
def _top_level_tags(path: Path, language: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for tag in ctags(path, language):
        if not tag.scoped and tag.kind in DEFINING_KINDS:
            out.setdefault(tag.name, tag.line)
    return out


@functools.lru_cache(maxsize=4096)
def _functions(path: Path, language: str) -> list[tuple[str, int, int]]:
    return [(t.name, t.line, t.end) for t in ctags(path, language) if t.kind in ("func", "function", "method") and t.end > t.line]


Sample = tuple[Path, int, str, frozenset[Expected]]
"""A function (its file, 0-based first line, name) and the uses it makes of other files."""


def ctags_recall(language: str, rng: random.Random, quick: bool, misses: list[str]) -> tuple[int, int, int]:
    index, samples = ctags_samples(language, rng, quick)
    if index is None:
        return 0, 0, 0
    return score(samples, lambda path, line, name: context_at(index, path, line, name), misses)


def score(
    samples: Iterable[Sample], shown_of: Callable[[Path, int, str], str | None], misses: list[str]
) -> tuple[int, int, int]:
    """Uses found, uses expected and functions, with `shown_of(path, line, name)` the context."""
    found = total = sampled = 0
    for path, start, name, expected in samples:
        sampled += 1
        f, t = hits(expected, shown_of(path, start, name), misses, f"{path.name}:{name}")
        found, total = found + f, total + t
    return found, total, sampled


EXTENSIONS = {"go": ".go", "java": ".java", "typescript": ".ts", "rust": ".rs"}


def ctags_samples(language: str, rng: random.Random, quick: bool) -> tuple[WorkspaceIndex | None, list[Sample]]:
    """The index of the language's corpus (built) and the functions sampled from it."""
    roots, dirs = corpus_layout(language)
    if not roots or not roots[0].exists():
        return None, []
    index = _corpus_index(language, roots[0], dirs)
    extension = EXTENSIONS[language]
    files = sorted(p for d in dirs for p in d.glob(f"*{extension}") if not p.name.endswith("_test.go"))
    samples: list[Sample] = []
    for path in rng.sample(files, min(len(files), 40 if quick else 100)):
        text = path.read_text(errors="replace")
        lines = text.split("\n")
        providers = _providers(language, path, text, roots[0])
        for name, start, end in rng.sample(_functions(path, language), min(3, len(_functions(path, language)))):
            body = code_only("\n".join(lines[start : end + 1]), language)
            expected = _expected(language, _wanted(language, body, path, name, providers))
            if expected:
                samples.append((path, start, name, frozenset(expected)))
    return index, samples


def corpus_layout(language: str) -> tuple[list[Path], list[Path]]:
    """The language's corpus: its workspace roots and the folders functions are sampled from."""
    if language == "go":
        return [Path(p) for p in glob.glob("/usr/share/go-*/src")], sorted({p.parent for p in corpus.files("go")})
    if language == "java":
        corpus.files("java")
        return [corpus.CACHE / "java.base"], [corpus.CACHE / "java.base/java/util"]
    if language == "typescript":
        return [corpus.CACHE / "package/src"], sorted({p.parent for p in corpus.files("typescript")})
    roots = [Path(p) for p in glob.glob("/usr/share/cargo/registry/regex-1*")]
    return roots, sorted({p.parent for p in corpus.files("rust") if "/regex-1" in str(p)})


def _corpus_index(language: str, root: Path, dirs: list[Path]) -> WorkspaceIndex:
    index = WorkspaceIndex([root])
    for directory in dirs:
        for path in directory.glob(f"*{EXTENSIONS[language]}"):
            index.update(path)
    if language == "go":  # the whole standard library, as a workspace would be
        for path in list_files(root, 40_000):
            index.update(path)
    if language == "rust":
        for path in root.glob("src/**/*.rs"):
            index.update(path)
    return index


def _wanted(
    language: str, body: str, path: Path, name: str, providers: dict[str, list[Path]]
) -> list[tuple[str, list[Path]]]:
    """The names the function's body uses, each with the files that may define it."""
    own = _top_level_tags(path, language)
    wanted: list[tuple[str, list[Path]]] = []
    if language in ("go", "java"):
        wanted += [(used, providers.get("", [])) for used in set(IDENT.findall(body)) - set(own) - {name}]
    if language == "go":
        wanted += [(used, providers.get(package, [])) for package, used in set(QUALIFIED.findall(body))]
    if language in ("typescript", "rust"):
        wanted += [(used, providers[used]) for used in set(IDENT.findall(body)) & set(providers)]
    return wanted


def _expected(language: str, wanted: list[tuple[str, list[Path]]]) -> set[Expected]:
    """The uses defined at the top level of one of their files (by ctags)."""
    expected: set[Expected] = set()
    for used, others in wanted:
        places = tuple(
            (other, line) for other in others if (line := _top_level_tags(other, language).get(used)) is not None
        )
        if places:
            expected.add((used, places))
    return expected


def _providers(language: str, path: Path, text: str, root: Path) -> dict[str, list[Path]]:
    """Which files may define a name the file uses: "" → same package; otherwise by name."""
    if language == "go":
        same = [p for p in path.parent.glob("*.go") if p != path and not p.name.endswith("_test.go")]
        out: dict[str, list[Path]] = {"": same}
        for imported in re.findall(r'"([\w/]+)"', text.split("\n)")[0] if "import (" in text else text[:3000]):
            directory = root / imported
            if directory.is_dir():
                out[imported.rpartition("/")[2]] = sorted(
                    p for p in directory.glob("*.go") if not p.name.endswith("_test.go")
                )
        return out
    if language == "java":
        return {"": sorted(p for p in path.parent.glob("*.java") if p != path)}
    out = {}
    if language == "typescript":
        for names, spec in re.findall(r"import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*'(\.[^']+)'", text):
            target = (path.parent / spec).resolve()
            candidates = [target.with_name(target.name + ".ts"), target / "index.ts"]
            for candidate in candidates:
                if candidate.exists():
                    for name in names.split(","):
                        local = name.strip().split(" as ")[-1].strip()
                        if local:
                            out[local] = [candidate]
                    break
    else:
        crate = root / "src"
        for use in re.findall(r"use\s+crate::([\w:]+)::\{?([\w,\s]+)\}?\s*;", text):
            module, names = use
            base = crate / module.replace("::", "/")
            for candidate in (base.with_suffix(".rs"), base / "mod.rs"):
                if candidate.exists():
                    for name in names.split(","):
                        if name.strip():
                            out[name.strip()] = [candidate]
                    break
    return out


# -- scale -------------------------------------------------------------------------------------


def rss_mb() -> float:
    """The current resident set (not the peak: earlier stages may have used more)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return pages * resource.getpagesize() / (1024 * 1024)


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] if len(samples) >= 2 else samples[0]


def scale(quick: bool, targets: Targets) -> None:
    roots = [Path(p) for p in glob.glob("/usr/share/go-*/src")]
    if not roots:
        print("scale: (golang-src is missing)")
        targets.unmeasured("workspace index scale on Go's standard library", "apt golang-src is missing")
        return
    root = roots[0]
    from mistral_lsp.syntax.languages import spec_by_id

    spec = spec_by_id("go")
    assert spec is not None
    spec.grammar()  # the grammar is not the index
    gc.collect()
    started_rss = rss_mb()
    start = time.perf_counter()
    cpu_start = time.process_time()
    index = WorkspaceIndex([root])
    index.build(MAX_FILES)
    build_s = time.perf_counter() - start
    cpu_s = time.process_time() - cpu_start
    gc.collect()
    grown = rss_mb() - started_rss
    files = [Path(path) for path in index.paths()]
    lines = sum(path.read_bytes().count(b"\n") for path in files)
    print(f"scale: Go standard library, {len(index):,} files, {lines:,} lines")
    print(f"  full build (cold)     {build_s:8.1f} s    (target ≤ 30 s; one thread; CPU {cpu_s:.1f} s)")
    print(f"  RSS growth            {grown:8.0f} MB   (target ≤ +150 MB; current RSS after - before, grammars loaded before)")
    targets.at_most("full build of Go's standard library", build_s, 30, " s")
    targets.at_most("RSS growth of that build", grown, 150, " MB")
    restart(index, root, build_s, grown)
    # One open file edited: what `didChange` costs the index (the document's own index is incremental).
    big = max((p for p in files if p.suffix == ".go"), key=lambda p: p.stat().st_size if p.stat().st_size < 400_000 else 0)
    text = big.read_text()
    doc = Document(big.as_uri(), text, 1, "go")
    document_edited(index, big.as_posix(), doc)
    updates: list[float] = []
    for i in range(20 if quick else 60):
        middle = doc.position_at(len(doc.text) // 2 + i)
        doc.apply_changes([types.TextDocumentContentChangePartial(range=types.Range(middle, middle), text="x")], i + 2)
        t = time.perf_counter()
        document_edited(index, big.as_posix(), doc)
        updates.append((time.perf_counter() - t) * 1000)
    print(f"  one-file update p95   {p95(updates):8.1f} ms   (target ≤ 20 ms; p50 {statistics.median(updates):.1f} ms;"
          f" {big.name}, {text.count(chr(10)):,} lines)")
    targets.at_most("one-file index update p95", p95(updates), 20, " ms")
    # Context with the index, for functions of a real file of at least 10k lines (the smallest
    # such: h2_bundle.go, the HTTP/2 package in one file; the larger ones are generated tables).
    big_files = [(p.read_bytes().count(b"\n"), p) for p in root.rglob("*.go") if p.is_file() and p.stat().st_size < 2_000_000]
    ten_k = min((n, p) for n, p in big_files if n >= 10_000)[1]
    doc = Document(ten_k.as_uri(), ten_k.read_text(), 1, "go")
    functions = [line for line, code in enumerate(doc.lines) if code.startswith("func ")]
    warm = types.Position(functions[0], 5)
    build_context(doc, types.Range(warm, warm), workspace=index)  # the file's own parse and index: bench_context
    builds: list[float] = []
    for line in functions[:: max(1, len(functions) // (20 if quick else 60))]:
        position = types.Position(line, 5)
        t = time.perf_counter()
        build_context(doc, types.Range(position, position), workspace=index)
        builds.append((time.perf_counter() - t) * 1000)
    print(f"  context with index p95 {p95(builds):7.1f} ms   (target ≤ 15 ms; p50 {statistics.median(builds):.1f} ms;"
          f" {ten_k.name}, {len(doc.lines):,} lines)")
    targets.at_most("context build with the index in a 10k-line file p95", p95(builds), 15, " ms")


MAX_FILES = 40_000


def restart(index: WorkspaceIndex, root: Path, cold_s: float, cold_mb: float) -> None:
    """Save the index, then restart from it in a fresh process (what a new server does)."""
    from mistral_lsp.syntax import index_store

    with tempfile.TemporaryDirectory() as cache:
        # Saved in a worker thread, as the server does: how long can the thread running the
        # event loop wait for the interpreter lock meanwhile?
        start = time.perf_counter()
        worker = concurrent.futures.ThreadPoolExecutor(1).submit(index_store.save, Path(cache), index)
        longest = 0.0
        while not worker.done():
            tick = time.perf_counter()
            time.sleep(0.001)
            longest = max(longest, time.perf_counter() - tick)
        written = worker.result()
        save_s = time.perf_counter() - start
        print(f"  saved index           {save_s * 1000:8.0f} ms   ({written / 1e6:.1f} MB on disk, gzipped JSON lines;"
              f" worker thread; longest stall of a 1 ms timer meanwhile {longest * 1000:.0f} ms)")
        out = subprocess.run(
            [sys.executable, "-m", "bench.bench_workspace", "--restart-from", cache, str(root)],
            capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parent.parent,
        ).stdout
    warm = json.loads(out.strip().splitlines()[-1])
    print(f"  restart from the cache{warm['seconds']:8.2f} s    (x{cold_s / warm['seconds']:.0f} faster than cold;"
          f" load {warm['load']:.2f} s, {warm['reused']:,} of {warm['indexed']:,} files reused)")
    print(f"  RSS growth (restart)  {warm['mb']:8.0f} MB   (cold build: {cold_mb:.0f} MB)")


def restarted(cache: str, root: str) -> None:
    """In a fresh process: load the saved index and build from it; JSON on stdout."""
    from mistral_lsp.syntax import index_store
    from mistral_lsp.syntax.languages import spec_by_id

    spec = spec_by_id("go")
    assert spec is not None
    spec.grammar()
    index_store.fingerprint()  # hashing the package's sources: once per process
    gc.collect()
    before = rss_mb()
    start = time.perf_counter()
    index = WorkspaceIndex([Path(root)])
    saved = index_store.load(Path(cache), index.roots)
    loaded = time.perf_counter() - start
    counts = index.build_counted(MAX_FILES, saved)
    seconds = time.perf_counter() - start
    del saved
    gc.collect()
    print(json.dumps({"seconds": seconds, "load": loaded, "reused": counts.reused, "indexed": counts.indexed,
                      "mb": rss_mb() - before}))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--misses", action="store_true")
    parser.add_argument("--no-scale", action="store_true")
    parser.add_argument("--language", action="append")
    parser.add_argument("--restart-from", nargs=2, metavar=("CACHE", "ROOT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv if argv is not None else sys.argv[1:] if __name__ == "__main__" else [])
    if args.restart_from:
        restarted(*args.restart_from)
        return
    missing = corpus.ensure()
    if missing:
        print(f"(missing, their languages are not measured and their targets are missed: {', '.join(missing)})")
    targets = Targets("bench_workspace")
    if not args.no_scale:
        scale(args.quick, targets)  # first: a fresh process's memory
    print(f"{'cross-file':<12} {'functions':>9} {'uses':>5} {'recall':>7} {'':<7} {'without generated-only':>25}"
          f" {'target disagrees':>17}")
    for language in args.language or ("python", "typescript", "go", "java", "rust"):
        rng = random.Random(12)
        misses: list[str] = []
        if language == "python":
            found, total, sampled = python_recall(rng, args.quick, misses)
        else:
            found, total, sampled = ctags_recall(language, rng, args.quick, misses)
        recall = found / total if total else float("nan")
        flag = "" if targets.at_least(f"cross-file recall, {language}", recall, 0.85) else " < 0.85"
        generated = sum(1 for miss in misses if GENERATED in miss)
        disagreed = sum(1 for miss in misses if DISAGREES in miss)
        without = found / (total - generated) if total > generated else float("nan")
        print(f"{language:<12} {sampled:>9} {total:>5} {recall:>7.3f}{flag:<7} {without:>25.3f} {disagreed:>17}")
        if args.misses:
            for miss in misses[:12]:
                print(f"    miss: {miss}")
        sys.stdout.flush()
    targets.done()


if __name__ == "__main__":
    main()
