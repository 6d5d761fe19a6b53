"""Generated tests' imports join the test file's import block, never the middle of the file."""

from __future__ import annotations

from mistral_lsp.text.imports import split_imports

EXISTING = '''"""Tests for the cart."""

import math

from cart import Cart


def test_empty_total():
    assert Cart().total(0) == 0
'''


def test_a_new_import_goes_after_the_files_last_import_and_known_ones_are_dropped() -> None:
    generated = "import math\nimport pytest\n\nfrom cart import Cart\n\n\ndef test_discount():\n    assert pytest\n"
    split = split_imports(EXISTING, generated, "python")
    assert split.imports == ["import pytest"]
    assert split.after_line == 4  # "from cart import Cart"
    assert split.body == "def test_discount():\n    assert pytest"


def test_from_imports_add_only_the_missing_names() -> None:
    split = split_imports(EXISTING, "from cart import Cart, Item\n\ndef test_x():\n    pass\n", "python")
    assert split.imports == ["from cart import Item"]


def test_multi_line_imports_are_one_statement() -> None:
    generated = "from cart import (\n    Cart,\n    Item,\n)\n\ndef test_x():\n    pass\n"
    split = split_imports(EXISTING, generated, "python")
    assert split.imports == ["from cart import Item"]
    assert split.body == "def test_x():\n    pass"


def test_a_file_without_imports_gets_them_after_its_docstring() -> None:
    existing = '"""Docs."""\n\n\ndef test_a():\n    pass\n'
    split = split_imports(existing, "import pytest\n\ndef test_b():\n    pass\n", "python")
    assert split.imports == ["import pytest"] and split.after_line == 0


def test_code_without_leading_imports_is_unchanged() -> None:
    generated = "def test_b():\n    import pytest\n"
    assert split_imports(EXISTING, generated, "python").body == generated
    assert split_imports(EXISTING, generated, "python").imports == []


def test_other_languages() -> None:
    js = "import { sum } from './sum';\n\ntest('adds', () => {});\n"
    split = split_imports(js, "import { sum } from './sum';\nimport { mul } from './mul';\n\ntest('x', () => {});\n",
                          "javascript")
    assert split.imports == ["import { mul } from './mul';"] and split.after_line == 0
    assert split_imports("package x\n", "import \"testing\"\n", "go").imports == []  # kept as generated
