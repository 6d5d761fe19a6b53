"""What a grammar gets wrong on real code, put right in what the parser reads.

Tree-sitter parses C and C++ without expanding macros. Two common cases derail it, and both are
cheap to recognise: a C++ header named `.h` (C's suffix too), and export macros (`class
GTEST_API_ TestInfo {`, `Q_CORE_EXPORT int qrand();`), which turn a class into a broken
function and can lose every definition after it. TypeScript's grammar needs a separator between
interface members where TypeScript does not. Masks overwrite such bytes in what the parser
reads, byte for byte (macros become spaces, a missing separator takes the place of one space of
indentation), so every position in the tree is still the document's.
"""

from __future__ import annotations

import functools
import re

_EXPORT_MACRO = rb"([A-Z][A-Z0-9]*_[A-Z0-9_]*)"
Mask = tuple[bytes, bytes]
"""A regex, and the byte its group 1 is overwritten with."""

C_FAMILY_MASKS: tuple[Mask, ...] = tuple((pattern, b" ") for pattern in (
    # `class GTEST_API_ TestInfo {`, `struct Q_CORE_EXPORT QPoint : Base`: an export macro
    # between the keyword and the name makes the class a function and loses what follows.
    rb"(?m)^[ \t]*(?:template[ \t]*<[^\n]*>[ \t]*)?(?:class|struct|union)[ \t]+" + _EXPORT_MACRO
    + rb"[ \t]+[A-Za-z_]\w*[ \t]*(?:final[ \t]*)?(?=:[^:]|\{|$)",
    # `GTEST_API_ AssertionResult IsTrue(bool);`, `LLVM_ABI extern int Count;`: one before a
    # declaration's type.
    rb"(?m)^[ \t]*(?:extern[ \t]+)?" + _EXPORT_MACRO
    + rb"[ \t]+(?!(?:const|volatile|static|inline|extern|unsigned|signed|struct|enum|union|class|typename)\b)"
    rb"[A-Za-z_][\w:]*(?:<[^;\n]*>)?[ \t*&]+[A-Za-z_][\w:]*[ \t]*[;=\[(]",
    # `GTEST_DISABLE_MSC_WARNINGS_PUSH_(4180)` alone on its line, without `;`: the grammar takes
    # it for the start of a declaration and the class body after it for garbage. Not when the
    # next line goes on with it (`<< "message";`) or opens a body (`PHP_FUNCTION(f)` then `{`).
    rb"(?m)^[ \t]*(" + _EXPORT_MACRO[1:-1] + rb"\((?:[^()\n]|\([^()\n]*\))*\))[ \t]*(?://[^\n]*)?\r?\n"
    rb"(?![ \t]*(?:\{|<<|\.|->|[-+*/%&|^?:,)]))",
))

TYPESCRIPT_MASKS: tuple[Mask, ...] = (
    # A generic call signature on the line after another member, without `;` (`(fn: T): T` then
    # `<T>(name: string, fn: T): T`): the grammar reads `T<T>(...)` and loses the rest of the
    # file. A `;` in the first column of its indentation separates them.
    (rb"(?m)(?<=[\w)\]>])[ \t]*(?:\r?\n[ \t]*(?://[^\n]*)?)*\r?\n([ \t])[ \t]*<[A-Za-z_]\w*\b[^\n]*>[ \t]*\(", b";"),
)


_CPP_HEADER = re.compile(
    r"^[ \t]*(?:template\s*<|namespace\s+[\w:]*\s*\{|class\s+\w+[^;()]*$|(?:public|protected|private)\s*:)",
    re.MULTILINE,
)
"""C++ only, at the start of a line: `.h` is both C's and C++'s header suffix, and editors
disagree (VS Code says "cpp", Neovim says "c"); parsed as C, a C++ header is mostly errors and
its classes, templates and namespaces are lost."""


def is_cpp(text: str) -> bool:
    return _CPP_HEADER.search(text, 0, 200_000) is not None


@functools.cache
def _compiled(pattern: bytes) -> re.Pattern[bytes]:
    return re.compile(pattern)


def masked(data: bytes, masks: tuple[Mask, ...]) -> bytes:
    """`data` with each mask's group 1 overwritten with as many of its byte."""
    for pattern, fill in masks:

        def overwrite(match: re.Match[bytes], fill: bytes = fill) -> bytes:
            whole, start, first, last = match.group(0), match.start(), match.start(1), match.end(1)
            return whole[: first - start] + fill * (last - first) + whole[last - start :]

        data = _compiled(pattern).sub(overwrite, data)
    return data
