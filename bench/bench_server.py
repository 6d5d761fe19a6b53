"""Server benchmarks over stdio, each against a baseline measured in the same run.

1. `textDocument/codeAction` latency on a 10k-line file (target: p50 ≤ 1 ms, p99 ≤ 5 ms);
   baseline: the same client's round trip for a request pygls answers itself (`shutdown` is not
   repeatable, so an unknown-method request that the server rejects at once).
2. Server-added time to the first `mistral/stream` notification, against a bare httpx stream
   from the same fake API with 300 ms time-to-first-byte (target: ≤ 10 ms median).
3. Cold start: a whole server process, launched with Neovim 0.11's capabilities (and our
   plugin's `experimental.mistral` opt-in), until `initialize` is answered, against a
   do-nothing pygls server (target: ≤ +60 ms) and, with `--against COMMIT` (or a checkout's
   folder), against this server at an older commit (`git archive` of it into a temporary
   folder, run with the same interpreter), interleaved in the same run: each round starts
   every server in turn. Before timing, each server's interpreter says which `mistral_lsp` it
   imports, so an editable install can not silently stand in for the older checkout. Each also
   with the CPU time the server had used by then, steadier than the wall clock when other
   work loads the machine.

`neovim_capabilities.json` is what Neovim 0.11.4 sends (`nvim --clean --headless -c 'lua
io.stdout:write(vim.json.encode(vim.lsp.protocol.make_client_capabilities()))' -c 'qa!'`).

Run: `python -m bench.bench_server [--against COMMIT|FOLDER] [--cold-start-only]` (or `make bench`).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from lsprotocol import types
from pygls.lsp.client import LanguageClient
from pygls.protocol import default_converter

from bench.targets import Targets
from mistral_lsp.testing.fake_api import FakeMistralAPI, Reply

KEY = "bench-key-0123456789"
BASELINE_SERVER = '''
from pygls.lsp.server import LanguageServer
LanguageServer("baseline", "0").start_io()
'''


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def row(name: str, values: list[float], baseline: list[float] | None = None) -> str:
    line = f"{name:<48} p50 {pct(values, 50):8.2f} ms  p95 {pct(values, 95):8.2f} ms  p99 {pct(values, 99):8.2f} ms"
    if baseline:
        line += (f"   vs baseline p50 {pct(baseline, 50):7.2f} ms (x{pct(values, 50) / max(pct(baseline, 50), 1e-9):.2f}),"
                 f" p95 {pct(baseline, 95):7.2f} ms")
    return line


def big_python_file(lines: int) -> str:
    out = ["import os", "import sys", ""]
    i = 0
    while len(out) < lines:
        out += [f"def function_{i}(value):", f"    total = value + {i}", "    if total > 10:",
                f"        return helper_{i}(total)", "    return total", "", ""]
        i += 1
    return "\n".join(out[:lines]) + "\n"


NEOVIM_CAPABILITIES = Path(__file__).with_name("neovim_capabilities.json")
# What editors/neovim/lua/mistral/config.lua adds to Neovim's own capabilities.
PLUGIN_OPT_IN = {"mistral": {"streamNotifications": True, "commandsResolveOnCompletion": True}}


def neovim_initialize() -> types.InitializeParams:
    """`initialize` as Neovim 0.11 with our plugin sends it (no workspace folder)."""
    raw = {**json.loads(NEOVIM_CAPABILITIES.read_text()), "experimental": PLUGIN_OPT_IN}
    capabilities = default_converter().structure(raw, types.ClientCapabilities)  # lsprotocol's, as pygls uses it
    return types.InitializeParams(capabilities=capabilities, process_id=os.getpid(),
                                  client_info=types.ClientInfo(name="Neovim", version="0.11.4"))


async def start(env: dict[str, str], *cmd: str, cwd: str | None = None,
                as_neovim: bool = False) -> tuple[LanguageClient, float]:
    client = LanguageClient("bench", "1")
    streamed: list[float] = []
    client.streamed = streamed  # type: ignore[attr-defined]

    @client.feature("mistral/stream")
    def on_stream(params: Any) -> None:
        streamed.append(time.perf_counter())

    @client.feature(types.WORKSPACE_CONFIGURATION)
    def on_configuration(params: types.ConfigurationParams) -> list[Any]:
        return [None for _ in params.items]  # no settings, as Neovim without a `settings` table

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def on_apply(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        return types.ApplyWorkspaceEditResult(applied=True)

    started = time.perf_counter()
    await client.start_io(*cmd, env=env, cwd=cwd)
    # Opted in like our plugins: streamed text, and commands that resolve when the run ends.
    if as_neovim:
        params = neovim_initialize()
    else:
        params = types.InitializeParams(capabilities=types.ClientCapabilities(experimental=PLUGIN_OPT_IN))
    await client.initialize_async(params)
    ready = time.perf_counter() - started
    client.cpu_at_ready = _process_cpu(client)  # type: ignore[attr-defined]
    client.initialized(types.InitializedParams())
    return client, ready


async def stop(client: LanguageClient) -> None:
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()


async def cold_start(env: dict[str, str], runs: int, older: Path | None = None) -> dict[str, list[float]]:
    """Milliseconds to `initialize` answered, by server: ours, the bare pygls one and, if given,
    ours at an older commit (extracted in `older`); each run starts all of them in turn. Also,
    under `<label> cpu`, the CPU time the server process had used when `initialize` was
    answered: on a machine other work loads, it moves far less than the wall clock."""
    import compileall

    import mistral_lsp

    # An installed package has its bytecode compiled by pip; an editable checkout under
    # PYTHONDONTWRITEBYTECODE would compile every module on every start instead.
    compileall.compile_dir(str(Path(mistral_lsp.__file__).parent), quiet=1)
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as handle:
        handle.write(BASELINE_SERVER)
    here = str(Path.cwd())
    servers: list[tuple[str, list[str], dict[str, str], str]] = [
        ("bare pygls", [sys.executable, handle.name], env, here),
        ("ours", [sys.executable, "-m", "mistral_lsp"], env, here),
    ]
    if older is not None:
        compileall.compile_dir(str(older / "mistral_lsp"), quiet=1)
        # Run from its folder: `-m` puts the working directory first on the path.
        servers.append(("older", [sys.executable, "-m", "mistral_lsp"], {**env, "PYTHONPATH": str(older)}, str(older)))
    for label, _, server_env, cwd in servers[1:]:
        print(f"{label}: {imported_package(server_env, cwd)}")
    if older is not None and imported_package(servers[2][2], servers[2][3]) != (older / "mistral_lsp").resolve():
        raise SystemExit(f"the older server would not run {older / 'mistral_lsp'}")
    out: dict[str, list[float]] = {name: [] for label, _, _, _ in servers for name in (label, f"{label} cpu")}
    for _ in range(runs):
        for label, cmd, server_env, cwd in servers:
            client, ready = await start(server_env, *cmd, cwd=cwd, as_neovim=True)
            out[label].append(ready * 1000)
            out[f"{label} cpu"].append(client.cpu_at_ready * 1000)  # type: ignore[attr-defined]
            await stop(client)
    os.unlink(handle.name)
    return out


def imported_package(env: dict[str, str], cwd: str) -> Path:
    """The `mistral_lsp` folder that `python -m mistral_lsp` imports with this env and cwd."""
    code = "import mistral_lsp, pathlib; print(pathlib.Path(mistral_lsp.__file__).resolve().parent)"
    found = subprocess.run([sys.executable, "-c", code], env=env, cwd=cwd, capture_output=True, text=True, check=True)
    return Path(found.stdout.strip())


def _process_cpu(client: LanguageClient) -> float:
    """User and system seconds the client's server process has used so far (Linux; 10 ms steps)."""
    server = client._server  # pygls keeps the subprocess it started here
    if server is None:
        return float("nan")
    fields = Path(f"/proc/{server.pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def extract(commit: str, folder: Path) -> str:
    """`mistral_lsp` as it was at `commit`, into `folder`; the commit's short name. A `commit`
    that is a folder holding `mistral_lsp/` (another checkout) is used as it is, and named by
    its HEAD when it is a git checkout."""
    root = Path(__file__).resolve().parent.parent
    checkout = Path(commit)
    if (checkout / "mistral_lsp").is_dir():  # copied: the checkout itself is left as it is
        shutil.copytree(checkout / "mistral_lsp", folder / "mistral_lsp", ignore=shutil.ignore_patterns("__pycache__"))
        named = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=checkout, capture_output=True, text=True)
        return named.stdout.strip() or str(checkout)
    archive = subprocess.run(["git", "archive", commit, "mistral_lsp"], cwd=root, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return subprocess.run(["git", "rev-parse", "--short", commit], cwd=root, capture_output=True, text=True,
                          check=True).stdout.strip()


async def code_actions(client: LanguageClient, uri: str, runs: int) -> tuple[list[float], list[float]]:
    times, base = [], []
    for i in range(runs):
        line = (i * 37) % 10000
        params = types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=types.Position(line=line, character=4), end=types.Position(line=line, character=4)),
            context=types.CodeActionContext(diagnostics=[]),
        )
        started = time.perf_counter()
        await client.text_document_code_action_async(params)
        times.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        try:
            await client.protocol.send_request_async("bench/unknown", {})
        except Exception:
            pass
        base.append((time.perf_counter() - started) * 1000)
    return times, base


