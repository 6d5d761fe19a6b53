"""Recall of the context: how many of the definitions a function uses reach its prompt.

On real code no one here wrote (see `bench.corpus`), with ground truth from tools independent
of this code: Python's `ast` for Python, Universal Ctags for every other language.

- Same file: for random functions, the file-level definitions (functions, classes, constants,
  variables, types, macros...; for Java, PHP, C# and Ruby, class members and fields too) whose
  name the function's code uses (strings, comments, Ruby regex literals, `@vars` and keywords
  are not uses); a hit is the definition's own line appearing in the prompt outside the
  target. The ground truth
  keeps what the function can see, by rules, never by name:
  - a definition inside a Ruby heredoc is text; the name of a class around the function names
    that class, which is where the function lives, not what it uses;
  - a definition inside another function is that function's local: only functions inside it
    see it (ctags gives some locals no scope: TypeScript destructuring, Ruby `X === y`);
  - an indented TypeScript or JavaScript `const`/`let` that ctags gives no scope is in a block
    or function ctags failed to parse (file-level ones start their line);
  - what ctags misreads is dropped or read again from the tag's line: a "field" or "variable"
    whose name is inside parentheses on its line is a parameter (C#'s `operator X(T value) =>`),
    a shell "function" whose line does not define it is an argument (`complete -F f function`),
    a Lua "function" whose line has no `function`, a Ruby method named `self` is `def self.x`.
- Cross file: see `bench.bench_workspace`.
- Prompt size: the prompt is at most 25 % of any file over 1k lines, for fix, explain and review
  at a cursor (see `prompt_share`: generate tests sends the function whole and is reported apart).
- Line anchors: tekken tokens per action with every line numbered and every fifth (`anchoring`).

Files: 60 at random, and more (up to 300) until at least 100 uses are counted.

A function whose target the tool selects differently from the ground truth (the target does
not hold the function's first line, is one line where the function has several, or stops
before the function's end where its name is defined again, as an overload) is not dropped:
each of its uses counts as a miss, and the table says how many functions disagreed.

Targets: same-file recall ≥ 0.95 in every language; the prompt share above ≤ 25 %. A missed
target (or a language not measured) fails the run (`bench/targets.py`).
Run: `python -m bench.bench_recall [--quick]`.
"""

from __future__ import annotations

import argparse
import ast
import json
import random
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from lsprotocol import types

from bench import corpus
from bench.targets import Targets
from mistral_lsp.prompting.context import PromptContext, build_context
from mistral_lsp.prompting.tokens import estimate_tokens
from mistral_lsp.syntax.document import Document

LANGUAGES = ("python", "javascript", "typescript", "go", "rust", "java", "c", "cpp", "ruby", "php", "lua", "bash", "csharp")
FUNCTION_KINDS = {"function", "method", "func", "singletonMethod"}
MEMBER_LANGUAGES = {"java", "php", "csharp", "ruby"}
"""Languages where what a method uses lives in classes: members count (not only file scope)."""
SKIPPED_KINDS = {
    "package", "packageName", "namespace", "import", "local", "parameter", "label", "heredoc", "script",
    "alias", "member", "anonMember", "methodSpec", "unknown", "externvar", "prototype", "macroparam",
    "header", "field", "using", "implementation", "accessor", "library",
}
IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")
BUDGET = 6000


@dataclass(frozen=True)
class Tag:
    name: str
    line: int
    """0-based."""
    end: int
    kind: str
    scoped: bool


