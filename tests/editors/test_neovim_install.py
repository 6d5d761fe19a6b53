"""`:MistralInstall` in a real Neovim 0.11: the plugin installs its server from the checkout it
lives in, into `stdpath('data')`, and uses it with no `mistral-lsp` on $PATH; and the install
snippets of editors/neovim/README.md (marked `<!-- test: pack -->` / `<!-- test: lazy.nvim -->`)
run as written, with `/path/to/mistral-lsp` standing for this checkout.

pip installs from a wheelhouse built once (tests/wheelhouse.py) with `--no-index`, so the
install needs no network. Every XDG_* directory and $HOME are temporary. Nothing sleeps:
Neovim is waited on for the `User MistralInstalled` event, subprocesses to exit.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.editors.test_neovim import API_KEY, CALC, FIX_REPLY, PLUGIN, REPO, Nvim, _require_tools, new_user_home
from tests.wheelhouse import offline_pip_env, wheelhouse

pytestmark = [pytest.mark.editors, pytest.mark.timeout(600)]

README = PLUGIN / "README.md"
HELP = PLUGIN / "doc" / "mistral.txt"


def doc_block(name: str) -> str:
    """The fenced block of editors/neovim/README.md marked `<!-- test: name -->`, verbatim."""
    match = re.search(
        rf"<!-- test: {re.escape(name)} -->\n```\w+\n(.*?)\n```", README.read_text(), re.DOTALL
    )
    assert match, f"{README} has no fenced block marked <!-- test: {name} -->"
    return match.group(1).replace("/path/to/mistral-lsp", str(REPO))


def help_block(lang: str, index: int) -> str:
    """The `index`-th `>lang` block after `*mistral-install*` in :help mistral, dedented, with
    its line continuations joined."""
    section = HELP.read_text().split("*mistral-install*", 1)[1]
    blocks = re.findall(rf">{lang}\n(.*?)\n<", section, re.DOTALL)
    text = "\n".join(line.strip() for line in blocks[index].splitlines())
    return re.sub(r"\s*\\\n\s*", " ", text).replace("/path/to/mistral-lsp", str(REPO))


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
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean $HOME and XDG_* dirs; no `mistral-lsp` on $PATH; `nvim` and a `python3` (the test
    interpreter's base Python, which the wheelhouse was built for) first on it; pip offline."""
    nvim = _require_tools()
    house = wheelhouse()
    home = new_user_home(tmp_path / "home", monkeypatch)
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "nvim").symlink_to(nvim)
    (bindir / "python3").symlink_to(Path(getattr(sys, "_base_executable", sys.executable)))
    path = [
        d
        for d in os.environ["PATH"].split(os.pathsep)
        if d and not (Path(d) / "mistral-lsp").exists()
    ]
    monkeypatch.setenv("PATH", os.pathsep.join([str(bindir), *path]))
    assert shutil.which("mistral-lsp") is None
    for key, value in offline_pip_env(house).items():
        monkeypatch.setenv(key, value)
    for name in ("NVIM", "VIMINIT", "VIRTUAL_ENV", "PYTHONPATH"):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    ws = tmp_path / "project"
    ws.mkdir()
    (ws / "pyproject.toml").write_text('[project]\nname = "calc"\nversion = "0"\n')
    (ws / "calc.py").write_text(CALC)
    monkeypatch.chdir(ws)
    return ws


@pytest.fixture
def start_user_nvim(home: Path) -> Iterator[Callable[[], Nvim]]:
    """Neovim as a user starts it: their init.lua, their packages (no --clean, no -u)."""
    import pynvim

    sessions: list[Nvim] = []

    def start() -> Nvim:
        session = pynvim.attach(
            "child",
            argv=[
                "nvim", "--embed", "--headless",
                # No swap or shada in the temporary home; no python3 provider probe (~3 s).
                "--cmd", "set noswapfile shadafile=NONE | let g:loaded_python3_provider = 0",
            ],
        )
        nv = Nvim(session, home)
        sessions.append(nv)
        return nv

    yield start
    for nv in sessions:
        try:
            nv.lua(
                "for _, c in ipairs(vim.lsp.get_clients()) do c:stop() end\n"
                "vim.wait(3000, function() return #vim.lsp.get_clients() == 0 end, 20)"
            )
            nv.n.quit("qa!")
        except Exception:
            pass
        nv.n.close()


