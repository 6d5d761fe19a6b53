"""Real VS Code (code-server) for the extension's end-to-end tests (test_vscode.py, test_vscode_install.py).

- `toolchain`: `scripts/setup-vscode-e2e.sh`, idempotent (Node 24, code-server, Chromium, the
  extension's npm packages); `vsix`: the extension type-checked, bundled and packaged.
- `code_server(...)`: the .vsix installed into a fresh code-server with every XDG folder, HOME and
  TMPDIR under the test's folder, a loopback `FakeMistralAPI` as `MISTRAL_BASE_URL`, started in its
  own process group (killed whole at the end: code-server, its extension host, the LSP server),
  its logs copied to `test-artifacts/vscode/`.

With CI=true a missing prerequisite fails; elsewhere it skips.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from mistral_lsp.testing.fake_api import FakeMistralAPI
from tests.ci import is_ci

REPO = Path(__file__).resolve().parents[2]
EXT = REPO / "editors" / "vscode"
SETUP = REPO / "scripts" / "setup-vscode-e2e.sh"
ARTIFACTS = REPO / "test-artifacts" / "vscode"
CI = is_ci()

# What keeps a fresh VS Code quiet: no tips, walkthroughs, updates, telemetry or trust prompts.
QUIET_SETTINGS: dict[str, object] = {
    "chat.disableAIFeatures": True,
    "workbench.startupEditor": "none",
    "workbench.secondarySideBar.defaultVisibility": "hidden",
    "workbench.tips.enabled": False,
    "workbench.enableExperiments": False,
    "extensions.autoCheckUpdates": False,
    "extensions.autoUpdate": False,
    "extensions.ignoreRecommendations": True,
    "telemetry.telemetryLevel": "off",
    "update.mode": "none",
    "security.workspace.trust.enabled": False,
    "files.autoSave": "off",
}


def unavailable(reason: str) -> None:
    if CI:
        pytest.fail(f"VS Code test prerequisite missing (CI=true): {reason}")
    pytest.skip(reason)


def run(
    cmd: list[str], *, cwd: Path, timeout: float, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    started = time.monotonic()
    result = subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    print(f"$ {' '.join(cmd)}  ({time.monotonic() - started:.1f}s, exit {result.returncode})")
    return result


@pytest.fixture(scope="module")
def toolchain() -> dict[str, str]:
    """Runs the idempotent setup script; returns NODE24, CODE_SERVER, CHROMIUM."""
    if shutil.which("npm") is None or shutil.which("node") is None:
        unavailable("node and npm are needed on PATH")
    try:
        result = run(["bash", str(SETUP)], cwd=REPO, timeout=1200)
    except subprocess.TimeoutExpired:
        unavailable("scripts/setup-vscode-e2e.sh timed out")
        raise
    if result.returncode != 0:
        unavailable(f"scripts/setup-vscode-e2e.sh failed:\n{result.stderr[-4000:]}")
    tools = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    for key in ("NODE24", "CODE_SERVER", "CHROMIUM"):
        if not tools.get(key) or not Path(tools[key]).exists():
            unavailable(f"setup did not provide {key}: {result.stdout}")
    return tools


@pytest.fixture(scope="module")
def vsix(toolchain: dict[str, str]) -> Path:
    """Type-checks, bundles with esbuild and packages the .vsix with @vscode/vsce."""
    out = EXT / "dist" / "mistral-vscode.vsix"
    out.unlink(missing_ok=True)
    result = run(
        [
            "npx",
            "--no-install",
            "vsce",
            "package",
            "--no-dependencies",
            "--skip-license",
            "--allow-missing-repository",
            "--out",
            str(out),
        ],
        cwd=EXT,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert out.is_file()
    return out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"code-server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)  # polling a condition, not waiting for an event
    raise AssertionError(f"code-server did not answer {url} within {timeout}s")


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL, the process group `process` leads (started with start_new_session)."""
    for sig, grace in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            process.poll()  # reap the leader so the group can disappear
            try:
                os.killpg(process.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)  # polling for the group to be gone


def extension_log(root: Path) -> str:
    """The extension's `Mistral` output channel, every window session of the run, in order."""
    logs = sorted((root / "ud" / "logs").glob("*/exthost*/mistral-lsp.mistral-vscode/Mistral.log"))
    return "\n".join(log.read_text(errors="replace") for log in logs)


