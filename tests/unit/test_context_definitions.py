"""Same-file context: every named kind of definition a function uses reaches the prompt, in
every language; big ones as their defining line; cheaper line anchors keep review anchors."""

from __future__ import annotations

import pytest
from lsprotocol import types

from mistral_lsp.prompting.context import build_context, numbered
from mistral_lsp.review.findings import findings_from_reply
from mistral_lsp.syntax import Document

# (file name, source, the function's line marker, lines of definitions it uses that must be shown)
CASES = [
    ("m.py", 'import os\n\nEVENT_READ = 1\n_A85START: bytes = b"<~"\nlow, high = 0, 9\ntype Alias = int\n\n'
     "def use():\n    return EVENT_READ, _A85START, low, high, Alias\n",
     "def use", ["EVENT_READ = 1", '_A85START: bytes = b"<~"', "low, high = 0, 9", "type Alias = int"]),
    ("m.ts", "export const LIMIT = 10;\ntype Id = string;\nconst { a, b } = obj;\nenum Color { Red }\n\n"
     "export function use(x: Id): number {\n  return LIMIT + a + b + Color.Red;\n}\n",
     "export function use", ["export const LIMIT = 10;", "type Id = string;", "const { a, b } = obj;", "enum Color"]),
    # Interface call signatures with no separator before a generic one: the grammar needs a `;`
    # (without it, the function after the interface is lost).
    ("f.ts", "const DEFAULT_NAME = \"<unnamed>\"\n\nexport interface Factory extends Annotation {\n"
     "    <T extends Function | undefined | null>(fn: T): T\n    // named\n"
     "    <T extends Function | undefined | null>(name: string, fn: T): T\n\n"
     "    (customName: string): DecoratorAnnotation<Decorator>\n}\n\n"
     "function createFactory(auto: boolean): Factory {\n    const res: Factory = function make(arg1, arg2?): any {\n"
     "        return arg2 ? arg1 : DEFAULT_NAME\n    } as Factory\n    return res\n}\n",
     "function createFactory", ["export interface Factory extends Annotation", 'const DEFAULT_NAME = "<unnamed>"']),
    ("m.js", "const LIMIT = 10;\nlet counter = 0;\n\nfunction use() {\n  return LIMIT + counter;\n}\n",
     "function use", ["const LIMIT = 10;", "let counter = 0;"]),
    ("m.go", "package m\n\nconst (\n\tMaxSize = 10\n\tMinSize = 1\n)\n\nvar cache = map[string]int{}\n\ntype ID = string\n\n"
     "func use(id ID) int {\n\treturn MaxSize + MinSize + cache[id]\n}\n",
     "func use", ["MaxSize = 10", "MinSize = 1", "var cache = map[string]int{}", "type ID = string"]),
    ("m.rs", "const MAX: u32 = 10;\nstatic NAME: &str = \"x\";\ntype Id = u32;\nmacro_rules! twice { ($e:expr) => { $e * 2 } }\n\n"
     "fn use_it(id: Id) -> u32 {\n    twice!(MAX) + id + NAME.len() as u32\n}\n",
     "fn use_it", ["const MAX: u32 = 10;", 'static NAME: &str = "x";', "type Id = u32;", "macro_rules! twice"]),
    ("m.c", "#define MAX 10\n#define SQUARE(x) ((x) * (x))\ntypedef unsigned long ulong;\nstruct point { int x; };\n"
     "union value { int i; float f; };\nstatic int counter = 0;\nenum { RED, GREEN };\n\n"
     "ulong use(struct point p, union value v) {\n    return SQUARE(MAX) + counter + RED + p.x + v.i;\n}\n",
     "ulong use", ["#define MAX 10", "#define SQUARE(x) ((x) * (x))", "typedef unsigned long ulong;", "struct point",
                   "union value", "static int counter = 0;", "enum { RED, GREEN };"]),
    ("m.cpp", "using Id = int;\nconstexpr int N = 3;\n\nint use(Id id) {\n    return id + N;\n}\n",
     "int use", ["using Id = int;", "constexpr int N = 3;"]),
    # A C++ header named .h, with export macros (`class API X`, `API Type name;`), a bare macro
    # statement in a class body, a member enum and a template alias: all parse and are shown.
    ("info.h", "#pragma once\nnamespace t {\ntemplate <typename T>\nusing Ptr = T*;\n"
     "class GTEST_API_ Base {\n public:\n  virtual ~Base();\n};\n"
     "class GTEST_API_ Info : public Base {\n public:\n  GTEST_DISALLOW_ASSIGN_(Info)\n"
     "  enum State { kIdle, kBusy };\n  State state() const;\n};\n"
     "GTEST_API_ Registry<Info> g_registry;\n\n"
     "inline Ptr<Info> use(Info* info) {\n  return info->state() == Info::kBusy ? g_registry.find(info) : nullptr;\n}\n}\n",
     "inline Ptr<Info> use", ["using Ptr = T*;", "class GTEST_API_ Info : public Base", "kBusy",
                              "GTEST_API_ Registry<Info> g_registry;"]),
    ("M.java", "class M {\n    static final int LIMIT = 10;\n    void other() {}\n}\n\nclass User {\n"
     "    int use() {\n        return M.LIMIT;\n    }\n}\n",
     "int use", ["class M"]),
    ("m.cs", "class K { public const int A = 1; }\nenum E { X }\ndelegate void D();\n\nclass U {\n"
     "    int Use(D d) { return K.A + (int)E.X; }\n}\n",
     "int Use", ["class K", "enum E", "delegate void D();"]),
    ("m.rb", "LIMIT = 10\nmodule Helpers\n  def self.twice(x) = x * 2\nend\n\ndef use\n  Helpers.twice(LIMIT)\nend\n",
     "def use", ["LIMIT = 10", "module Helpers"]),
    # A singleton class's methods (`class << Helper`), and a method named by a :symbol.
    ("s.rb", "class << Helper\n  def twice(x) = x * 2\nend\n\nclass User\n  def entity = 1\n\n"
     "  def use\n    respond_to?(:entity) ? Helper.twice(1) : 0\n  end\nend\n",
     "def use", ["def twice(x) = x * 2", "def entity = 1"]),
    ("m.php", "<?php\nconst LIMIT = 10;\n\nfunction use_it() {\n    return LIMIT;\n}\n",
     "function use_it", ["const LIMIT = 10;"]),
    ("m.lua", "local M = {}\nlocal function helper(x) return x end\nlocal LIMIT = 10\nM.twice = function(x) return x * 2 end\n\n"
     "function M.use()\n  return helper(LIMIT) + M.twice(1)\nend\n",
     "function M.use", ["local function helper(x) return x end", "local LIMIT = 10", "M.twice = function(x)"]),
    ("m.sh", "LIMIT=10\nexport NAME=x\nhelper() { echo \"$1\"; }\n\nuse() {\n  helper \"$LIMIT\" \"$NAME\"\n}\n",
     "use() {", ["LIMIT=10", "export NAME=x", "helper() {"]),
    # bash-completion's shapes: a definition guarded by `if ! type`, one chained with `&& complete`.
    ("c.sh", "if ! type _words >/dev/null 2>&1; then\n_words() { echo words; }\nfi\n\n"
     "_helper() {\n  echo helper\n} &&\n  complete -F _helper helper\n\n_main() {\n  _words; _helper\n}\n",
     "_main() {", ["_words() { echo words; }", "_helper() {"]),
]