def record_notifications(nv: Nvim) -> None:
    nv.lua(
        "_G.notes = {}\n"
        "local notify = vim.notify\n"
        "vim.notify = function(msg, level, o) table.insert(_G.notes, msg); return notify(msg, level, o) end\n"
        "vim.api.nvim_create_autocmd('User', { pattern = 'MistralInstalled',"
        " callback = function(ev) _G.installed = ev.data end })"
    )


def test_pack_snippet_installs_the_server_then_a_fix_works_with_no_server_on_path(
    home: Path, workspace: Path, fake: Any, start_user_nvim: Callable[[], Nvim], monkeypatch: pytest.MonkeyPatch
) -> None:
    from mistral_lsp.testing.fake_api import Reply

    # The README's snippet, as written: the plugin in pack/*/start, help tags, the server.
    done = subprocess.run(
        ["bash", "-euc", doc_block("pack")], capture_output=True, text=True, timeout=540
    )
    assert done.returncode == 0, done.stdout + done.stderr
    venv = home / ".local" / "share" / "nvim" / "mistral" / "venv"
    server = venv / "bin" / "mistral-lsp"
    log = home / ".local" / "state" / "nvim" / "mistral-install.log"
    assert server.exists(), done.stdout + done.stderr + (log.read_text()[-3000:] if log.exists() else "")
    assert "installed mistral-lsp 0." in done.stderr + done.stdout
    # Installed from this checkout, not from somewhere else.
    version = subprocess.run([str(server), "--version"], capture_output=True, text=True, check=True)
    from mistral_lsp import __version__

    assert version.stdout.strip() == f"mistral-lsp {__version__}"

    # The user's init.lua, as the README says; the key from the environment.
    (home / ".config" / "nvim").mkdir()
    (home / ".config" / "nvim" / "init.lua").write_text("require('mistral').setup({})\n")
    monkeypatch.setenv("MISTRAL_API_KEY", API_KEY)
    monkeypatch.setenv("MISTRAL_BASE_URL", fake.base_url)
    fake.reset()
    nv = start_user_nvim()
    assert nv.lua("return vim.fn.exists(':MistralInstall')") == 2
    assert nv.lua("return #vim.fn.getcompletion('mistral-install', 'help')") >= 1  # helptags ran
    buf = nv.open(workspace / "calc.py")
    assert nv.lua("return { require('mistral.config').server_cmd() }") == [[str(server)], ":MistralInstall"]

    fake.enqueue(Reply(text=FIX_REPLY))
    nv.n.command("call cursor(2, 5)")
    nv.lua(
        "vim.lsp.buf.code_action({ apply = true, filter = function(a) return a.title == 'Mistral: Fix' end })"
    )
    nv.wait("require('mistral.preview').count(0) == 1", what="the fix preview")
    nv.n.command("Mistral accept")
    nv.wait(
        f"vim.api.nvim_buf_get_lines({buf}, 1, 2, false)[1] == '    return a + b'",
        what="the accepted fix",
    )

    nv.n.command("checkhealth mistral")
    report = "\n".join(nv.lines(0))
    assert f"OK found {server} (from :MistralInstall): mistral-lsp {__version__}" in report, report


