"""Merging the imports of generated tests into an existing test file's import block.

Generated tests start with the imports they need (`import pytest`, `from cart import Cart`).
Appended as they are to a test file that already has tests, those lines would land in the
middle of the file. `split_imports` takes them off the top of the generated code, drops what
the file already imports (for Python, name by name), and says after which line of the file
the rest belongs: after its last import at the top, or after its header (shebang, comments,
docstring) when it has none.

Languages whose imports are one statement per line at the top (Python, JavaScript/TypeScript,
Java, Rust, C#, C/C++ includes) are merged; any other language keeps its code as generated.
Pure: strings in, strings out.
"""

from __future__ import annotations

import dataclasses
import re

# A statement that starts an import, per language (at column 0).
_IMPORT_START: dict[str, re.Pattern[str]] = {
    "python": re.compile(r"^(import\s|from\s+\S+\s+import\s)"),
    "javascript": re.compile(r"^(import[\s{*'\"]|(const|let|var)\s+.*=\s*require\()"),
    "typescript": re.compile(r"^(import[\s{*'\"]|(const|let|var)\s+.*=\s*require\()"),
    "tsx": re.compile(r"^(import[\s{*'\"]|(const|let|var)\s+.*=\s*require\()"),
    "java": re.compile(r"^import\s"),
    "rust": re.compile(r"^(pub\s+)?use\s"),
    "csharp": re.compile(r"^using\s+[\w.]+\s*;"),
    "c": re.compile(r"^#include\s"),
    "cpp": re.compile(r"^#include\s"),
}
_FROM_IMPORT = re.compile(r"^from\s+(\S+)\s+import\s+\(?([^()#]*)\)?\s*(#.*)?$")


@dataclasses.dataclass(frozen=True)
class SplitTests:
    """The generated code split: `imports` to add (may be empty) after line `after_line` of the
    file (-1: at its very top), and the `body` to append."""

    imports: list[str]
    after_line: int
    body: str


def _statements(lines: list[str], start: int, pattern: re.Pattern[str]) -> tuple[list[tuple[int, int]], int]:
    """The import statements from `start` as (first line, last line), skipping blank lines and
    comments between them; and the index of the first line that is neither."""
    found: list[tuple[int, int]] = []
    index = start
    while index < len(lines):
        line = lines[index]
        stripped = line.strip()
        if not stripped or (stripped.startswith(("#", "//")) and not stripped.startswith("#include")):
            index += 1
            continue
        if not pattern.match(line):
            break
        first = index
        depth = line.count("(") - line.count(")") + line.count("{") - line.count("}")
        while depth > 0 and index + 1 < len(lines):
            index += 1
            depth += lines[index].count("(") - lines[index].count(")") + lines[index].count("{") - lines[index].count("}")
        found.append((first, index))
        index += 1
    return found, index


def _header_end(lines: list[str]) -> int:
    """The index of the first line after a shebang, leading comments and a Python docstring."""
    index = 0
    while index < len(lines) and (not lines[index].strip() or lines[index].lstrip().startswith(("#!", "# ", "#\n"))
                                  or lines[index].strip() == "#"):
        index += 1
    if index < len(lines) and lines[index].lstrip().startswith(('"""', "'''")):
        quote = lines[index].lstrip()[:3]
        if lines[index].count(quote) >= 2:
            return index + 1
        index += 1
        while index < len(lines) and quote not in lines[index]:
            index += 1
        return index + 1
    return index


def _python_names(statement: str) -> tuple[str, list[str]] | None:
    """("module", ["a", "b"]) of `from module import a, b`; None for other statements."""
    match = _FROM_IMPORT.match(" ".join(statement.split()))
    if match is None:
        return None
    return match.group(1), [name.strip() for name in match.group(2).split(",") if name.strip()]


def _missing(statement: str, existing: list[str], language: str) -> str | None:
    """`statement`, or only what of it the file lacks, or None when the file has it all."""
    normalized = " ".join(statement.split())
    if normalized in {" ".join(s.split()) for s in existing}:
        return None
    if language != "python":
        return statement
    parsed = _python_names(statement)
    if parsed is None:
        return statement
    module, names = parsed
    have: set[str] = set()
    for other in existing:
        other_parsed = _python_names(other)
        if other_parsed and other_parsed[0] == module:
            have.update(other_parsed[1])
    if not have:
        return statement
    wanted = [name for name in names if name not in have]
    return f"from {module} import {', '.join(wanted)}" if wanted else None


def split_imports(existing: str, generated: str, language: str) -> SplitTests:
    """See the module docstring; `existing` is the test file's text, `generated` the new tests."""
    pattern = _IMPORT_START.get(language)
    if pattern is None or not existing.strip():
        return SplitTests([], -1, generated)
    code_lines = generated.split("\n")
    new_spans, body_start = _statements(code_lines, 0, pattern)
    if not new_spans:
        return SplitTests([], -1, generated)
    file_lines = existing.split("\n")
    header = _header_end(file_lines) if language == "python" else 0
    old_spans, _ = _statements(file_lines, header, pattern)
    existing_statements = ["\n".join(file_lines[a : b + 1]) for a, b in old_spans]
    imports: list[str] = []
    for first, last in new_spans:
        kept = _missing("\n".join(code_lines[first : last + 1]), existing_statements + imports, language)
        if kept is not None:
            imports.append(kept)
    after_line = old_spans[-1][1] if old_spans else header - 1
    body = "\n".join(code_lines[body_start:]).strip("\n")
    return SplitTests(imports, after_line, body)