def ctags(path: Path, language: str) -> list[Tag]:
    args = ["ctags", "--output-format=json", "--fields=+neKZ", "-f", "-", str(path)]
    if language == "typescript":
        args.insert(1, "--language-force=TypeScript")
    elif language == "bash" and not path.suffix:
        args.insert(1, "--language-force=Sh")  # bash-completion's files have no extension
    out = subprocess.run(args, capture_output=True, text=True, check=False).stdout
    raw = []
    for line in out.splitlines():
        try:
            tag = json.loads(line)
        except ValueError:
            continue
        if tag.get("_type") == "tag" and "line" in tag:
            raw.append(tag)
    raw.sort(key=lambda tag: tag["line"])
    lines = path.read_text(errors="replace").split("\n")
    if language == "ruby":
        strings = heredoc_lines(lines)
        raw = [tag for tag in raw if tag["line"] - 1 not in strings]  # code in a heredoc is text
    tags = []
    for i, tag in enumerate(raw):
        end = tag.get("end")
        if end is None:
            found = block_end(lines, tag["line"] - 1, language)
            end = found + 1 if found is not None else None
        if end is None:
            # No end from ctags for this language: up to the next tag not inside this one.
            name = tag["name"]
            after = [t["line"] for t in raw[i + 1 :] if t["line"] > tag["line"] and not str(t.get("scope", "")).endswith(name)]
            end = after[0] - 1 if after else tag["line"]
        scoped = "scope" in tag and tag.get("scopeKind") not in ("package", "namespace") and tag["kind"] != "enumerator"
        if language == "lua" and not re.search(r"\bfunction\b", tag.get("pattern", "")):
            continue  # ctags' Lua parser takes `fun = function_arg(...)` for a function
        name = tag["name"]
        if language == "bash" and tag.get("kind") == "function" and not re.match(
            rf"/\^\s*(function\s+)?{re.escape(name)}\b", tag.get("pattern", "")
        ):
            continue  # ctags reads `complete -F _f function declare` as defining `declare`
        if (
            language in ("typescript", "javascript") and tag.get("kind") in ("constant", "variable")
            and "scope" not in tag and re.match(r"/\^\s", tag.get("pattern", ""))
        ):
            continue  # indented and no scope: in a block or function whose scope ctags lost
        if tag.get("kind") in ("field", "variable") and in_parentheses(tag.get("pattern", ""), name):
            continue  # a parameter ctags read as a field (C#'s `operator X(T value) => ...`)
        if name == "self" and (method := re.search(r"def\s+self\.(\w+[?!=]?)", tag.get("pattern", ""))):
            name = method.group(1)  # ctags' Ruby parser sometimes names `def self.x` "self"
        short = re.split(r"[.:]", name)[-1] or name
        tags.append(Tag(short, tag["line"] - 1, end - 1, tag.get("kind", ""), scoped))
    return tags


def heredoc_lines(lines: list[str]) -> set[int]:
    """The lines inside Ruby heredocs (`<<~EOS` ... `EOS`), 0-based."""
    inside: set[int] = set()
    i = 0
    while i < len(lines):
        opened = re.search(r"<<[~-]?(['\"]?)([A-Za-z_]\w*)\1", code_only(lines[i], "ruby") if "<<" in lines[i] else "")
        if opened is None:
            opened = re.search(r"<<[~-]?(['\"])([A-Za-z_]\w*)\1", lines[i])
        if opened is not None:
            end = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == opened.group(2)), i)
            inside.update(range(i + 1, end))
            i = end
        i += 1
    return inside


def in_parentheses(pattern: str, name: str) -> bool:
    """`name` first appears inside parentheses on the tag's line: a parameter, not a field."""
    found = re.search(rf"\b{re.escape(name)}\b", pattern)
    return found is not None and pattern[: found.start()].count("(") > pattern[: found.start()].count(")")


def block_end(lines: list[str], start: int, language: str) -> int | None:
    """The last line of the block opened on or after line `start`: matching braces, or for
    Lua and Ruby the `end` at the opening line's indentation."""
    if language in ("lua", "ruby"):
        indent = len(lines[start]) - len(lines[start].lstrip())
        for i in range(start + 1, len(lines)):
            line = lines[i]
            if line.strip() and len(line) - len(line.lstrip()) <= indent and re.match(r"\s*end\b", line):
                return i
        return None
    depth = 0
    opened = False
    for i in range(start, min(len(lines), start + 5000)):
        code = code_only(lines[i], language)
        if not opened and code.rstrip().endswith(";") and "{" not in code:
            return None  # a declaration, no body
        for char in code:
            if char == "{":
                depth += 1
                opened = True
            elif char == "}":
                depth -= 1
                if opened and depth == 0:
                    return i
    return None


