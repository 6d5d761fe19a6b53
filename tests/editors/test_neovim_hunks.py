"""A fix decided hunk by hunk in a real Neovim 0.11 with the plugin (editors/neovim/lua/mistral/
hunks.lua), against the real server and the loopback fake API: `]h` moves to a hunk, `\\a`
accepts it alone, `\\R` drops the rest, and a two-file proposal is accepted from the quickfix
list that `:Mistral hunks` fills (the other file loaded as a buffer, never in a window).

Same harness as test_neovim.py (its fixtures are reused). Every wait targets a state that lasts
(the buffer's text, the number of pending hunks), never a passing one.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .test_neovim import Nvim, fake, start_nvim, workspace  # noqa: F401 - pytest fixtures

pytestmark = [pytest.mark.editors, pytest.mark.timeout(90)]

THREE = """\
def calc(a, b):
    x = a - b
    y = 1
    z = a / b
    w = 2
    return x - y
"""
THREE_REPLY = (
    "```python\ndef calc(a, b):\n    x = a + b\n    y = 1\n    z = a * b\n    w = 2\n    return x + y\n```\n"
)
# Only the second hunk accepted.
THREE_SECOND_ONLY = THREE.replace("z = a / b", "z = a * b")
# A line added above, the first hunk's line rewritten by the user, then every hunk accepted.
THREE_EDITED_THEN_ALL = """\
# header
def calc(a, b):
    x = b - a
    y = 1
    z = a * b
    w = 2
    return x + y
"""

CALC = """\
def add(a, b, c):
    return a + b


def mul(a, b):
    return a * b
"""
UTIL = """\
from calc import add


def total(xs):
    return add(xs[0], xs[1])
