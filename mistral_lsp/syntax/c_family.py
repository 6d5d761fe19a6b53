"""What the C and C++ grammars cannot know without a preprocessor, guessed from the text.

Tree-sitter parses C and C++ without expanding macros. Two common cases derail it, and both are
cheap to recognise: a C++ header named `.h` (C's suffix too), and export macros (`class
GTEST_API_ TestInfo {`, `Q_CORE_EXPORT int qrand();`), which turn a class into a broken
function and can lose every definition after it. Masks blank such macros in what the parser
reads, byte for byte, so every position in the tree is still the document's.
"""

from __future__ import annotations

import functools
import re

_EXPORT_MACRO = rb"([A-Z][A-Z0-9]*_[A-Z0-9_]*)"
C_FAMILY_MASKS = (
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


def masked(data: bytes, patterns: tuple[bytes, ...]) -> bytes:
    """`data` with each pattern's group 1 replaced by as many spaces."""
    for pattern in patterns:
        data = _compiled(pattern).sub(_blank_group, data)
    return data


def _blank_group(match: re.Match[bytes]) -> bytes:
    whole, start = match.group(0), match.start()
    return whole[: match.start(1) - start] + b" " * (match.end(1) - match.start(1)) + whole[match.end(1) - start :]