def normalized(text: str) -> str:
    """Whitespace collapsed and a trailing `{` dropped: a signature shows `class X`, not `class X {`."""
    return " ".join(text.split()).removesuffix("{").strip()


def visible(definitions: list[Tag], functions: list[Tag], target: Tag) -> list[Tag]:
    """The definitions `target` can see: not those inside another function (its locals; ctags
    gives a destructuring `const { a } = x` in a TypeScript function, or the `String` of
    `String === x` in a Ruby method, no function scope), unless that function holds `target`."""
    return [
        t for t in definitions
        if all(
            f.line <= target.line and target.end <= f.end
            for f in functions if f.line < t.line <= f.end and (f.line, f.end) != (t.line, t.end)
        )
    ]


def python_tags(text: str) -> list[Tag]:
    tree = ast.parse(text)
    tags: list[Tag] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            tags.append(Tag(node.name, node.lineno - 1, (node.end_lineno or node.lineno) - 1,
                            "class" if isinstance(node, ast.ClassDef) else "function", False))
            if isinstance(node, ast.ClassDef):
                for member in node.body:
                    if isinstance(member, ast.FunctionDef | ast.AsyncFunctionDef):
                        tags.append(Tag(member.name, member.lineno - 1, (member.end_lineno or 0) - 1, "method", True))
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        tags.append(Tag(name.id, node.lineno - 1, (node.end_lineno or 0) - 1, "variable", False))
    return tags


def python_used(text: str, tag: Tag) -> set[str]:
    lines = text.split("\n")[tag.line : tag.end + 1]
    try:
        tree = ast.parse("\n".join(line[len(lines[0]) - len(lines[0].lstrip()):] for line in lines))
    except SyntaxError:
        return set()
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}


_STRINGS = r'"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|`[^`]*`'
_COMMENTS = {
    "slash": r"/\*.*?\*/|//[^\n]*",
    "hash": r"(?<![$\w])#[^\n{]*",
    "lua": r"--\[\[.*?\]\]|--[^\n]*",
}
_LANGUAGE_COMMENTS = {"ruby": "hash", "bash": "hash", "python": "hash", "lua": "lua"}
_RUBY_REGEX = r"%r\{[^}]*\}|(?:(?<=[=~(,\[{!|&;])|(?<=\bwhen)|(?<=\bif)|(?<=\bunless)|(?<=\breturn)|^)\s*/(?:\\.|[^/\\\n])+/"


def code_only(body: str, language: str = "c") -> str:
    """The code without string literals and comments (a name in a comment is not a use)."""
    comments = _COMMENTS[_LANGUAGE_COMMENTS.get(language, "slash")]
    if language == "php":
        comments += "|" + _COMMENTS["hash"]
    if language == "ruby":
        # A regex literal is not code either (`/\Aabc/` uses no `A`), nor does `@config` or
        # `$stdout` name a method.
        comments += "|" + _RUBY_REGEX + r"|[@$]+\w+"
    return re.sub(f"{_STRINGS}|{comments}", " ", body, flags=re.DOTALL)


_KEYWORDS = {
    "ruby": {
        "alias", "and", "begin", "break", "case", "class", "def", "defined", "do", "else", "elsif", "end", "ensure",
        "false", "for", "if", "in", "module", "next", "nil", "not", "or", "redo", "rescue", "retry", "return",
        "self", "super", "then", "true", "undef", "unless", "until", "when", "while", "yield",
    },
}
"""Keywords are not uses (Ruby's `next` does not call a method `next`)."""


def text_used(text: str, tag: Tag, language: str) -> set[str]:
    body = code_only("\n".join(text.split("\n")[tag.line : tag.end + 1]), language)
    return set(IDENTIFIER.findall(body)) - {tag.name} - _KEYWORDS.get(language, set())


def outside_target(ctx: PromptContext) -> str:
    return "\n".join(section.text for section in ctx.sections if section.kind != "target")


DISAGREES = "(the tool's target is not this function)"