"""
TWO_FILE_REPLY = (
    "The signature grew a third operand; its caller passes it.\n\n"
    "```python\ndef add(a, b, c):\n    return a + b + c\n```\n\n"
    "util.py :: total\n"
    "```python\ndef total(xs):\n    return add(xs[0], xs[1], xs[2])\n```\n\n"
    # A definition that does not exist: never guessed, listed as not placed.
    "util.py :: average\n"
    "```python\ndef average(xs):\n    return add(xs[0], xs[1], 0) / 2\n```\n"
)
CALC_AFTER = CALC.replace("return a + b\n", "return a + b + c\n")
UTIL_AFTER = UTIL.replace("add(xs[0], xs[1])", "add(xs[0], xs[1], xs[2])")

# Hunks drawn in a buffer: a decided one stops counting at once, before the server answers.
PENDING = "require('mistral.hunks').count({buf})"
# Hunks pending in the plugin's proposals: changed only by the server's answer (its `pending`),
# so a wait on this outlasts the edit that came before the answer.
ALL_PENDING = (
    "(function() local n = 0; for _, p in pairs(require('mistral.hunks').proposals) do"
    " n = n + #p.hunks end; return n end)()"
)


def buffer_is(buf: int, text: str) -> str:
    """A Lua predicate: buffer `buf` holds exactly `text`."""
    return f"table.concat(vim.api.nvim_buf_get_lines({buf}, 0, -1, false), '\\n') .. '\\n' == [[{text}]]"


def marks(nv: Nvim, buf: int) -> list[dict[str, Any]]:
    return list(
        nv.lua(
            "local ns = require('mistral.hunks').ns\n"
            "local out = {}\n"
            "for _, m in ipairs(vim.api.nvim_buf_get_extmarks(..., ns, 0, -1, { details = true })) do\n"
            "  local d = m[4]\n"
            "  local virt = {}\n"
            "  for _, l in ipairs(d.virt_lines or {}) do virt[#virt + 1] = vim.trim(l[1][1]) end\n"
            "  out[#out + 1] = { row = m[2], hl = d.line_hl_group or '', virt = virt, above = d.virt_lines_above or false }\n"
            "end\n"
            "return out",
            buf,
        )
    )


def removed_rows(nv: Nvim, buf: int) -> list[int]:
    return sorted(m["row"] for m in marks(nv, buf) if m["hl"] == "MistralPreviewDelete")


def cursor_line(nv: Nvim) -> int:
    return int(nv.lua("return vim.api.nvim_win_get_cursor(0)[1]"))


def keys(nv: Nvim, lhs: str) -> None:
    nv.lua("vim.api.nvim_feedkeys(..., 'mx', false)", lhs)


def test_three_hunks_move_with_bracket_h_accept_the_second_and_reject_the_rest(
    start_nvim: Callable[..., Nvim], workspace: Path, fake: Any  # noqa: F811
) -> None:
    from mistral_lsp.testing.fake_api import Reply

    (workspace / "three.py").write_text(THREE)
    nv = start_nvim()
    buf = nv.open(workspace / "three.py")
    fake.enqueue(Reply(text=THREE_REPLY))
    nv.n.command("call cursor(1, 1)")
    nv.n.command("Mistral fix")
    nv.wait(f"{PENDING.format(buf=buf)} == 3", what="three pending hunks")
    assert nv.text(buf) == THREE, "the preview must not change the buffer"
    # Each hunk: its removed line highlighted, its new line below it as a virtual line.
    assert removed_rows(nv, buf) == [1, 3, 5]
    added = [line for m in marks(nv, buf) if not m["above"] for line in m["virt"]]
    assert added == ["x = a + b", "z = a * b", "return x + y"]

    keys(nv, "]h")
    assert cursor_line(nv) == 2
    keys(nv, "]h")
    assert cursor_line(nv) == 4
    keys(nv, "\\a")  # <LocalLeader>a: the hunk under the cursor, alone
    nv.wait(f"{buffer_is(buf, THREE_SECOND_ONLY)} and {ALL_PENDING} == 2",
            what="the second hunk applied and the other two still pending")
    # The other two are drawn again where they are now.
    assert removed_rows(nv, buf) == [1, 5]
    keys(nv, "]h")
    assert cursor_line(nv) == 6, "]h skips the accepted hunk"

    keys(nv, "\\R")  # <LocalLeader>R: reject the rest
    nv.wait(f"{ALL_PENDING} == 0", what="the rest rejected")
    assert marks(nv, buf) == []
    nv.n.command("write")
    assert (workspace / "three.py").read_text() == THREE_SECOND_ONLY
    # Rejected on the server too: accepting the whole fix now applies nothing.
    fix_id = nv.lua(
        "local e = vim.tbl_filter(function(e) return e.name == 'MistralRequestFinished' end, _G.events)\n"
        "return e[#e].data.id"
    )
    nv.lua(
        "_G.late = nil\n"
        "local c = vim.lsp.get_clients({ name = 'mistral' })[1]\n"
        "c:request('workspace/executeCommand', { command = 'mistral.acceptFix', arguments = { { id = ... } } },"
        " function(err, res) _G.late = { applied = res and res.applied or false } end, 0)",
        fix_id,
    )
    nv.wait("_G.late ~= nil", what="acceptFix of the rejected fix")
    assert nv.lua("return _G.late.applied") is False
    assert nv.text(buf) == THREE_SECOND_ONLY


def test_accept_all_applies_the_hunks_whose_lines_are_unchanged_and_says_why_not_the_other(
    start_nvim: Callable[..., Nvim], workspace: Path, fake: Any  # noqa: F811
) -> None:
    from mistral_lsp.testing.fake_api import Reply

    (workspace / "three.py").write_text(THREE)
    nv = start_nvim()
    buf = nv.open(workspace / "three.py")
    fake.enqueue(Reply(text=THREE_REPLY))
    nv.n.command("call cursor(1, 1)")
    nv.n.command("Mistral fix")
    nv.wait(f"{PENDING.format(buf=buf)} == 3", what="three pending hunks")
    # The user rewrites the first hunk's line; a line added above moves the others down.
    nv.lua(f"vim.api.nvim_buf_set_lines({buf}, 1, 2, false, {{ '    x = b - a' }})")
    nv.lua(f"vim.api.nvim_buf_set_lines({buf}, 0, 0, false, {{ '# header' }})")
    keys(nv, "\\A")  # <LocalLeader>A: every hunk
    nv.wait(f"{buffer_is(buf, THREE_EDITED_THEN_ALL)} and {ALL_PENDING} == 0",
            what="the two unchanged hunks applied, the edited one refused and dropped")
    # Its reason reached the user once, naming the hunk.
    wait_for_message = "vim.api.nvim_exec2('messages', { output = true }).output:find('not applied', 1, true) ~= nil"
    nv.wait(wait_for_message, what="the refusal's message")
    shown = [line for line in nv.n.api.exec2("messages", {"output": True})["output"].splitlines() if "not applied" in line]
    assert len(shown) == 1, shown
    assert "hunk h1" in shown[0], shown  # e.g. "applied 2 of 3 hunks; not applied: hunk h1 (three.py …"


def test_a_two_file_fix_is_accepted_from_the_quickfix_list(
    start_nvim: Callable[..., Nvim], workspace: Path, fake: Any  # noqa: F811
) -> None:
    from mistral_lsp.testing.fake_api import Reply

    (workspace / "calc.py").write_text(CALC)
    (workspace / "util.py").write_text(UTIL)
    nv = start_nvim()
    buf = nv.open(workspace / "calc.py")
    fake.enqueue(Reply(text=TWO_FILE_REPLY))
    nv.n.command("call cursor(2, 5)")
    nv.n.command("Mistral fix")
    nv.wait(f"{ALL_PENDING} == 2", what="a hunk in each file")
    util = int(nv.lua("return vim.fn.bufnr(...)", str(workspace / "util.py")))
    # util.py is previewed in a buffer of its own, loaded without taking a window.
    assert util > 0 and nv.lua("return vim.api.nvim_buf_is_loaded(...)", util)
    assert nv.lua("return #vim.api.nvim_tabpage_list_wins(0)") == 1
    assert nv.lua("return vim.api.nvim_get_current_buf()") == buf
    assert removed_rows(nv, util) == [4]
    assert removed_rows(nv, buf) == [1]
    assert nv.text(util) == UTIL and nv.text(buf) == CALC
    # The block for a definition util.py lacks is named to the user, and proposed nowhere.
    nv.wait(
        "vim.api.nvim_exec2('messages', { output = true }).output:find('not placed', 1, true) ~= nil",
        what="the unplaced block's message",
    )
    unplaced = [line for line in nv.n.api.exec2("messages", {"output": True})["output"].splitlines() if "not placed" in line]
    assert len(unplaced) == 1 and "util.py :: average" in unplaced[0], unplaced

    nv.n.command("Mistral hunks")
    items = nv.lua(
        "return vim.tbl_map(function(i) return { file = vim.fs.basename(vim.api.nvim_buf_get_name(i.bufnr)),"
        " lnum = i.lnum, text = i.text } end, vim.fn.getqflist())"
    )
    assert [(i["file"], i["lnum"]) for i in items] == [("calc.py", 2), ("util.py", 5)], items
    assert "util.py :: total" in items[1]["text"], items

    # The second entry (util.py): jump to it, accept the hunk under the cursor.
    nv.n.command("cc 2")
    assert nv.lua("return vim.api.nvim_get_current_buf()") == util
    keys(nv, "\\a")
    nv.wait(f"{buffer_is(util, UTIL_AFTER)} and {ALL_PENDING} == 1", what="util.py's hunk applied")
    assert nv.text(buf) == CALC, "the other file's hunk stays pending"
    # The list follows: one entry left, calc.py's.
    assert nv.lua("return #vim.fn.getqflist()") == 1
    nv.n.command("cc 1")
    assert nv.lua("return vim.api.nvim_get_current_buf()") == buf
    keys(nv, "\\a")
    nv.wait(f"{buffer_is(buf, CALC_AFTER)} and {ALL_PENDING} == 0", what="calc.py's hunk applied")
    assert nv.lua("return #vim.fn.getqflist()") == 0
    nv.n.command("wall")
    assert (workspace / "calc.py").read_text() == CALC_AFTER
    assert (workspace / "util.py").read_text() == UTIL_AFTER
