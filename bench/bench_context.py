"""Context benchmark: parsing, incremental reparsing and context building on big files.

For generated 1k / 10k / 50k-line files in Python, TypeScript and Go:

- full parse of the file (the baseline for the incremental reparse below);
- incremental reparse after a one-character edit in the middle (`apply_change` + `tree`);
- context build for a function in the middle, tree already parsed: warm (nothing changed since
  the last build) and cold (first build after an edit: reparse, file index and context);
- prompt tokens against whole-file tokens.

Targets: context build in a 10k-line file ≤ 10 ms p95; reparse after one edit ≤ 2 ms p95 (every
size). A missed target fails the run (`bench/targets.py`).

`--tokens` also measures `estimate_tokens` against tekken (needs mistral-common) on Python
standard-library modules and the language fixtures.

Run: `python -m bench.bench_context [--quick] [--tokens]`.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import sysconfig
import time
from collections.abc import Callable
from pathlib import Path

from lsprotocol import types

from bench.targets import Targets
from mistral_lsp.prompting.context import build_context
from mistral_lsp.prompting.tokens import estimate_tokens, exact_tokens
from mistral_lsp.syntax.document import Document

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "languages"


# -- generated files ----------------------------------------------------------------------------


def python_file(lines: int) -> str:
    out = ['"""Generated module for the context benchmark."""', "", "import json", "import os",
           "from dataclasses import dataclass", "", ""]
    i = 0
    while len(out) < lines:
        out += [
            f"def helper_{i}(value: int) -> int:",
            f'    """Scale a value for record {i}."""',
            f"    return value * {i % 7 + 2} + len(os.sep)",
            "",
            "",
            "@dataclass",
            f"class Record{i}:",
            f'    """Record number {i}."""',
            "",
            "    name: str",
            "    count: int = 0",
            "",
            "    def bump(self, amount: int) -> int:",
            "        if amount < 0:",
            '            raise ValueError("negative")',
            f"        self.count += helper_{i}(amount)",
            "        return self.count",
            "",
            "    def to_json(self) -> str:",
            '        return json.dumps({"name": self.name, "count": self.count})',
            "",
            "",
            f"def process_{i}(records: list[Record{i}]) -> int:",
            "    total = 0",
            "    for record in records:",
            f"        total += record.bump(helper_{i}(record.count))",
            "    return total",
            "",
            "",
        ]
        i += 1
    return "\n".join(out[:lines]) + "\n"


def typescript_file(lines: int) -> str:
    out = ["// Generated module for the context benchmark.", 'import * as fs from "fs";',
           'import { join } from "path";', ""]
    i = 0
    while len(out) < lines:
        out += [
            f"function helper{i}(value: number): number {{",
            f"  return value * {i % 7 + 2} + join('a', 'b').length;",
            "}",
            "",
            f"export class Record{i} {{",
            "  count = 0;",
            "",
            "  constructor(private readonly name: string) {}",
            "",
            "  bump(amount: number): number {",
            "    if (amount < 0) {",
            '      throw new Error("negative");',
            "    }",
            f"    this.count += helper{i}(amount);",
            "    return this.count;",
            "  }",
            "",
            "  toJson(): string {",
            "    return JSON.stringify({ name: this.name, count: this.count });",
            "  }",
            "}",
            "",
            f"export const process{i} = (records: Record{i}[]): number => {{",
            "  let total = 0;",
            "  for (const record of records) {",
            f"    total += record.bump(helper{i}(record.count));",
            "  }",
            "  return total + (fs.existsSync('x') ? 1 : 0);",
            "};",
            "",
        ]
        i += 1
    return "\n".join(out[:lines]) + "\n"


def go_file(lines: int) -> str:
    out = ["// Package bench is generated for the context benchmark.", "package bench", "",
           "import (", '\t"encoding/json"', '\t"errors"', ")", ""]
    i = 0
    while len(out) < lines:
        out += [
            f"func helper{i}(value int) int {{",
            f"\treturn value*{i % 7 + 2} + 1",
            "}",
            "",
            f"// Record{i} is record number {i}.",
            f"type Record{i} struct {{",
            "\tName  string",
            "\tCount int",
            "}",
            "",
            f"func (r *Record{i}) Bump(amount int) (int, error) {{",
            "\tif amount < 0 {",
            '\t\treturn 0, errors.New("negative")',
            "\t}",
            f"\tr.Count += helper{i}(amount)",
            "\treturn r.Count, nil",
            "}",
            "",
            f"func (r *Record{i}) JSON() ([]byte, error) {{",
            "\treturn json.Marshal(r)",
            "}",
            "",
            f"func Process{i}(records []Record{i}) int {{",
            "\ttotal := 0",
            "\tfor _, record := range records {",
            f"\t\tn, _ := record.Bump(helper{i}(record.Count))",
            "\t\ttotal += n",
            "\t}",
            "\treturn total",
            "}",
            "",
        ]
        i += 1
    return "\n".join(out[:lines]) + "\n"


GENERATORS: dict[str, tuple[str, Callable[[int], str], str]] = {
    # language id: (extension, generator, a line inside a function, to put the cursor on)
    "python": (".py", python_file, "        total += record.bump("),
    "typescript": (".ts", typescript_file, "    total += record.bump("),
    "go": (".go", go_file, "\t\ttotal += n"),
}


# -- measuring ----------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def middle_cursor(doc: Document, needle: str) -> types.Position:
    text = doc.text
    at = text.find(needle, len(text) // 2)
    return doc.position_at(at + len(needle) - 1 if at >= 0 else len(text) // 2)


def bench_file(language: str, lines: int, runs: int, targets: Targets) -> list[str]:
    extension, generate, needle = GENERATORS[language]
    text = generate(lines)
    uri = f"file:///bench/generated_{lines}{extension}"

    def fresh_parse() -> None:
        doc = Document(uri, text, 1, language)
        assert doc.tree is not None

    full = timed(fresh_parse, max(3, runs // 10))

    doc = Document(uri, text, 1, language)
    assert doc.tree is not None
    cursor = middle_cursor(doc, needle)
    point = types.Range(start=cursor, end=cursor)
    # Typing inside an identifier of the function's body ("tot|al"), as a user does.
    edit_at = types.Position(line=cursor.line, character=doc.line_text(cursor.line).index("total") + 3)
    inserted = [False]

    def one_char_edit() -> None:
        # Alternately insert and delete one letter: the text stays the same size.
        if inserted[0]:
            end = types.Position(line=edit_at.line, character=edit_at.character + 1)
            change = types.TextDocumentContentChangePartial(range=types.Range(start=edit_at, end=end), text="")
        else:
            change = types.TextDocumentContentChangePartial(range=types.Range(start=edit_at, end=edit_at), text="x")
        inserted[0] = not inserted[0]
        doc.apply_change(change)

    def edit_and_reparse() -> None:
        one_char_edit()
        assert doc.tree is not None

    reparse = timed(edit_and_reparse, runs)
    contexts = []

    def build() -> None:
        contexts.append(build_context(doc, point))

    build()  # warm the file index for the current version
    warm = timed(build, runs)

    def edit_then_build() -> None:
        one_char_edit()
        build()

    cold = timed(edit_then_build, max(3, runs // 4))
    ctx = contexts[-1]
    assert ctx.target.kind in ("function", "method"), ctx.target
    prompt, whole = ctx.tokens, ctx.whole_file_tokens
    name = f"{language} {lines // 1000}k"
    targets.at_most(f"{name}: edit + incremental reparse p95", pct(reparse, 95), 2, " ms")
    if lines == 10_000:
        targets.at_most(f"{name}: context build p95", pct(warm, 95), 10, " ms")
    return [
        row(f"{name}: full parse (baseline)", full),
        row(f"{name}: edit + incremental reparse", reparse, full),
        row(f"{name}: context build (warm)", warm),
        row(f"{name}: edit + reparse + context build", cold),
        f"{name}: prompt {prompt} tokens vs whole file {whole} tokens (x{whole / max(prompt, 1):.0f} smaller,"
        f" target `{ctx.target.name}` {ctx.target.end_line - ctx.target.start_line + 1} lines)",
    ]


def row(name: str, values: list[float], baseline: list[float] | None = None) -> str:
    line = f"{name:<46} p50 {pct(values, 50):8.2f} ms  p95 {pct(values, 95):8.2f} ms"
    if baseline:
        line += f"   (x{pct(baseline, 50) / max(pct(values, 50), 1e-9):.0f} faster than a full parse)"
    return line


def token_error(samples: int) -> list[str]:
    """`estimate_tokens` against tekken on stdlib modules and the fixtures."""
    if exact_tokens("probe") is None:
        return ["token estimate: mistral-common is not installed, nothing to compare against"]
    stdlib = sorted(Path(sysconfig.get_paths()["stdlib"]).glob("*.py"))
    random.Random(3).shuffle(stdlib)
    texts: list[tuple[str, str]] = []
    for path in [*stdlib[:samples], *sorted(FIXTURES.iterdir())]:
        try:
            texts.append((path.suffix, path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError):
            continue
    errors: list[float] = []
    by_kind: dict[str, list[float]] = {}
    total_exact = total_estimate = 0
    start = time.perf_counter()
    for suffix, text in texts:
        exact = exact_tokens(text) or 1
        estimate = estimate_tokens(text)
        total_exact += exact
        total_estimate += estimate
        error = (estimate - exact) / exact
        errors.append(abs(error))
        by_kind.setdefault(suffix, []).append(error)
    elapsed = time.perf_counter() - start
    out = [
        f"token estimate vs tekken on {len(texts)} files: mean |error| {100 * statistics.mean(errors):.1f} %,"
        f" p95 {100 * pct(errors, 95):.1f} %, max {100 * max(errors):.1f} %,"
        f" total {100 * (total_estimate - total_exact) / total_exact:+.1f} % ({elapsed:.1f} s with tekken)",
    ]
    for suffix, values in sorted(by_kind.items()):
        out.append(f"  {suffix:<6} n={len(values):3d}  mean bias {100 * statistics.mean(values):+6.1f} %")
    big = "".join(text for _, text in texts)
    speed = timed(lambda: estimate_tokens(big), 5)
    out.append(f"estimate speed: {pct(speed, 50) * 1e6 / len(big):.1f} ns per character ({len(big)} characters)")
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1k and 10k lines only, fewer runs")
    parser.add_argument("--tokens", action="store_true", help="also measure the token estimate's error")
    args = parser.parse_args(argv if argv is not None else [a for a in sys.argv[1:] if a.startswith("--")])
    sizes = (1_000, 10_000) if args.quick else (1_000, 10_000, 50_000)
    runs = 30 if args.quick else 100
    targets = Targets("bench_context")
    for language in GENERATORS:
        for lines in sizes:
            for line in bench_file(language, lines, runs if lines < 50_000 else runs // 2, targets):
                print(line)
                sys.stdout.flush()
        print()
    if args.tokens:
        for line in token_error(120):
            print(line)
    targets.done()


if __name__ == "__main__":
    main()
