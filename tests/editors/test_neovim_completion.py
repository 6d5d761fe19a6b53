"""Inline completion in a real Neovim 0.11 with the plugin (editors/neovim/lua/mistral/completion.lua),
against the real server and the fake's FIM endpoint: the ghost text appears as extmarks, the
`<Plug>` accept mapping inserts it as one undo step, a word can be taken alone, `<Esc>`
dismisses, and the toggle turns it on for a running server.

Same harness as test_neovim.py (its fixtures are reused): nothing sleeps, Lua waits on
conditions with `vim.wait`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .test_neovim import Nvim, fake, start_nvim, workspace  # noqa: F401 - pytest fixtures

pytestmark = [pytest.mark.editors, pytest.mark.timeout(60)]

SOURCE = "def mul(a, b):\n    \n"
ON = "{ settings = { completion = { enabled = true, debounceMs = 0 } } }"

GHOST = (
    "local ns = require('mistral.completion').ns\n"
    "local out = {}\n"
    "for _, m in ipairs(vim.api.nvim_buf_get_extmarks(0, ns, 0, -1, { details = true })) do\n"
    "  local d = m[4]\n"
    "  local inline = d.virt_text and d.virt_text[1][1] or ''\n"
    "  local below = {}\n"
    "  for _, l in ipairs(d.virt_lines or {}) do below[#below + 1] = l[1][1] end\n"
    "  out[#out + 1] = { row = m[2], col = m[3], inline = inline, below = below, pos = d.virt_text_pos or '' }\n"
    "end\n"
    "return out"
)


def fim_requests(fake_api: Any) -> list[Any]:
    return [r for r in fake_api.requests if r.path == "/v1/fim/completions"]


def open_in_insert(nv: Nvim, path: Path) -> int:
    buf = nv.open(path)
    nv.n.command("call cursor(2, 5)")
    nv.lua("vim.api.nvim_feedkeys('A', 'n', false)")  # InsertEnter asks for a suggestion
    return buf


def test_ghost_text_appears_and_accept_inserts_it_as_one_undo_step(
    start_nvim: Callable[..., Nvim], workspace: Path, fake: Any  # noqa: F811
) -> None:
    from mistral_lsp.testing.fake_api import Reply

    path = workspace / "mul.py"
    path.write_text(SOURCE)
    fake.enqueue(Reply(text="result = a * b\n    return result\n\n\ndef other():\n    pass\n"))
    nv = start_nvim(setup=ON)
    buf = open_in_insert(nv, path)
    nv.wait("require('mistral.completion').ghost ~= nil", what="the ghost text")
    assert nv.lua(GHOST) == [
        {"row": 1, "col": 4, "inline": "result = a * b", "below": ["    return result"], "pos": "inline"}
    ]
    assert nv.text(buf) == SOURCE, "ghost text must not change the buffer"
    (request,) = fim_requests(fake)
    assert request.json["prompt"].endswith("def mul(a, b):\n    ")
    nv.lua("vim.api.nvim_feedkeys(vim.keycode('<Plug>(mistral-completion-accept)'), 'm', false)")
    nv.wait(f"vim.api.nvim_buf_get_lines({buf}, 2, 3, false)[1] == '    return result'", what="the accepted text")
    assert nv.text(buf) == "def mul(a, b):\n    result = a * b\n    return result\n"
    assert nv.lua("return vim.api.nvim_win_get_cursor(0)") == [3, 17]
    nv.n.input("<Esc>")
    nv.wait("vim.fn.mode() == 'n'", what="normal mode")
    nv.n.command("undo")
    assert nv.text(buf) == SOURCE


def test_accept_word_then_esc_dismisses(
    start_nvim: Callable[..., Nvim], workspace: Path, fake: Any  # noqa: F811
) -> None:
    from mistral_lsp.testing.fake_api import Reply

    path = workspace / "mul.py"
    path.write_text(SOURCE)
    fake.enqueue(Reply(text="return a * b"))
    nv = start_nvim(setup=ON)
    buf = open_in_insert(nv, path)
    nv.wait("require('mistral.completion').ghost ~= nil", what="the ghost text")
    nv.lua("vim.api.nvim_feedkeys(vim.keycode('<Plug>(mistral-completion-accept-word)'), 'm', false)")
    nv.wait(f"vim.api.nvim_buf_get_lines({buf}, 1, 2, false)[1] == '    return'", what="the accepted word")
    # The rest comes back at once, from the server's memory of the suggestion: no new request.
    nv.wait("(require('mistral.completion').ghost or {}).text == ' a * b'", what="the rest of the suggestion")
    assert len(fim_requests(fake)) == 1
    nv.n.input("<Esc>")  # typed, as a user would
    nv.wait("require('mistral.completion').ghost == nil", what="the dismissal")
    assert nv.lua(GHOST) == []
    assert nv.lines(buf)[1] == "    return"


def test_toggle_turns_completion_on_for_the_running_server(
    start_nvim: Callable[..., Nvim], workspace: Path, fake: Any  # noqa: F811
) -> None:
    from mistral_lsp.testing.fake_api import Reply

    path = workspace / "mul.py"
    path.write_text(SOURCE)
    nv = start_nvim(setup="{ settings = { completion = { debounceMs = 0 } } }")
    nv.open(path)
    # Off by default: insert mode asks nothing.
    nv.n.command("call cursor(2, 5)")
    nv.lua("vim.api.nvim_feedkeys('A', 'nx', false)")
    nv.lua("vim.api.nvim_feedkeys(vim.keycode('<Esc>'), 'nx', false)")
    assert fim_requests(fake) == []
    # Count the server's pulls answered with completion on: the toggle makes it pull them
    # again (a pull still in flight from start-up is answered with the old settings: uncounted).
    nv.lua(
        "_G.pulls = 0\n"
        "local original = vim.lsp.handlers['workspace/configuration']\n"
        "vim.lsp.handlers['workspace/configuration'] = function(...)\n"
        "  local result = original(...)\n"
        "  local section = type(result) == 'table' and result[1] or nil\n"
        "  if type(section) == 'table' and vim.tbl_get(section, 'completion', 'enabled') then\n"
        "    _G.pulls = _G.pulls + 1\n"
        "  end\n"
        "  return result\n"
        "end"
    )
    fake.enqueue(Reply(text="return a * b"))
    nv.n.command("Mistral completion")
    assert nv.lua("return require('mistral.completion').enabled()") is True
    # Typed right behind the toggle: the server answers from the settings the toggle announced.
    nv.lua("vim.api.nvim_feedkeys('A', 'n', false)")
    nv.wait("require('mistral.completion').ghost ~= nil", what="the ghost text after the toggle")
    assert nv.lua(GHOST)[0]["inline"] == "return a * b"
    assert nv.lua("return _G.pulls") >= 1, "the server never pulled the new settings"


def test_accept_line_takes_one_line_at_a_time(
    start_nvim: Callable[..., Nvim], workspace: Path, fake: Any  # noqa: F811
) -> None:
    from mistral_lsp.testing.fake_api import Reply

    path = workspace / "mul.py"
    path.write_text(SOURCE)
    fake.enqueue(Reply(text="result = a * b\n    return result"))
    nv = start_nvim(setup=ON)
    buf = open_in_insert(nv, path)
    nv.wait("require('mistral.completion').ghost ~= nil", what="the ghost text")
    nv.lua("vim.api.nvim_feedkeys(vim.keycode('<Plug>(mistral-completion-accept-line)'), 'm', false)")
    nv.wait(f"vim.api.nvim_buf_get_lines({buf}, 1, 2, false)[1] == '    result = a * b'", what="the first line")
    assert nv.lines(buf) == ["def mul(a, b):", "    result = a * b"]
    # The next line comes back from the server's memory of the suggestion, then is taken too.
    nv.wait("(require('mistral.completion').ghost or {}).text == '\\n    return result'", what="the second line")
    assert len(fim_requests(fake)) == 1
    nv.lua("vim.api.nvim_feedkeys(vim.keycode('<Plug>(mistral-completion-accept-line)'), 'm', false)")
    nv.wait(f"#vim.api.nvim_buf_get_lines({buf}, 0, -1, false) == 3", what="the second line inserted")
    assert nv.text(buf) == "def mul(a, b):\n    result = a * b\n    return result\n"
    # (With the whole suggestion taken, the plugin may ask for the next one: not counted here.)
