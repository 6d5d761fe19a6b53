"""Import resolution per language: the files a file's own import lines (as the workspace index
found them) bring in, one small project per language the resolver table serves."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from mistral_lsp.syntax.resolve import resolve_imports
from mistral_lsp.syntax.workspace import WorkspaceIndex


@dataclass(frozen=True)
class Imports:
    language: str
    files: dict[str, str]
    """Relative path → text; the first is the importing file."""
    expected: tuple[str, ...]
    """The files it brings in, nearest first."""

    def __str__(self) -> str:
        return self.language


CASES = [
    Imports("python", {
        "shop/cart.py": "from .money import cents\nimport shop.tax\n\n\ndef total():\n    return cents(1)\n",
        "shop/money.py": "def cents(n):\n    return n\n",
        "shop/tax.py": "RATE = 2\n",
        "shop/unused.py": "X = 1\n",
    }, ("shop/money.py", "shop/tax.py")),
    Imports("javascript", {
        "src/app.js": 'import { price } from "./lib/price.js";\n\nexport function run() { return price(); }\n',
        "src/lib/price.js": "export function price() { return 1; }\n",
        "src/lib/other.js": "export const other = 1;\n",
    }, ("src/lib/price.js",)),
    Imports("typescript", {
        "src/app.ts": 'import { price } from "./lib/price";\n\nexport function run(): number { return price(); }\n',
        "src/lib/price.ts": "export function price(): number { return 1; }\n",
    }, ("src/lib/price.ts",)),
    Imports("tsx", {
        "src/App.tsx": 'import { Button } from "./Button";\n\nexport function App() { return <Button />; }\n',
        "src/Button.tsx": "export function Button() { return <button />; }\n",
    }, ("src/Button.tsx",)),
    Imports("go", {
        "main.go": 'package main\n\nimport "example.com/shop/money"\n\nfunc main() { money.Format(1) }\n',
        "go.mod": "module example.com/shop\n\ngo 1.22\n",
        "helpers.go": "package main\n\nfunc helper() int { return 1 }\n",
        "main_test.go": "package main\n",
        "money/money.go": "package money\n\nfunc Format(c int) string { return \"\" }\n",
    }, ("helpers.go", "money/money.go")),
    Imports("java", {
        "src/main/java/com/shop/Cart.java": "package com.shop;\n\nimport com.shop.util.Money;\n\npublic class Cart {}\n",
        "src/main/java/com/shop/Item.java": "package com.shop;\n\npublic class Item {}\n",
        "src/main/java/com/shop/util/Money.java": "package com.shop.util;\n\npublic class Money {}\n",
    }, ("src/main/java/com/shop/Item.java", "src/main/java/com/shop/util/Money.java")),
    Imports("rust", {
        "src/lib.rs": "mod money;\nuse crate::util::clamp;\nuse std::fmt;\n\npub fn run() -> u32 { clamp(1) }\n",
        "src/money.rs": "pub fn cents() -> u32 { 1 }\n",
        "src/util.rs": "pub fn clamp(n: u32) -> u32 { n }\n",
    }, ("src/money.rs", "src/util.rs")),
    Imports("c", {
        "src/cart.c": '#include <stdio.h>\n#include "money.h"\n\nlong units(void) { return 1; }\n',
        "src/money.h": "typedef long cents_t;\n",
    }, ("src/money.h",)),
    Imports("cpp", {
        "src/cart.cpp": '#include "util/money.hpp"\n\nlong units() { return 1; }\n',
        "include/util/money.hpp": "using cents_t = long;\n",
    }, ("include/util/money.hpp",)),
    Imports("ruby", {
        "lib/cart.rb": 'require_relative "money"\n\ndef total\n  cents(1)\nend\n',
        "lib/money.rb": "def cents(n)\n  n\nend\n",
    }, ("lib/money.rb",)),
    Imports("lua", {
        "src/main.lua": 'local money = require("shop.money")\n\nlocal function total()\n  return money.cents(1)\nend\n',
        "src/shop/money.lua": "local M = {}\nfunction M.cents(n) return n end\nreturn M\n",
    }, ("src/shop/money.lua",)),
    Imports("php", {
        "src/Cart.php": "<?php\nnamespace App;\n\nuse App\\Money\\Price;\n\nfunction total() { return new Price(); }\n",
        "src/Money/Price.php": "<?php\nnamespace App\\Money;\n\nclass Price {}\n",
    }, ("src/Money/Price.php",)),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_each_language_s_imports_bring_in_the_files_they_name(case: Imports, tmp_path: Path) -> None:
    for relative, text in case.files.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(text)
    index = WorkspaceIndex([tmp_path])
    index.build()
    path = (tmp_path / next(iter(case.files))).as_posix()
    entry = index.get(path)
    assert entry is not None and entry.language == case.language
    found = resolve_imports(index, path, case.language, entry.imports)
    assert found == [(tmp_path / relative).as_posix() for relative in case.expected]


def test_a_language_without_a_resolver_brings_in_no_files(tmp_path: Path) -> None:
    (tmp_path / "run.sh").write_text("source ./lib.sh\n")
    (tmp_path / "lib.sh").write_text("f() { :; }\n")
    index = WorkspaceIndex([tmp_path])
    index.build()
    assert resolve_imports(index, (tmp_path / "run.sh").as_posix(), "bash", ["source ./lib.sh"]) == []