def target_disagrees(ctx: PromptContext, function: Tag, lines: list[str]) -> bool:
    """The tool's target is not the ground truth's function: it does not hold the function's
    first line, is one line where the function has more, or the function's name is defined
    again between the target's end and the function's end (the tool took an overload)."""
    target = ctx.target
    if not target.start_line <= function.line <= target.end_line:
        return True
    if target.start_line == target.end_line and function.end > function.line:
        return True
    return any(
        re.search(rf"\b{re.escape(function.name)}\b", line) for line in lines[target.end_line + 1 : function.end + 1]
    )


def measure_file(path: Path, language: str, rng: random.Random, per_file: int) -> tuple[int, int, list[str]]:
    text = path.read_text(errors="replace")
    tags = python_tags(text) if language == "python" else ctags(path, language)
    definitions = [
        t for t in tags
        if (t.kind not in SKIPPED_KINDS or (t.kind == "field" and language in MEMBER_LANGUAGES))
        and (not t.scoped or language in MEMBER_LANGUAGES or t.kind == "enumerator")
    ]
    functions = [t for t in tags if t.kind in FUNCTION_KINDS and t.end > t.line]
    rng.shuffle(functions)
    # A file without an extension is opened as what it is (editors detect it by content).
    doc = Document(path.as_uri(), text, language_id="" if path.suffix else language)
    lines = text.split("\n")
    found = total = 0
    misses: list[str] = []
    for function in functions[:per_file]:
        used = python_used(text, function) if language == "python" else text_used(text, function, language)
        # The name of a class around the function means that class (where it lives), not a
        # same-named enumerator elsewhere.
        used -= {t.name for t in definitions if t.line < function.line and t.end >= function.end}
        expected = {
            (t.name, t.line) for t in visible(definitions, functions, function)
            if t.name in used and t.name != function.name and not (function.line <= t.line <= function.end)
            and not (t.line < function.line and t.end >= function.end)  # where it lives, not what it uses
        }
        if not expected:
            continue
        column = lines[function.line].find(function.name)
        position = types.Position(function.line, max(column, 0))
        ctx = build_context(doc, types.Range(position, position), budget_tokens=BUDGET)
        # The tool chose another target than the ground truth's function: every use is a miss.
        shown = None if target_disagrees(ctx, function, lines) else normalized(outside_target(ctx))
        # A name counts once: of overloads (Java constructors, C++ overloads, per-platform
        # variants) the function uses one, and any of them shown will do.
        places: dict[str, list[int]] = {}
        for name, line in sorted(expected):
            places.setdefault(name, []).append(line)
        for name, at in places.items():
            total += 1
            if shown is not None and any(normalized(lines[line]) in shown for line in at):
                found += 1
            else:
                why = f" {DISAGREES}" if shown is None else ""
                misses.append(f"{path.name}:{at[0] + 1} {name} (used by {function.name}){why}")
    return found, total, misses


@dataclass
class Share:
    """The worst prompt/file token ratios over functions of files over 1k lines."""

    cursor: float = 0.0
    """Fix, explain, review at a cursor (on the function's first line, then in its middle):
    the context with the target, narrowed when the function is too big (`syntax.narrow`)."""
    context: float = 0.0
    """The same without the target."""
    messages: float = 0.0
    """The same counting the whole request: system prompt, task and all."""
    tests: float = 0.0
    """Generate tests at a cursor: the function is sent whole, never narrowed (a block cannot be
    tested apart from its function), so a huge function can exceed the cursor actions' share."""
    where: str = ""


