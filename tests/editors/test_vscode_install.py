"""The VS Code extension brings its server: real VS Code (code-server) with the built .vsix, no
server anywhere, and a private virtual environment installed from the wheel inside the .vsix.

The dependencies come from a local wheelhouse (`pip wheel <repo> -w <dir>`, built once per
session from pip's own configuration: the index CI reaches), handed to the extension's pip by
the environment (`PIP_NO_INDEX`, `PIP_FIND_LINKS`) for the run with no settings, and by
`mistral.installFindLinks` for the failing run (an empty wheelhouse) and its remedy.
Each run drives the UI with `editors/vscode/test/e2e/install.mjs`; screenshots land in
`test-artifacts/vscode/`. With CI=true a missing prerequisite fails; elsewhere it skips.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from mistral_lsp.testing.fake_api import FakeMistralAPI
from tests.editors import vscode_fixtures
from tests.editors.vscode_fixtures import (
    ARTIFACTS,
    EXT,
    QUIET_SETTINGS,
    REPO,
    code_server,
    extension_log,
    run,
    unavailable,
)

pytestmark = pytest.mark.editors
# The toolchain and the .vsix (built with its bundled wheel), shared with test_vscode.py.
toolchain = vscode_fixtures.toolchain
vsix = vscode_fixtures.vsix

API_KEY = "install-e2e-key"
BUGGY = 'def add(a, b):\n    return a - b\n'
FIXED = 'def add(a, b):\n    return a + b\n'
TABLE = "| pattern | meaning |\n|---|---|\n| `a  b` two  spaces | the point |\n"


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The server's dependencies as wheels, built once (pip's own index configuration)."""
    out = tmp_path_factory.mktemp("wheelhouse")
    result = run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--wheel-dir", str(out), str(REPO)],
        cwd=REPO,
        timeout=900,
    )
    if result.returncode != 0:
        unavailable(f"pip wheel of the project failed:\n{result.stderr[-3000:]}")
    # Our own wheel is not needed: the extension installs the one inside the .vsix.
    for own in out.glob("mistral_lsp-*.whl"):
        own.unlink()
    return out


def _clean_path() -> str:
    """PATH without any folder holding a `mistral-lsp` or a Python that imports mistral_lsp."""
    kept = []
    for entry in os.environ.get("PATH", "").split(os.pathsep):
        folder = Path(entry)
        if (folder / "mistral-lsp").exists() or folder == Path(sys.executable).parent:
            continue
        kept.append(entry)
    return os.pathsep.join(kept)


@contextmanager
def _code_server(
    toolchain: dict[str, str],
    vsix: Path,
    root: Path,
    *,
    machine: dict[str, object],
    pip_env: dict[str, str],
) -> Iterator[dict[str, object]]:
    """code-server with no server anywhere: no `mistral-lsp` nor a Python that imports it on PATH,
    no pip configuration of this machine (only what the test or the setting gives)."""
    (root / "workspace").mkdir(parents=True)
    (root / "workspace" / "buggy.py").write_text(BUGGY)
    with code_server(
        toolchain,
        vsix,
        root,
        api_key=API_KEY,
        user_settings=QUIET_SETTINGS,
        machine_settings=machine,
        drop_env=("MISTRAL_", "VSCODE_", "PIP_", "VIRTUAL_ENV", "PYTHON"),
        extra_env={"PATH": _clean_path(), "PIP_CONFIG_FILE": os.devnull, "MISTRAL_API_KEY": API_KEY, **pip_env},
        logs_to=ARTIFACTS / f"logs-{root.name}",
    ) as server:
        yield {
            "url": server.url,
            "workspace": str(server.workspace),
            "fakeControl": server.fake.base_url.removesuffix("/v1"),
            "artifacts": str(ARTIFACTS),
            "userData": str(server.user_data),
            "machineSettings": str(server.machine_settings),
            "fake": server.fake,
        }