@dataclass(frozen=True)
class CodeServer:
    url: str
    root: Path
    workspace: Path
    fake: FakeMistralAPI
    #: The process group of code-server and everything it started (the LSP server too).
    group: int

    @property
    def machine_settings(self) -> Path:
        """Machine-scoped settings (`mistral.serverPath`, …): a remote window reads them here."""
        return self.root / "ud" / "Machine" / "settings.json"

    @property
    def user_data(self) -> Path:
        return self.root / "ud"


@contextmanager
def code_server(
    toolchain: Mapping[str, str],
    vsix: Path,
    root: Path,
    *,
    api_key: str,
    user_settings: Mapping[str, object],
    machine_settings: Mapping[str, object],
    drop_env: tuple[str, ...] = ("MISTRAL_", "VSCODE_"),
    extra_env: Mapping[str, str] | None = None,
    logs_to: Path = ARTIFACTS / "logs",
    fake_base_url: bool = True,
) -> Iterator[CodeServer]:
    """code-server on `root / "workspace"` (made if missing) with the .vsix installed.

    `drop_env`: prefixes of this process's environment variables it does not get; `extra_env`
    is added. `logs_to`: where its logs are copied when it stops. `fake_base_url`: the fake API
    is `MISTRAL_BASE_URL` (else the server is left on Mistral's own API, as a new user's is).
    """
    workspace = root / "workspace"
    workspace.mkdir(parents=True, exist_ok=True)
    user = root / "ud" / "User"
    user.mkdir(parents=True)
    (user / "settings.json").write_text(json.dumps(dict(user_settings), indent=2))
    # Paths of the machine the extension host runs on are machine-scoped settings: code-server
    # (like any remote window) reads them from its Remote settings, not from User settings.
    (root / "ud" / "Machine").mkdir(parents=True)
    (root / "ud" / "Machine" / "settings.json").write_text(json.dumps(dict(machine_settings), indent=2))
    (root / "cs.yaml").write_text("bind-addr: 127.0.0.1:0\nauth: none\ncert: false\n")
    (root / "tmp").mkdir()
    (root / "home").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop_env)}
    env.update(
        {
            "XDG_CONFIG_HOME": str(root / "c"),
            "XDG_DATA_HOME": str(root / "d"),
            "XDG_CACHE_HOME": str(root / "k"),
            "TMPDIR": str(root / "tmp"),
            "HOME": str(root / "home"),
            **(extra_env or {}),
        }
    )
    node24, entry = toolchain["NODE24"], toolchain["CODE_SERVER"]
    common = ["--user-data-dir", str(root / "ud"), "--extensions-dir", str(root / "ext")]
    installed = run([node24, entry, *common, "--install-extension", str(vsix)], cwd=root, timeout=120, env=env)
    assert installed.returncode == 0, installed.stdout + installed.stderr

    with FakeMistralAPI(api_key=api_key) as fake:
        if fake_base_url:
            env["MISTRAL_BASE_URL"] = fake.base_url
        port = free_port()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        with (root / "code-server.log").open("wb") as log:
            process = subprocess.Popen(
                [
                    node24,
                    entry,
                    "--bind-addr",
                    f"127.0.0.1:{port}",
                    "--auth",
                    "none",
                    "--config",
                    str(root / "cs.yaml"),
                    *common,
                    "--disable-telemetry",
                    "--disable-update-check",
                    "--disable-workspace-trust",
                    "--disable-getting-started-override",
                    str(workspace),
                ],
                cwd=root,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                wait_http(f"http://127.0.0.1:{port}/healthz", process, timeout=60)
                yield CodeServer(
                    url=f"http://127.0.0.1:{port}/?folder={workspace}",
                    root=root,
                    workspace=workspace,
                    fake=fake,
                    group=process.pid,
                )
            finally:
                kill_group(process)
                logs = root / "ud" / "logs"
                if logs.is_dir():
                    shutil.rmtree(logs_to, ignore_errors=True)
                    shutil.copytree(logs, logs_to)
                    shutil.copy(root / "code-server.log", logs_to / "code-server.log")