def context_for(name: str, text: str, marker: str, **options: object):  # type: ignore[no-untyped-def]
    doc = Document(f"file:///project/{name}", text)
    line = next(i for i, line in enumerate(text.split("\n")) if marker in line)
    position = types.Position(line, len(text.split("\n")[line]) - len(text.split("\n")[line].lstrip()))
    return build_context(doc, types.Range(position, position), **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(("name", "text", "marker", "shown"), CASES, ids=[c[0] for c in CASES])
def test_every_kind_of_definition_the_function_uses_is_in_the_prompt(
    name: str, text: str, marker: str, shown: list[str]
) -> None:
    ctx = context_for(name, text, marker)
    outside = "\n".join(section.text for section in ctx.sections if section.kind != "target")
    for line in shown:
        assert line in outside, (line, [(s.kind, s.text) for s in ctx.sections])


def test_a_huge_constant_table_costs_its_defining_line() -> None:
    table = "TABLE = {\n" + "".join(f"    {i}: 'value {i}',\n" for i in range(300)) + "}\n"
    text = f"{table}\n\ndef lookup(key):\n    return TABLE[key]\n"
    ctx = context_for("table.py", text, "def lookup")
    references = ctx.section("references")
    assert references is not None
    assert "TABLE = {" in references.text
    assert "value 5" not in references.text
    assert references.tokens < 40


def test_a_nested_function_sees_the_helpers_of_the_functions_around_it() -> None:
    text = (
        "local function outer(items)\n  local function put(x) print(x) end\n  local sep = ', '\n"
        "  local function each()\n    for _, v in ipairs(items) do put(v .. sep) end\n  end\n  each()\nend\n"
    )
    ctx = context_for("nested.lua", text, "local function each")
    references = ctx.section("references")
    assert references is not None
    assert "local function put(x) print(x) end" in references.text
    assert "local sep = ', '" in references.text


def test_sparse_line_anchors_number_every_fifth_line_and_findings_stay_exact() -> None:
    assert numbered("a\nb\nc\nd\ne\nf\ng", 10, "sparse") == "11| a\nb\nc\nd\n15| e\nf\n17| g"
    text = "def f(x):\n" + "".join(f"    y{i} = x + {i}\n" for i in range(12)) + "    return y11\n"
    ctx = context_for("anchors.py", text, "def f", line_anchors="sparse")
    target = ctx.section("target")
    assert target is not None and target.title == "Target: function `f` (lines 1-14)"
    assert "5|     y3 = x + 3" in target.text and "    y4 = x + 4" in target.text
    assert "6|" not in target.text
    dense = context_for("anchors.py", text, "def f", line_anchors="every")
    assert dense.sections[0].tokens > target.tokens
    assert context_for("anchors.py", text, "def f").sections[0].text == target.text  # sparse is the default
    # The model miscounts by two lines from the nearest anchor: the snippet puts it right.
    lines = text.split("\n")
    raw = [{"startLine": 10, "endLine": 10, "severity": "warning", "category": "bug", "title": "t",
            "message": "m", "snippet": "y10 = x + 10", "replacement": None}]
    (finding,) = findings_from_reply({"findings": raw}, lines)
    assert lines[finding.start_line].strip() == "y10 = x + 10"


def test_a_nested_class_method_sees_the_outer_class_fields_and_a_big_class_constant() -> None:
    big = "".join(f"        int f{i}() {{ return {i}; }}\n" for i in range(30))
    text = (
        "class Scanner {\n    private boolean needInput;\n    private int modCount;\n\n"
        "    class Spliterator {\n        boolean tryAdvance() {\n"
        "            return needInput && modCount > Codes.URL_SAFE;\n        }\n    }\n}\n\n"
        f"class Codes {{\n    static final int URL_SAFE = 2;\n{big}}}\n"
    )
    ctx = context_for("Scanner.java", text, "boolean tryAdvance")
    references = ctx.section("references")
    assert references is not None
    for line in ("private boolean needInput;", "private int modCount;", "static final int URL_SAFE = 2;"):
        assert line in references.text


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("namespace a {\nint f();\n}\n", "cpp"),
        ("template <typename T>\nT twice(T x);\n", "cpp"),
        ("class GTEST_API_ Info {\n public:\n  int x;\n};\n", "cpp"),
        ('#ifdef __cplusplus\nextern "C" {\n#endif\nstruct point { int x; };\nint f(void);\n', "c"),
    ],
)
def test_a_dot_h_header_is_parsed_as_cpp_when_its_text_is_cpp(text: str, language: str) -> None:
    for language_id in ("", "c"):  # Neovim says "c" for every .h
        doc = Document("file:///project/a.h", text, language_id=language_id)
        assert doc.language is not None and doc.language.name == language
    assert Document("file:///project/a.c", "namespace a {}\n", language_id="c").language.name == "c"  # type: ignore[union-attr]