def _drive(session: dict[str, object], chromium: str, root: Path, **scenario: object) -> dict[str, object]:
    data = {k: v for k, v in session.items() if k != "fake"} | {"chromium": chromium, **scenario}
    file = root / "scenario.json"
    file.write_text(json.dumps(data, indent=2))
    started = time.monotonic()
    # Chromium's singleton socket path must stay under 108 bytes: a short folder of its own.
    short_tmp = tempfile.mkdtemp(prefix="mi-")
    try:
        result = subprocess.run(
            ["node", "test/e2e/install.mjs", str(file)],
            cwd=EXT,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
            env={**os.environ, "TMPDIR": short_tmp},
        )
    finally:
        shutil.rmtree(short_tmp, ignore_errors=True)
    print(result.stdout[-6000:], result.stderr[-3000:], f"\ndriver: {time.monotonic() - started:.1f}s", sep="\n")
    assert result.returncode == 0, f"{result.stdout[-6000:]}\n{result.stderr[-3000:]}\n--- log ---\n{_log(root)[-6000:]}"
    return dict(json.loads((ARTIFACTS / f"install-{scenario['mode']}-results.json").read_text()))


def _log(root: Path) -> str:
    return extension_log(root)


def _installs(root: Path) -> list[Path]:
    return sorted((root / "ud" / "User" / "globalStorage" / "mistral-lsp.mistral-vscode" / "server").glob("*/mistral-install.json"))


@pytest.mark.timeout(1800)
def test_first_activation_installs_the_bundled_server_and_a_fix_works(
    toolchain: dict[str, str], vsix: Path, wheelhouse: Path, tmp_path: Path
) -> None:
    explain_reply = {"text": f"The table:\n\n{TABLE}"}
    with _code_server(
        toolchain, vsix, tmp_path, machine={}, pip_env={"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheelhouse)}
    ) as session:
        results = _drive(
            session,
            toolchain["CHROMIUM"],
            tmp_path,
            mode="install",
            fix={
                "file": "buggy.py",
                "line": 2,
                "reply": {"text": "```python\ndef add(a, b):\n    return a + b\n```\n"},
                "mustSeeInDiff": "return a + b",
                "expected": FIXED,
            },
            explain={"file": "buggy.py", "line": 1, "reply": explain_reply, "cell": "a  b two  spaces", "mustSee": "the point"},
        )
        fake = session["fake"]
        assert isinstance(fake, FakeMistralAPI)
        assert any(r.path.endswith("/chat/completions") for r in fake.requests)
    print(f"install + start: {results['installSeconds']}s")
    assert (tmp_path / "workspace" / "buggy.py").read_text() == FIXED
    # The server ran from the private environment made from the .vsix's wheel.
    installs = _installs(tmp_path)
    assert len(installs) == 1, installs
    log = _log(tmp_path)
    assert "Server command (the bundled server" in log
    assert str(installs[0].parent) in log
    # Server lines carry the channel's one timestamp and level: not a second pair of their own.
    server_lines = [line for line in log.splitlines() if re.search(r"mistral_lsp\.[\w.]+: ", line)]
    assert server_lines
    stamp = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
    assert all(len(stamp.findall(line)) == 1 for line in server_lines), server_lines[:5]
    assert not any(re.search(r"\] (INFO|WARNING|ERROR|DEBUG) ", line) for line in server_lines), server_lines[:5]


@pytest.mark.timeout(1800)
def test_a_failing_install_is_one_notification_and_reinstall_recovers(
    toolchain: dict[str, str], vsix: Path, wheelhouse: Path, tmp_path: Path
) -> None:
    empty = tmp_path / "empty-wheelhouse"
    empty.mkdir()
    with _code_server(
        toolchain, vsix, tmp_path, machine={"mistral.installFindLinks": str(empty)}, pip_env={}
    ) as session:
        results = _drive(
            session,
            toolchain["CHROMIUM"],
            tmp_path,
            mode="fail",
            mustSee=["pip failed", "No matching distribution", "Mistral: Reinstall Server"],
            fixedSettings={"mistral.installFindLinks": str(wheelhouse)},
        )
    print(textwrap.shorten(str(results["failureNotification"]), 400))
    assert len(_installs(tmp_path)) == 1
    assert "Server command (the bundled server" in _log(tmp_path)