def prompt_share(language: str, paths: list[Path], rng: random.Random) -> Share:
    """Over 3 random functions of each file over 1k lines, the worst shares (see `Share`).

    Explicit selections are not measured: what the user selects is sent whole, whatever its
    size; neither is a whole-file review (the file itself).
    """
    from mistral_lsp.actions.target import select
    from mistral_lsp.prompting.prompts import build_messages

    share = Share()
    for path in paths:
        text = path.read_text(errors="replace")
        if text.count("\n") < 1000:
            continue
        doc = Document(path.as_uri(), text)
        whole = estimate_tokens(text)
        tags = python_tags(text) if language == "python" else ctags(path, language)
        functions = [t for t in tags if t.kind in FUNCTION_KINDS and t.end > t.line]
        for function in rng.sample(functions, min(3, len(functions))):
            for line in (function.line, (function.line + function.end) // 2):
                position = types.Position(line, len(doc.lines[line]) // 2)
                cursor = types.Range(position, position)
                target = select("fix", doc, cursor)
                ctx = build_context(doc, cursor, target=target, budget_tokens=BUDGET)
                context = sum(section.tokens for section in ctx.sections if section.kind != "target")
                share.cursor = max(share.cursor, ctx.tokens / whole)
                messages = sum(estimate_tokens(m["content"]) for m in build_messages("fix", ctx))
                share.messages = max(share.messages, messages / whole)
                if context / whole > share.context:
                    share.context = context / whole
                    share.where = f"{path.name}:{line + 1} " + ",".join(f"{s.kind}={s.tokens}" for s in ctx.sections)
            position = types.Position(function.line, 0)
            tests = build_context(doc, types.Range(position, position), target=select("tests", doc, types.Range(position, position)),
                                  budget_tokens=BUDGET)
            share.tests = max(share.tests, tests.tokens / whole)
    return share


ANCHOR_LANGUAGES = ("python", "go", "typescript", "java", "c")


def anchoring(quick: bool) -> None:
    """Prompt tokens per action (tekken, exact) with the target numbered on every line and on
    every fifth, on real functions: fix, explain, review and tests at a cursor on the function,
    and the review-on-save request for it."""
    from statistics import median

    from mistral_lsp.actions.target import select
    from mistral_lsp.prompting.context import outline
    from mistral_lsp.prompting.prompts import build_messages, build_review_definitions_messages
    from mistral_lsp.prompting.tokens import exact_tokens, has_exact_tokenizer
    from mistral_lsp.syntax.targets import definitions

    if not has_exact_tokenizer():
        print("line anchors: not measured (the exact tokenizer needs the `tokenizer` extra, mistral-common)")
        return
    rng = random.Random(4)
    actions = ("fix", "explain", "review", "tests", "save")
    counts: dict[tuple[str, str], list[int]] = {(a, k): [] for a in actions for k in ("every", "sparse")}
    target_lines: list[int] = []
    for language in ANCHOR_LANGUAGES:
        paths = corpus.files(language)
        if language != "python" and not shutil.which("ctags"):
            continue
        for path in rng.sample(paths, min(len(paths), 8 if quick else 25)):
            text = path.read_text(errors="replace")
            tags = python_tags(text) if language == "python" else ctags(path, language)
            doc = Document(path.as_uri(), text)
            spec = doc.language
            units = definitions(doc)
            file_outline = outline(doc)
            functions = [t for t in tags if t.kind in FUNCTION_KINDS and t.end > t.line]
            for function in rng.sample(functions, min(3, len(functions))):
                position = types.Position(function.line, 0)
                cursor = types.Range(position, position)
                for action in actions:
                    target = select("review" if action == "save" else action, doc, cursor)
                    for anchors in ("every", "sparse"):
                        if action == "save":
                            unit = min(
                                (d for d in units if d.start_line <= function.line <= d.end_line),
                                key=lambda d: d.end_line - d.start_line, default=None,
                            )
                            if unit is None:
                                continue
                            name = spec.name if spec else "text"
                            messages = build_review_definitions_messages(path.name, name, file_outline, [unit], anchors)
                        else:
                            ctx = build_context(doc, cursor, target=target, budget_tokens=BUDGET, line_anchors=anchors)
                            messages = build_messages(action, ctx)  # type: ignore[arg-type]
                        counts[(action, anchors)].append(sum(exact_tokens(m["content"]) or 0 for m in messages))
                    if action == "fix":
                        target_lines.append(target.end_line - target.start_line + 1)
    if not target_lines:
        return
    print(f"line anchors: prompt tokens (tekken) per action on {len(target_lines)} functions of "
          f"{', '.join(ANCHOR_LANGUAGES)} (target p50 {median(target_lines):.0f} lines, total {sum(target_lines)})")
    print(f"  {'action':<8} {'n':>4} {'p50 every':>10} {'p50 sparse':>11} {'total every':>12} {'total sparse':>13} {'saved':>7}")
    for action in actions:
        every, sparse = counts[(action, "every")], counts[(action, "sparse")]
        if not every:
            continue
        saved = 1 - sum(sparse) / sum(every)
        print(f"  {action:<8} {len(every):>4} {median(every):>10.0f} {median(sparse):>11.0f} {sum(every):>12} "
              f"{sum(sparse):>13} {saved:>7.1%}")
    fix_saved = sum(counts[("fix", "every")]) - sum(counts[("fix", "sparse")])
    print(f"  sparse saves {fix_saved / sum(target_lines):.2f} tekken tokens per target line")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer files")
    parser.add_argument("--misses", action="store_true", help="print what was missed")
    parser.add_argument("--language", action="append")
    args = parser.parse_args(argv if argv is not None else sys.argv[1:] if __name__ == "__main__" else [])
    missing = corpus.ensure()
    if missing:
        print(f"(missing, their languages are not measured and their targets are missed: {', '.join(missing)})")
    if not shutil.which("ctags"):
        print("(universal-ctags is missing: only Python is measured)")
    targets = Targets("bench_recall")
    print("same-file recall; prompt/file tokens, the worst over functions of files over 1k lines: fix / explain /")
    print("review at a cursor (context with the target, narrowed in a huge function), without the target, the")
    print("whole request (system prompt and task too), and generate tests (the function whole, never narrowed);")
    print("explicit selections and whole-file reviews are sent whole and not measured")
    print(f"{'language':<12} {'files':>5} {'uses':>5} {'recall':>7} {'':<7} {'prompt':>8} {'':<7} {'w/o tgt':>8}"
          f" {'request':>9} {'tests':>7} {'disagree':>9}")
    for language in args.language or LANGUAGES:
        if language != "python" and not shutil.which("ctags"):
            targets.unmeasured(f"same-file recall, {language}", "universal-ctags is missing")
            continue
        paths = corpus.files(language)
        if not paths:
            print(f"{language:<12} (no corpus)")
            targets.unmeasured(f"same-file recall, {language}", "no corpus")
            continue
        rng = random.Random(12)
        files, enough = (25, 40) if args.quick else (60, 100)
        sample = rng.sample(paths, min(len(paths), files))
        # More files where 60 hold few uses (small modules): a recall on 13 uses says little.
        more = rng.sample([p for p in paths if p not in set(sample)], max(0, min(len(paths), 5 * files) - len(sample)))
        found = total = measured = 0
        misses: list[str] = []
        for path in [*sample, *more]:
            if measured >= files and total >= enough:
                break
            f, t, m = measure_file(path, language, rng, 3)
            found, total, measured = found + f, total + t, measured + 1
            misses += m
        share = prompt_share(language, sample, rng)
        recall = found / total if total else float("nan")
        flag = "" if targets.at_least(f"same-file recall, {language}", recall, 0.95) else "  < 0.95"
        over = "" if targets.at_most(f"prompt share of a file over 1k lines, {language}", share.cursor, 0.25) else " > 25 %"
        disagreed = len({(miss.split(":")[0], miss.split(" (used by ")[1]) for miss in misses if miss.endswith(DISAGREES)})
        print(f"{language:<12} {measured:>5} {total:>5} {recall:>7.3f}{flag:<7} {share.cursor:>8.1%}{over:<7}"
              f" {share.context:>8.1%} {share.messages:>9.1%} {share.tests:>7.1%} {disagreed:>9}")
        if args.misses:
            print(f"    worst context: {share.where}")
            for miss in misses[:15]:
                print(f"    miss: {miss}")
        sys.stdout.flush()
    if not args.language:
        anchoring(args.quick)
    targets.done()


if __name__ == "__main__":
    main()