def test_install_from_inside_neovim_starts_the_server_for_the_open_buffer(
    home: Path, workspace: Path, fake: Any, start_user_nvim: Callable[[], Nvim], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No server yet: opening a file says how to get one; `:MistralInstall` then installs it
    (progress in messages) and the open buffer gets its client without a restart."""
    config = home / ".config" / "nvim"
    config.mkdir()
    (config / "init.lua").write_text(
        f"vim.opt.runtimepath:append('{PLUGIN}')\nrequire('mistral').setup({{}})\n"
    )
    monkeypatch.setenv("MISTRAL_API_KEY", API_KEY)
    monkeypatch.setenv("MISTRAL_BASE_URL", fake.base_url)
    nv = start_user_nvim()
    record_notifications(nv)
    nv.n.command(f"edit {workspace / 'calc.py'}")
    nv.wait("#_G.notes == 1", what="the missing-server message")
    assert ":MistralInstall" in nv.lua("return _G.notes[1]")

    nv.n.command("MistralInstall")
    nv.wait("_G.installed ~= nil", timeout=540, what="the install to end")
    installed = nv.lua("return _G.installed")
    assert installed["ok"] is True, nv.lua("return _G.notes")
    server = home / ".local" / "share" / "nvim" / "mistral" / "venv" / "bin" / "mistral-lsp"
    assert installed["server"] == str(server)
    notes = nv.lua("return _G.notes")
    assert any("installing the server from " + str(REPO) in n for n in notes), notes
    assert notes[-1].startswith("mistral: installed mistral-lsp "), notes
    nv.wait("#vim.lsp.get_clients({ bufnr = 0, name = 'mistral' }) > 0", what="the client to attach")


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("not-a-checkout", "is not inside a mistral-lsp checkout"),
        ("no-python", "no Python >= 3.10 found (tried /nonexistent/python3 (not found))"),
    ],
)
def test_an_install_that_cannot_work_says_why_in_one_message(
    home: Path, tmp_path: Path, start_user_nvim: Callable[[], Nvim], case: str, expected: str
) -> None:
    plugin = PLUGIN
    setup = "{}"
    if case == "not-a-checkout":
        plugin = tmp_path / "mistral.nvim"  # the plugin copied out of its repository
        shutil.copytree(PLUGIN, plugin)
    else:
        setup = "{ install = { python = '/nonexistent/python3' } }"
    config = home / ".config" / "nvim"
    config.mkdir()
    (config / "init.lua").write_text(
        f"vim.opt.runtimepath:append('{plugin}')\nrequire('mistral').setup({setup})\n"
    )
    nv = start_user_nvim()
    record_notifications(nv)
    nv.n.input(":MistralInstall\r")  # as typed: the error is shown, not raised to the test
    nv.wait("_G.installed ~= nil", what="the install to end")
    assert nv.lua("return _G.installed.ok") is False
    notes = nv.lua("return _G.notes")
    assert len(notes) == 1, notes
    assert notes[0].startswith("mistral: install failed: ") and expected in notes[0], notes
    assert not (home / ".local" / "share" / "nvim" / "mistral" / "venv").exists()


def test_lazy_nvim_spec_puts_the_plugin_on_the_runtimepath_and_builds_with_mistral_install(
    home: Path, start_user_nvim: Callable[[], Nvim]
) -> None:
    """lazy.nvim itself is not installable here: the spec is evaluated as lazy.nvim reads it
    (`dir` onto 'runtimepath' with its plugin/ sourced, `build` starting with ':' run as an Ex
    command, `opts` passed to `require(<main>).setup`)."""
    nv = start_user_nvim()
    spec = nv.lua("return assert(load('return ' .. ...))()", doc_block("lazy.nvim"))
    assert Path(spec["dir"]) == PLUGIN
    assert spec["build"] == ":MistralInstall"
    nv.lua(
        "local spec = ...\n"
        "vim.opt.runtimepath:prepend(spec.dir)\n"
        "vim.cmd('runtime! plugin/mistral.lua')\n"
        "require('mistral').setup(spec.opts)",
        spec,
    )
    assert nv.lua("return vim.fn.exists(':' .. ...)", spec["build"][1:]) == 2
    assert nv.lua("return require('mistral.config').options.keymaps") is True
    assert nv.lua("return require('mistral.install').repo_root()") == str(REPO)
    # :help mistral-install gives the same spec.
    help_spec = nv.lua("return assert(load('return ' .. ...))()", help_block("lua", 0))
    assert {k: help_spec[k] for k in ("dir", "name", "build")} == {
        k: spec[k] for k in ("dir", "name", "build")
    }


def test_help_gives_the_readme_pack_commands() -> None:
    """:help mistral-install's package snippet is the README's (which the install test runs)."""
    assert help_block("sh", 0).split() == doc_block("pack").split()
