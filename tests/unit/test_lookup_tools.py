"""The workspace tools the model calls: what `definition` and `references` find per language,
and what hostile arguments get (a short error for the model, never an exception)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mistral_lsp.lookup import PathGuard, ToolBox, Workspace
from mistral_lsp.syntax.workspace import WorkspaceIndex

FIXTURES = Path(__file__).parent.parent / "fixtures" / "workspace"
KEY = "sk-test-" + "51d0c0ffee5e1ec7" * 2


def toolbox(root: Path, *, deny: tuple[str, ...] = (), origin: str | None = None, **budgets: int) -> ToolBox:
    index = WorkspaceIndex([root])
    index.build()
    guard = PathGuard([root], deny, indexed=lambda p: index.get(p) is not None)
    return ToolBox(Workspace(index, guard, origin=origin), secrets=(KEY,), **budgets)


# (language, name, the definition's label and text, the references' lines)
LANGUAGES = [
    ("python", "CURRENCY_SYMBOL", "src/shop/pricing/currency.py:1", 'CURRENCY_SYMBOL = "EUR"',
     ["src/shop/pricing/currency.py:1: CURRENCY_SYMBOL = \"EUR\"",
      "src/shop/cart.py:7: return f\"{total:.2f} {currency.CURRENCY_SYMBOL}\""]),
    ("go", "Format", "internal/money/money.go:8",
     'func Format(c Cents) string {\n\treturn fmt.Sprintf("%d.%02d", c/100, c%100)\n}',
     ["internal/money/money.go:8: func Format(c Cents) string {",
      'main.go:10: return fmt.Sprintf("%d items, %s", clampCount(n), money.Format(total))']),
    ("typescript", "SEPARATOR", "src/util/format.ts:1", 'export const SEPARATOR = ", ";',
     ['src/util/format.ts:1: export const SEPARATOR = ", ";',
      "src/map.ts:2: import { SEPARATOR } from '@util/format';",
      "src/map.ts:6: return (source) => [op(source).join(SEPARATOR)];"]),
    ("rust", "format_cents", "src/money/format.rs:1",
     'pub fn format_cents(cents: u64) -> String {\n    format!("{}.{:02}", cents / 100, cents % 100)\n}',
     ["src/money/format.rs:1: pub fn format_cents(cents: u64) -> String {",
      "src/lib.rs:4: use crate::money::format::format_cents;",
      'src/lib.rs:7: format!("{} items, {}", limits::clamp(count), format_cents(cents))']),
    ("java", "Money", "src/main/java/com/shop/money/Money.java:3",
     'public final class Money {\n    public static String format(long cents) {\n'
     '        return cents / 100 + "." + cents % 100;\n    }\n}',
     ["src/main/java/com/shop/money/Money.java:3: public final class Money {",
      "src/main/java/com/shop/cart/Cart.java:3: import com.shop.money.Money;",
      'src/main/java/com/shop/cart/Cart.java:7: return Math.min(count, Limits.MAX_ITEMS) + " items, " + Money.format(cents);']),
    ("c", "cents_t", "include/money.h:6", "typedef long cents_t;",
     ["include/money.h:6: typedef long cents_t;", "src/cart.c:4: long cart_units(cents_t total) {"]),
]


@pytest.mark.parametrize(("language", "name", "label", "source", "uses"), LANGUAGES, ids=[row[0] for row in LANGUAGES])
def test_definition_and_references_per_language(language: str, name: str, label: str, source: str, uses: list[str]) -> None:
    tools = toolbox((FIXTURES / language).resolve())
    definition = tools.account("definition", tools.answer("definition", json.dumps({"name": name})))
    assert definition.content == f"{label}\n{source}"
    assert definition.label == f"definition {name} — {label}"
    assert definition.line == f"looking up `{name}` — {label}"
    references = tools.answer("references", json.dumps({"name": name}))
    assert references.text.splitlines() == uses
    assert tools.lookups == [f"definition {name} — {label}"]


def test_a_huge_definition_is_cut_with_its_signature_kept(tmp_path: Path) -> None:
    body = "\n".join(f"    total += {i}" for i in range(300))
    (tmp_path / "big.py").write_text(f"def big(items: list[int]) -> int:\n    total = 0\n{body}\n    return total\n")
    found = toolbox(tmp_path).answer("definition", '{"name": "big"}')
    lines = found.text.splitlines()
    assert lines[:2] == ["big.py:1", "def big(items: list[int]) -> int:"]
    assert len(lines) < 90
    assert lines[-1] == "… 243 more lines cut; read('big.py', 61, 303) shows them"


def test_references_rank_the_same_package_first(tmp_path: Path) -> None:
    (tmp_path / "a_far").mkdir()
    (tmp_path / "pkg").mkdir()
    (tmp_path / "a_far" / "user.py").write_text("from elsewhere import shared\nshared()\n")
    (tmp_path / "pkg" / "lib.py").write_text("def shared():\n    return 1\n")
    (tmp_path / "pkg" / "near.py").write_text("from pkg.lib import shared\n")
    hits = toolbox(tmp_path).answer("references", '{"name": "shared"}').text.splitlines()
    assert [h.split(":")[0] for h in hits] == ["pkg/lib.py", "pkg/near.py", "a_far/user.py", "a_far/user.py"]


def test_references_are_bounded(tmp_path: Path) -> None:
    (tmp_path / "many.py").write_text("def hot():\n    pass\n" + "hot()\n" * 100)
    found = toolbox(tmp_path).answer("references", '{"name": "hot"}')
    assert len(found.text.splitlines()) == 31  # 30 uses, then the note
    assert found.text.endswith("(first 30 shown; more may exist)")


def test_read_and_search(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("".join(f"x{i} = {i}\n" for i in range(1, 400)))
    tools = toolbox(tmp_path)
    assert tools.answer("read", '{"path": "m.py", "start": 2, "end": 3}').text == "m.py:2-3 (of 399)\nx2 = 2\nx3 = 3"
    assert len(tools.answer("read", '{"path": "m.py", "start": 1, "end": 399}').text.splitlines()) == 201
    assert tools.answer("search", '{"text": "x39 = "}').text == "m.py:39: x39 = 39"


def _hostile_workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    outside = tmp_path / "outside.py"
    outside.write_text("SECRET_OUTSIDE = 1\n")
    (root / "ok.py").write_text(f"API = '{KEY}'\nvalue = 1\n" + "y" * 50_000 + "\n")
    (root / "link.py").symlink_to(outside)
    (root / "linkdir").symlink_to(tmp_path)
    for name in (".env", ".env.local", "server.pem", "tls.key", "id_rsa", "id_rsa.pub", "aws_credentials.json",
                 "my_secret.py", "notes.private"):
        (root / name).write_text("TOKEN=1\n")
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("[core]\n")
    (root / ".gitignore").write_text("build/\n*.log\n")
    (root / "build").mkdir()
    (root / "build" / "out.py").write_text("x = 1\n")
    (root / "debug.log").write_text("x\n")
    return root


HOSTILE = [
    # path escapes
    ("read", {"path": "../outside.py", "start": 1, "end": 2}, "'..' is not allowed"),
    ("read", {"path": "sub/../../outside.py", "start": 1, "end": 2}, "'..' is not allowed"),
    ("read", {"path": "/etc/passwd", "start": 1, "end": 2}, "use a workspace-relative path"),
    ("read", {"path": "~/.ssh/id_rsa", "start": 1, "end": 2}, "use a workspace-relative path"),
    ("read", {"path": "C:/Windows/win.ini", "start": 1, "end": 2}, "use a workspace-relative path"),
    ("read", {"path": "link.py", "start": 1, "end": 2}, "points outside the workspace"),
    ("read", {"path": "linkdir/outside.py", "start": 1, "end": 2}, "points outside the workspace"),
    ("definition", {"name": "value", "path": "../outside.py"}, "'..' is not allowed"),
    ("read", {"path": "missing.py", "start": 1, "end": 2}, "no such file in the workspace"),
    # denied files
    *[("read", {"path": name, "start": 1, "end": 1}, "denied (secrets and tools.deny files are never read)")
      for name in (".env", ".env.local", "server.pem", "tls.key", "id_rsa", "id_rsa.pub", "aws_credentials.json",
                   "my_secret.py", ".git/config", "notes.private")],
    ("read", {"path": "build/out.py", "start": 1, "end": 1}, "denied (ignored by .gitignore)"),
    ("read", {"path": "debug.log", "start": 1, "end": 1}, "denied (ignored by .gitignore)"),
    # wrong types and values
    ("read", {"path": "ok.py", "start": "1", "end": 2}, "'start' must be a line number (1-based)"),
    ("read", {"path": "ok.py", "start": True, "end": 2}, "'start' must be a line number (1-based)"),
    ("read", {"path": "ok.py", "start": 5, "end": 2}, "'end' must not be before 'start'"),
    ("read", {"path": "ok.py", "start": 900, "end": 901}, "ok.py has 3 lines"),
    ("read", {"path": 7, "start": 1, "end": 2}, "path must be a non-empty workspace-relative string"),
    ("definition", {"name": 5}, "'name' must be a non-empty string"),
    ("definition", {}, "'name' must be a non-empty string"),
    ("definition", {"name": "rm -rf /"}, "'name' must be an identifier"),
    ("references", {"name": "x" * 300}, "'name' is too long"),
    ("search", {"text": "a"}, "'text' must be a string of at least 2 characters"),
    ("search", {"text": ["value"]}, "'text' must be a string of at least 2 characters"),
    ("search", {"text": "a\nb"}, "'text' must be one line of at most 200 characters"),
    ("definition", {"name": "nowhere_defined"}, "no definition of 'nowhere_defined' found"),
]


@pytest.mark.parametrize(("tool", "arguments", "error"), HOSTILE, ids=[f"{t}-{i}" for i, (t, _, _) in enumerate(HOSTILE)])
def test_hostile_arguments_get_a_short_error(tmp_path: Path, tool: str, arguments: dict[str, object], error: str) -> None:
    tools = toolbox(_hostile_workspace(tmp_path), deny=("*.private",))
    lookup = tools.account(tool, tools.answer(tool, json.dumps(arguments)))
    assert lookup.content.startswith("error: ")
    assert error in lookup.content
    assert len(lookup.content) < 200
    assert "TOKEN" not in lookup.content and "SECRET_OUTSIDE" not in lookup.content


@pytest.mark.parametrize(("name", "arguments", "error"), [
    ("remove_file", '{"path": "ok.py"}', "unknown tool 'remove_file'; the tools are definition, references, read, search"),
    (None, "{}", "unknown tool '(no name)'; the tools are definition, references, read, search"),
    ("read", '{"path": "ok.py", "start": 1', "arguments are not valid JSON; send a JSON object"),
    ("read", '["ok.py", 1, 2]', "arguments must be a JSON object"),
    ("read", "null", "arguments must be a JSON object"),
    ("search", json.dumps({"text": "v" * 5000}), "arguments are too long"),
])
def test_bad_calls_get_a_short_error(tmp_path: Path, name: str | None, arguments: str, error: str) -> None:
    tools = toolbox(_hostile_workspace(tmp_path))
    assert tools.answer(name, arguments).text == f"error: {error}"


def test_huge_outputs_are_cut_and_the_run_budget_ends_lookups(tmp_path: Path) -> None:
    tools = toolbox(_hostile_workspace(tmp_path), max_result_tokens=100, max_run_tokens=250)
    first = tools.account("read", tools.answer("read", '{"path": "ok.py", "start": 1, "end": 3}'))
    assert len(first.content) <= 100 * 3.5
    assert first.content.endswith("… cut at 100 tokens; ask for less (a smaller range or a precise name)")
    tools.account("read", tools.answer("read", '{"path": "ok.py", "start": 1, "end": 3}'))
    assert not tools.exhausted
    tools.account("read", tools.answer("read", '{"path": "ok.py", "start": 1, "end": 3}'))
    assert tools.exhausted
    last = tools.account("read", tools.answer("read", '{"path": "ok.py", "start": 2, "end": 2}'))
    assert last.content == "error: the lookup budget of this run is used up; answer with what you have"


def test_the_api_key_never_reaches_a_tool_result(tmp_path: Path) -> None:
    tools = toolbox(_hostile_workspace(tmp_path))
    for tool, arguments in (("read", '{"path": "ok.py", "start": 1, "end": 1}'), ("search", '{"text": "API = "}'),
                            ("definition", '{"name": "API"}')):
        lookup = tools.account(tool, tools.answer(tool, arguments))
        assert KEY not in lookup.content
        assert "API = '***'" in lookup.content


def test_open_documents_are_read_from_the_editor(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("old = 1\n")
    index = WorkspaceIndex([tmp_path])
    index.build()
    index.open_text = lambda path: "new = 2\n" if path.endswith("/a.py") else None
    tools = ToolBox(Workspace(index, PathGuard([tmp_path], indexed=lambda p: index.get(p) is not None)))
    assert tools.answer("read", '{"path": "a.py", "start": 1, "end": 1}').text == "a.py:1-1 (of 1)\nnew = 2"
    assert os.path.exists(tmp_path / "a.py")
