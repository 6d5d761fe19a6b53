"""Review on save: what an incremental review costs against reviewing the whole file.

Through the real server over stdio and the loopback fake API, on a 2,000-line Python file:

1. prompt tokens of the request a save sends after one function changed, against the request
   `mistral.review` sends for the whole file (target: ≤ 10 %) — both as the fake recorded them,
   counted with `mistral_lsp.prompting.tokens.estimate_tokens`;
2. the server's time from `didSave` to `publishDiagnostics` for a save with nothing changed
   (hashing every definition, no request) — p50/p95, with a same-run baseline: the round trip
   of a request the server answers at once.

Run: `python -m bench.bench_review` (or `make bench`). `BENCH_RUNS` sets the repetitions.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient

from bench.targets import Targets
from mistral_lsp.prompting.tokens import estimate_tokens
from mistral_lsp.testing.fake_api import FakeMistralAPI, Reply

KEY = "bench-key-0123456789"
TARGET_RATIO = 0.10


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def realistic_python_file(lines: int) -> str:
    """Classes with methods and top-level functions with docstrings, about `lines` long."""
    out = ['"""Inventory management: stock, orders and pricing."""', "", "import math",
           "from dataclasses import dataclass", "", "TAX_RATE = 0.2", ""]
    i = 0
    while len(out) < lines - 20:
        out += ["", "@dataclass", f"class Warehouse{i}:", f'    """Warehouse number {i} and its stock."""', "",
                "    name: str", "    capacity: int = 100", ""]
        for m in range(4):
            out += [f"    def restock_{m}(self, item: str, quantity: int) -> int:",
                    f'        """Add `quantity` of `item`; returns the new level (rule {i}.{m})."""',
                    "        if quantity <= 0:",
                    "            raise ValueError('quantity must be positive, got %d' % quantity)",
                    f"        level = self.levels.get(item, 0) + quantity * {m + 1}",
                    "        if level > self.capacity:",
                    "            level = self.capacity",
                    "        self.levels[item] = level",
                    "        return level", ""]
        out += ["", f"def price_with_tax_{i}(net: float, discount: float = 0.0) -> float:",
                f'    """Gross price of an item of catalogue {i}."""',
                "    discounted = net * (1 - discount)",
                "    return math.ceil(discounted * (1 + TAX_RATE) * 100) / 100", ""]
        i += 1
    return "\n".join(out) + "\n"


def prompt_tokens(request: dict[str, Any]) -> int:
    text = "\n".join(
        m["content"] if isinstance(m.get("content"), str) else json.dumps(m.get("content"))
        for m in request["messages"]
    )
    return estimate_tokens(text)


class Bench:
    def __init__(self, client: LanguageClient, fake: FakeMistralAPI) -> None:
        self.client = client
        self.fake = fake
        self.published = asyncio.Event()

        @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_publish(params: types.PublishDiagnosticsParams) -> None:
            self.published.set()

        @client.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)
        def on_create(params: types.WorkDoneProgressCreateParams) -> None:
            return None

        @client.feature(types.PROGRESS)
        def on_progress(params: types.ProgressParams) -> None:
            return None

        @client.feature("mistral/stream")
        def on_stream(params: Any) -> None:
            return None

        @client.feature(types.WINDOW_SHOW_MESSAGE)
        def on_message(params: types.ShowMessageParams) -> None:
            print(f"  server says: {params.message}")

    def chats(self) -> list[dict[str, Any]]:
        return [r.json for r in self.fake.requests if r.path.endswith("/chat/completions")]

    async def save(self, uri: str) -> float:
        """didSave → publishDiagnostics, in ms."""
        self.published.clear()
        started = time.perf_counter()
        self.client.text_document_did_save(
            types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
        await asyncio.wait_for(self.published.wait(), 60)
        return (time.perf_counter() - started) * 1000


async def main() -> None:
    runs = int(os.environ.get("BENCH_RUNS", "30"))
    fake = FakeMistralAPI(api_key=KEY, default_reply=Reply(text='{"findings": []}')).start()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        workspace = root / "workspace"
        workspace.mkdir()
        env = {**os.environ, "MISTRAL_API_KEY": KEY, "MISTRAL_BASE_URL": fake.base_url,
               "MISTRAL_LSP_CACHE_DIR": str(root / "cache")}
        text = realistic_python_file(2000)
        path = workspace / "inventory.py"
        path.write_text(text)
        uri = path.as_uri()
        client = LanguageClient("bench", "1")
        bench = Bench(client, fake)
        try:
            await client.start_io(sys.executable, "-m", "mistral_lsp", env=env)
            await client.initialize_async(types.InitializeParams(
                capabilities=types.ClientCapabilities(window=types.WindowClientCapabilities(work_done_progress=True)),
                root_uri=workspace.as_uri(),
                initialization_options={"reviewOnSave": True, "reviewDebounceMs": 0}))
            client.initialized(types.InitializedParams())
            client.text_document_did_open(types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)))

            await bench.save(uri)  # first save: every definition is new
            first = bench.chats()[-1]

            idle, base = [], []
            for _ in range(runs):
                idle.append(await bench.save(uri))
                started = time.perf_counter()
                await client.workspace_execute_command_async(
                    types.ExecuteCommandParams(command="mistral.cancel", arguments=[{"id": "none"}]))
                base.append((time.perf_counter() - started) * 1000)
            assert len(bench.chats()) == 1, "a save without changes sent a request"

            lines = text.split("\n")
            line = lines.index("    discounted = net * (1 - discount)", len(lines) // 2)
            client.text_document_did_change(types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
                content_changes=[types.TextDocumentContentChangePartial(
                    range=types.Range(start=types.Position(line=line, character=0),
                                      end=types.Position(line=line, character=len(lines[line]))),
                    text="    discounted = net * (1 - min(discount, 0.9))")]))
            changed_ms = await bench.save(uri)
            incremental = bench.chats()[-1]

            before = len(bench.chats())
            await client.workspace_execute_command_async(types.ExecuteCommandParams(
                command="mistral.review", arguments=[{"uri": uri, "range": None}]))
            # A plain client's command answers at once (`RunStarted`) and the review runs on: wait
            # for its request, or this would measure the save's request against itself.
            while len(bench.chats()) == before:
                await fake.wait_for_requests_async(len(fake.requests) + 1, timeout=60)
            whole = bench.chats()[-1]
            await client.shutdown_async(None)
            client.exit(None)
        finally:
            await client.stop()
            fake.stop()

    n_lines = len(text.split("\n")) - 1
    inc, full, everything = prompt_tokens(incremental), prompt_tokens(whole), prompt_tokens(first)
    ratio = inc / full
    print(f"file: {n_lines} lines, {estimate_tokens(text)} tokens (estimated)")
    print(f"{'whole-file review (mistral.review), prompt':<52} {full:7d} tokens")
    print(f"{'first save (every definition new), prompt':<52} {everything:7d} tokens  ({everything / full:6.1%})")
    print(f"{'save after a one-function change, prompt':<52} {inc:7d} tokens  ({ratio:6.1%})"
          f"  target <= {TARGET_RATIO:.0%}: {'OK' if ratio <= TARGET_RATIO else 'MISSED'}")
    print(f"{'save with nothing changed: didSave -> diagnostics':<52} p50 {pct(idle, 50):7.2f} ms  "
          f"p95 {pct(idle, 95):7.2f} ms   vs baseline round trip p50 {pct(base, 50):6.2f} ms")
    print(f"{'save after a change, through the fake API':<52} {changed_ms:7.1f} ms")
    targets = Targets("bench_review")
    targets.at_most("review-on-save prompt after a one-function change / whole-file review", ratio, TARGET_RATIO)
    targets.done()


if __name__ == "__main__":
    asyncio.run(main())
