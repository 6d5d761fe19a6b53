"""A fix as hunks, end to end against the fake API: accepted and rejected hunk by hunk, and a
fix that changes other definitions too (`path :: name` blocks), in open and closed files."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from mistral_lsp.testing.fake_api import FakeMistralAPI, Reply

from .conftest import Editor, editor_session, rng

PRICE = """\
def price(amount, rate):
    total = amount
    total = total * rate
    fee = 1
    total = total + fee
    tax = 0
    return total + tax
"""
# Three changed lines with unchanged lines between them: three hunks (lines 1, 3 and 5).
PRICE_FIXED = """\
def price(amount, rate):
    total = float(amount)
    total = total * rate
    fee = 2
    total = total + fee
    tax = total * 0.1
    return total + tax
"""
CALC = "import math\n\n\n" + PRICE  # the function starts on line 3
SHOP = """\
from calc import price


def checkout(cart):
    return price(cart, 1)
"""
SHOP_FIXED_CHECKOUT = """\
def checkout(cart):
    return price(cart.total, 1)"""


def answer(*extra: tuple[str, str]) -> str:
    blocks = "".join(f"\n{header}\n```python\n{code}\n```\n" for header, code in extra)
    return f"Fix the amounts.\n\n```python\n{PRICE_FIXED.rstrip()}\n```\n{blocks}"


def only_line_changed(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new)


@pytest.fixture
async def neovim(fake_api: FakeMistralAPI, tmp_path: Path) -> AsyncIterator[Editor]:
    async for ed in editor_session(fake_api, tmp_path, "neovim"):
        yield ed


def lines_of(hunks: list[Any]) -> list[tuple[str, int, int]]:
    return [(h["id"], h["range"]["start"]["line"], h["range"]["end"]["line"]) for h in hunks]


async def preview(editor: Editor, uri: str, run_id: str) -> Any:
    return await editor.command("mistral.fix", {"uri": uri, "range": rng(5, 4, 5, 4), "preview": True, "id": run_id})


async def test_accept_one_hunk_then_the_rest_with_one_refused_alone(neovim: Editor) -> None:
    uri = await neovim.open("calc.py", CALC)
    neovim.fake.enqueue(Reply(text=answer()))
    result = await preview(neovim, uri, "f1")
    assert lines_of(result.hunks) == [("h1", 4, 5), ("h2", 6, 7), ("h3", 8, 9)]
    assert [h["version"] for h in result.hunks] == [1, 1, 1]
    assert result.hunks[1]["newText"] == "    fee = 2\n" and result.hunks[1]["oldText"] == "    fee = 1\n"
    assert neovim.texts[uri] == CALC  # a preview changes nothing

    # The user adds a line above: the second hunk is accepted where it is now, in one edit.
    neovim.insert_lines(uri, 0, "# prices\n")
    accepted = await neovim.command("mistral.acceptFix", {"id": "f1", "hunks": ["h2"]})
    assert (accepted.applied, accepted.appliedHunks, accepted.refused) == (True, ["h2"], [])
    after_h2 = "# prices\n" + only_line_changed(CALC, "    fee = 1\n", "    fee = 2\n")
    assert neovim.texts[uri] == after_h2
    assert len(neovim.applied_edits) == 1
    # The pending hunks come back where they are now, in the version the editor has.
    assert lines_of(accepted.pending) == [("h1", 5, 6), ("h3", 9, 10)]
    assert {h["version"] for h in accepted.pending} == {neovim.versions[uri]}

    # The user edits h1's line; accepting the rest refuses h1 alone and applies h3.
    neovim.edit(uri, [types.TextEdit(range=rng(5, 18, 5, 18), new_text=" or 0")])
    rest = await neovim.command("mistral.acceptFix", {"id": "f1"})
    assert (rest.applied, rest.appliedHunks, rest.pending) == (True, ["h3"], [])
    assert [r["id"] for r in rest.refused] == ["h1"]
    assert "h1" in rest.message and "edited" in rest.message
    assert neovim.texts[uri] == only_line_changed(
        after_h2.replace("    total = amount\n", "    total = amount or 0\n"), "    tax = 0\n", "    tax = total * 0.1\n"
    )
    # Every hunk is decided: the proposal is gone.
    again = await neovim.command("mistral.acceptFix", {"id": "f1"})
    assert again.applied is False and "already accepted, rejected or expired" in again.message


async def test_rejected_hunks_are_dropped_and_the_others_still_accepted(neovim: Editor) -> None:
    uri = await neovim.open("calc.py", CALC)
    neovim.fake.enqueue(Reply(text=answer()))
    await preview(neovim, uri, "f2")
    rejected = await neovim.command("mistral.rejectFix", {"id": "f2", "hunks": ["h1", "h3"]})
    assert rejected.rejected is True and lines_of(rejected.pending) == [("h2", 6, 7)]
    accepted = await neovim.command("mistral.acceptFix", {"id": "f2"})
    assert accepted.appliedHunks == ["h2"] and accepted.pending == []
    assert neovim.texts[uri] == only_line_changed(CALC, "    fee = 1\n", "    fee = 2\n")


async def test_a_two_file_proposal_with_the_other_file_open(neovim: Editor) -> None:
    uri = await neovim.open("calc.py", CALC)
    shop = await neovim.open("shop.py", SHOP)
    neovim.fake.enqueue(Reply(text=answer(("shop.py :: checkout", SHOP_FIXED_CHECKOUT))))
    result = await preview(neovim, uri, "f3")
    assert [(h["id"], h["uri"], h["label"]) for h in result.hunks][-1] == ("h4", shop, "shop.py :: checkout")
    assert result.hunks[-1]["version"] == 1 and lines_of(result.hunks[-1:]) == [("h4", 4, 5)]
    assert "unplaced" not in result
    accepted = await neovim.command("mistral.acceptFix", {"id": "f3"})
    assert accepted.appliedHunks == ["h1", "h2", "h3", "h4"]
    assert neovim.texts[uri] == "import math\n\n\n" + PRICE_FIXED
    assert neovim.texts[shop] == SHOP.replace("price(cart, 1)", "price(cart.total, 1)")
    (edit,) = neovim.applied_edits  # both files in one edit: one undo step
    assert {change.text_document.uri for change in edit.document_changes} == {uri, shop}


async def test_a_two_file_proposal_with_the_other_file_closed(neovim: Editor) -> None:
    uri = await neovim.open("calc.py", CALC)
    neovim.path("shop.py").write_text(SHOP, encoding="utf-8")
    neovim.fake.enqueue(Reply(text=answer(("shop.py :: checkout", SHOP_FIXED_CHECKOUT))))
    result = await preview(neovim, uri, "f4")
    closed = result.hunks[-1]
    # A closed file's hunk refers to the file on disk: no version (null fields are left out).
    assert (closed["uri"], closed.get("version"), closed["label"]) == (neovim.uri("shop.py"), None, "shop.py :: checkout")
    assert "version" not in closed
    accepted = await neovim.command("mistral.acceptFix", {"id": "f4", "hunks": ["h4"]})
    assert accepted.appliedHunks == ["h4"] and lines_of(accepted.pending) == [("h1", 4, 5), ("h2", 6, 7), ("h3", 8, 9)]
    # The closed file's edit is a `version: null` document edit; the editor applied it to the file.
    (edit,) = neovim.applied_edits
    (change,) = edit.document_changes
    assert change.text_document.version is None
    assert neovim.path("shop.py").read_text(encoding="utf-8") == SHOP.replace("price(cart, 1)", "price(cart.total, 1)")
    assert neovim.texts[uri] == CALC


async def test_blocks_that_cannot_be_placed_are_listed_and_never_applied(neovim: Editor) -> None:
    uri = await neovim.open("calc.py", CALC)
    twice = "def helper():\n    return 1\n\n\ndef helper():\n    return 2\n"
    neovim.path("dup.py").write_text(twice, encoding="utf-8")
    neovim.path("shop.py").write_text(SHOP, encoding="utf-8")
    neovim.fake.enqueue(Reply(text=answer(
        ("shop.py :: pay", "def pay():\n    pass"),
        ("dup.py :: helper", "def helper():\n    return 3"),
        ("nowhere.py :: go", "def go():\n    pass"),
        ("../outside.py :: go", "def go():\n    pass"),
    )))
    result = await neovim.command("mistral.fix", {"uri": uri, "range": rng(5, 4, 5, 4), "id": "f5"})
    assert result.applied is True
    assert [(u["label"], u["reason"]) for u in result.unplaced] == [
        ("shop.py :: pay", "no definition `pay` in shop.py"),
        ("dup.py :: helper", "`helper` is ambiguous in dup.py (2 definitions)"),
        ("nowhere.py :: go", "no file nowhere.py in the workspace"),
        ("../outside.py :: go", "../outside.py is not a path inside the workspace"),
    ]
    assert {h["uri"] for h in result.hunks} == {uri}
    assert neovim.texts[uri] == "import math\n\n\n" + PRICE_FIXED
    assert neovim.path("dup.py").read_text(encoding="utf-8") == twice
    assert neovim.path("shop.py").read_text(encoding="utf-8") == SHOP


async def test_fix_max_files_limits_the_files_one_fix_changes(fake_api: FakeMistralAPI, tmp_path: Path) -> None:
    async for editor in editor_session(fake_api, tmp_path, "neovim", settings={"fix": {"maxFiles": 1}}):
        uri = await editor.open("calc.py", CALC)
        shop = await editor.open("shop.py", SHOP)
        editor.fake.enqueue(Reply(text=answer(("shop.py :: checkout", SHOP_FIXED_CHECKOUT))))
        result = await editor.command("mistral.fix", {"uri": uri, "range": rng(5, 4, 5, 4)})
        assert result.applied is True
        assert result.unplaced == [{"label": "shop.py :: checkout", "reason": "over fix.maxFiles (1)"}]
        assert editor.texts[uri] == "import math\n\n\n" + PRICE_FIXED
        assert editor.texts[shop] == SHOP


async def test_a_plain_client_with_change_annotations_gets_each_hunk_to_confirm(vscode_plain: Editor) -> None:
    editor = vscode_plain
    uri = await editor.open("calc.py", CALC)
    shop = await editor.open("shop.py", SHOP)
    editor.fake.enqueue(Reply(text=answer(("shop.py :: checkout", SHOP_FIXED_CHECKOUT))))
    started = await editor.command("mistral.fix", {"uri": uri, "range": rng(5, 4, 5, 4)})
    assert started.started is True
    (edit,) = await editor.wait_until(lambda: editor.applied_edits, what="the fix's workspace edit")
    # One WorkspaceEdit for the whole proposal; each hunk an annotated edit needing confirmation.
    assert sorted(edit.change_annotations) == ["h1", "h2", "h3", "h4"]
    assert all(a.needs_confirmation for a in edit.change_annotations.values())
    assert edit.change_annotations["h4"].label == "shop.py :: checkout"
    by_uri = {c.text_document.uri: c.edits for c in edit.document_changes}
    assert set(by_uri) == {uri, shop}
    assert all(isinstance(e, types.AnnotatedTextEdit) for edits in by_uri.values() for e in edits)
    assert sorted({e.annotation_id for e in by_uri[uri]}) == ["h1", "h2", "h3"]
    assert [e.annotation_id for e in by_uri[shop]] == ["h4"]