async def first_stream(client: LanguageClient, fake: FakeMistralAPI, uri: str, runs: int) -> tuple[list[float], list[float]]:
    ours, bare = [], []
    async with httpx.AsyncClient() as http:
        for i in range(runs):
            fake.enqueue(Reply(text="An explanation.", delay_before_first_byte=0.3))
            streamed: list[float] = client.streamed  # type: ignore[attr-defined]
            streamed.clear()
            started = time.perf_counter()
            task = asyncio.ensure_future(client.workspace_execute_command_async(types.ExecuteCommandParams(
                command="mistral.explain",
                arguments=[{"uri": uri, "range": {"start": {"line": 100 + i, "character": 4}, "end": {"line": 100 + i, "character": 4}},
                            "showResult": False}])))
            await task
            ours.append((streamed[0] - started) * 1000)

            fake.enqueue(Reply(text="An explanation.", delay_before_first_byte=0.3))
            started = time.perf_counter()
            async with http.stream("POST", fake.base_url + "/chat/completions", headers={"Authorization": f"Bearer {KEY}"},
                                   json={"model": "mistral-medium-3-5", "stream": True,
                                         "messages": [{"role": "user", "content": "x"}]}) as response:
                async for line in response.aiter_lines():
                    if '"content":"' in line.replace(" ", "") and '"content":""' not in line.replace(" ", ""):
                        bare.append((time.perf_counter() - started) * 1000)
                        break
    return ours, bare


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--against", metavar="COMMIT|FOLDER",
                        help="also time cold start of the server at COMMIT (or in another checkout's FOLDER)")
    parser.add_argument("--cold-start-only", action="store_true")
    args = parser.parse_args(argv if argv is not None else sys.argv[1:])
    runs = int(os.environ.get("BENCH_RUNS", "30"))
    targets = Targets("bench_server")
    fake = FakeMistralAPI(api_key=KEY).start()
    env = {**os.environ, "MISTRAL_API_KEY": KEY, "MISTRAL_BASE_URL": fake.base_url}
    try:
        if not args.cold_start_only:
            await steady(env, fake, runs, targets)
        with tempfile.TemporaryDirectory() as older_folder:
            older, commit = None, ""
            if args.against:
                commit = extract(args.against, Path(older_folder))
                older = Path(older_folder)
            times = await cold_start(env, max(5, runs // 3), older)
    finally:
        fake.stop()
    cold, base = times["ours"], times["bare pygls"]
    print(row("cold start to initialize answered", cold, base))
    added = statistics.median(cold) - statistics.median(base)
    print(f"{'  added over a bare pygls server, median':<48} {added:8.2f} ms")
    targets.at_most("cold start added over a bare pygls server, median", added, 60, " ms")
    cpu, base_cpu = times["ours cpu"], times["bare pygls cpu"]
    print(row("  CPU used by then", cpu, base_cpu))
    print(f"{'  CPU added over a bare pygls server, median':<48} {statistics.median(cpu) - statistics.median(base_cpu):8.2f} ms")
    if older is not None:
        print(row(f"cold start, this server at {commit}", times["older"], base))
        print(f"{'  ' + commit + ' added over a bare pygls server, median':<48} "
              f"{statistics.median(times['older']) - statistics.median(base):8.2f} ms")
        print(f"{'  this commit minus ' + commit + ', median':<48} "
              f"{statistics.median(cold) - statistics.median(times['older']):8.2f} ms")
        print(row(f"  CPU used by then, at {commit}", times["older cpu"], base_cpu))
        print(f"{'  CPU, this commit minus ' + commit + ', median':<48} "
              f"{statistics.median(cpu) - statistics.median(times['older cpu']):8.2f} ms")
    targets.done()


async def steady(env: dict[str, str], fake: FakeMistralAPI, runs: int, targets: Targets) -> None:
    """codeAction latency and the first streamed token, on a running server."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.py"
        text = big_python_file(10_000)
        path.write_text(text)
        uri = path.as_uri()
        client, _ = await start(env, sys.executable, "-m", "mistral_lsp")
        client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)))
        actions, base_rt = await code_actions(client, uri, runs * 10)
        print(row("codeAction, 10k-line file", actions, base_rt))
        targets.at_most("codeAction on a 10k-line file, p50", pct(actions, 50), 1, " ms")
        targets.at_most("codeAction on a 10k-line file, p99", pct(actions, 99), 5, " ms")
        ours, bare = await first_stream(client, fake, uri, max(5, runs // 3))
        print(row("first mistral/stream (TTFB 300 ms)", ours, bare))
        added = statistics.median(ours) - statistics.median(bare)
        print(f"{'  server-added time to first token, median':<48} {added:8.2f} ms")
        targets.at_most("server-added time to the first streamed token, median", added, 10, " ms")
        await stop(client)

if __name__ == "__main__":
    asyncio.run(main())
