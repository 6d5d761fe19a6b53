"""Neovim 0.11 *without* the plugin's `setup()`, configured by the block of `docs/clients.md`
marked `<!-- test: neovim -->`, as written: that block is the user's init.lua (with
`/path/to/mistral-lsp` standing for this checkout), Neovim starts as a user starts it (no
`--clean`, no `-u`), the project is a real git repository, and `mistral-lsp` is on `$PATH`.

The user works as the doc says: `gra` (Neovim's default mapping for
`vim.lsp.buf.code_action()`) lists the four actions; the choice is made where
`vim.ui.select` asks, as a user picks from the list. The test then checks what the doc
promises: Fix edits the buffer and one `u` undoes it, Review fills `vim.diagnostic` (source
`mistral`) and offers "Apply suggestion" and "Explain this finding" on the finding, Explain and
Generate tests open their file in a window, progress arrives as `LspProgress` events, and a
failure is one `vim.notify` error. Nothing sleeps: every wait is on a condition in Neovim.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mistral_lsp.testing.fake_api import FakeMistralAPI, Reply
from tests.editors.test_clients import (
    API_KEY,
    EXPLANATION,
    FIXED,
    FIXED_TOTAL,
    REVIEW,
    SUGGESTED,
    TESTS_CODE,
    _project,
    documented_config,
    fenced,
)
from tests.editors.test_neovim import REPO, Nvim, _require_tools, new_user_home
from tests.samples import CART

pytestmark = [pytest.mark.editors, pytest.mark.timeout(120)]

FOUR_ACTIONS = {"Mistral: Fix", "Mistral: Explain", "Mistral: Review", "Mistral: Generate tests"}


@pytest.fixture
def fake() -> Iterator[FakeMistralAPI]:
    api = FakeMistralAPI(api_key=API_KEY)
    api.start()
    try:
        yield api
    finally:
        api.stop()


@pytest.fixture
def user_nvim(
    tmp_path: Path, fake: FakeMistralAPI, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Nvim]:
    """Neovim with ~/.config/nvim/init.lua the documented block, in the git repository."""
    import pynvim

    nvim = _require_tools()
    home = new_user_home(tmp_path / "home", monkeypatch)
    init = home / ".config" / "nvim" / "init.lua"
    init.parent.mkdir(parents=True)
    init.write_text(
        documented_config("neovim").replace("/path/to/mistral-lsp", str(REPO)), encoding="utf-8"
    )
    for name in [n for n in os.environ if n.startswith("MISTRAL_")] + [
        "NVIM",
        "VIMINIT",
        "PYTHONPATH",
    ]:
        monkeypatch.delenv(name, raising=False)
    # `mistral-lsp` on $PATH: this environment's, as after `pipx install .` in the checkout.
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("MISTRAL_API_KEY", API_KEY)
    monkeypatch.setenv("MISTRAL_BASE_URL", fake.base_url)
    monkeypatch.chdir(_project(tmp_path))
    session = pynvim.attach(
        "child",
        argv=[
            nvim,
            "--embed",
            "--headless",
            # No swap or shada in the temporary home; no python3 provider probe (~3 s).
            "--cmd",
            "set noswapfile shadafile=NONE | let g:loaded_python3_provider = 0",
        ],
    )
    nv = Nvim(session, home)
    # What the user sees, recorded: vim.notify, LspProgress, and the list vim.ui.select offers,
    # where the user picks the action named in _G.want.
    nv.lua(
        "_G.notes, _G.progress, _G.offered, _G.want = {}, {}, {}, nil\n"
        "local notify = vim.notify\n"
        "vim.notify = function(msg, level, o) table.insert(_G.notes, { msg = msg, level = level })"
        " return notify(msg, level, o) end\n"
        "vim.api.nvim_create_autocmd('LspProgress', { callback = function(ev)"
        " table.insert(_G.progress, ev.data.params.value.kind) end })\n"
        "vim.ui.select = function(items, opts, on_choice)\n"
        "  _G.offered = {}\n"
        "  local chosen\n"
        "  for i, item in ipairs(items) do\n"
        "    local title = opts.format_item and opts.format_item(item) or tostring(item)\n"
        "    table.insert(_G.offered, title)\n"
        "    if not chosen and _G.want and vim.startswith(title, _G.want) then chosen = i end\n"
        "  end\n"
        "  on_choice(chosen and items[chosen] or nil, chosen)\n"
        "end"
    )
    try:
        yield nv
    finally:
        try:
            nv.lua(
                "for _, c in ipairs(vim.lsp.get_clients()) do c:stop() end\n"
                "vim.wait(3000, function() return #vim.lsp.get_clients() == 0 end, 20)"
            )
            nv.n.quit("qa!")
        except Exception:
            pass
        nv.n.close()


def choose(nv: Nvim, want: str, line: int) -> list[str]:
    """Typed `gra` on `line` (cursor on its first word); the user picks the action starting with
    `want` from the list. Returns the titles offered."""
    nv.n.command(f"call cursor({line}, 1) | normal! ^")
    nv.lua("_G.want, _G.offered = ..., {}", want)
    nv.n.input("gra")
    nv.wait("#_G.offered > 0", what=f"the code actions for {want}")
    return list(nv.lua("return _G.offered"))


def window_showing(nv: Nvim, suffix: str) -> str:
    """The text of the buffer in a window whose file name ends with `suffix`, once one opens."""
    find = (
        "(function() for _, w in ipairs(vim.api.nvim_list_wins()) do"
        " local b = vim.api.nvim_win_get_buf(w)"
        f" if vim.endswith(vim.api.nvim_buf_get_name(b), {suffix!r}) then return b end end end)()"
    )
    nv.wait(find, what=f"a window showing *{suffix}")
    return "\n".join(nv.lua(f"return vim.api.nvim_buf_get_lines({find}, 0, -1, false)"))


def test_neovim_without_the_plugin_as_documented(
    user_nvim: Nvim, fake: FakeMistralAPI, tmp_path: Path
) -> None:
    nv = user_nvim
    project = tmp_path / "project"
    assert nv.lua("return #vim.api.nvim_get_runtime_file('lsp/mistral.lua', true)") == 1
    fake.enqueue(
        Reply(text=fenced(FIXED_TOTAL)),  # fix
        Reply(text=json.dumps(REVIEW)),  # review
        Reply(text=fenced(TESTS_CODE)),  # generate tests
        Reply(text=EXPLANATION),  # explain
        Reply(status=400),  # an API error
    )
    buf = nv.open(project / "cart.py")
    # The project is the git repository (the config's root markers end with .git).
    assert nv.lua(
        f"return vim.lsp.get_clients({{ bufnr = {buf}, name = 'mistral' }})[1].root_dir"
    ) == str(project)

    # `gra` lists the four actions; Fix edits the buffer, and one `u` undoes it.
    assert set(choose(nv, "Mistral: Fix", 10)) >= FOUR_ACTIONS
    nv.wait(
        f"table.concat(vim.api.nvim_buf_get_lines({buf}, 0, -1, false), '\\n') .. '\\n' == {FIXED!r}",
        what="the fix in the buffer",
    )
    nv.wait("vim.tbl_contains(_G.progress, 'end')", what="the run's progress to end")
    assert nv.lua("return _G.progress")[0] == "begin"
    nv.n.input("u")
    nv.wait(
        f"table.concat(vim.api.nvim_buf_get_lines({buf}, 0, -1, false), '\\n') .. '\\n' == {CART!r}",
        what="the fix undone",
    )

    # Review fills vim.diagnostic (source `mistral`); on the finding, the two actions.
    choose(nv, "Mistral: Review", 10)
    nv.wait(f"#vim.diagnostic.get({buf}) > 0", what="the review's diagnostics")
    (finding,) = nv.lua(
        f"return vim.tbl_map(function(d) return {{ d.message, d.source }} end, vim.diagnostic.get({buf}))"
    )
    assert "Discount divided by 10" in finding[0] and finding[1] == "mistral"
    offered = choose(nv, "Mistral: Apply suggestion", 10)
    assert {"Mistral: Apply suggestion", "Mistral: Explain this finding"} <= {
        t.split(" —")[0] for t in offered
    }, offered
    nv.wait(
        f"table.concat(vim.api.nvim_buf_get_lines({buf}, 0, -1, false), '\\n') .. '\\n' == {SUGGESTED!r}",
        what="the suggestion applied",
    )
    nv.n.command("write")

    # Generate tests and Explain open their file in a window.
    choose(nv, "Mistral: Generate tests", 14)
    assert "def test_round_up():" in window_showing(nv, "test_cart.py")
    nv.n.command(f"buffer {buf}")  # back to cart.py, as with C-^
    choose(nv, "Mistral: Explain", 9)
    assert "`total` sums the prices" in window_showing(nv, ".md")

    # A failure is one vim.notify error.
    nv.n.command(f"buffer {buf}")  # back to cart.py, as with C-^
    choose(nv, "Mistral: Explain", 14)
    nv.wait(
        "#vim.tbl_filter(function(n) return n.msg:find('failed', 1, true) end, _G.notes) > 0",
        what="the failure",
    )
    failures = [n for n in nv.lua("return _G.notes") if "failed" in n["msg"]]
    assert len(failures) == 1 and failures[0]["level"] == nv.lua("return vim.log.levels.ERROR"), (
        failures
    )
    assert "Mistral explain failed" in failures[0]["msg"]
    assert API_KEY not in str(nv.lua("return _G.notes"))
