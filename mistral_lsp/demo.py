"""`mistral-lsp demo`: review → fix → generate tests on a bundled sample, as an editor would.

It starts the real server over stdio, opens the sample file, and drives the same commands an
editor's code actions run, printing the streamed model text as it arrives, then the findings,
the applied diff and the new test file. With `MISTRAL_API_KEY` it uses the real API; without
it (or with `--offline`) the bundled loopback fake answers with canned replies.
"""

from __future__ import annotations

import asyncio
import difflib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient

from mistral_lsp.protocol import (
    EXPERIMENTAL_CAPABILITY,
    RESOLVE_ON_COMPLETION_CAPABILITY,
    STREAM_NOTIFICATIONS_CAPABILITY,
)
from mistral_lsp.testing.fake_api import FakeMistralAPI, Reply

SAMPLE = '''\
"""A tiny inventory module (the demo's sample: it has a bug)."""

from dataclasses import dataclass


@dataclass
class Item:
    name: str
    price: float
    quantity: int


class Inventory:
    def __init__(self) -> None:
        self.items: list[Item] = []

    def add(self, item: Item) -> None:
        self.items.append(item)

    def total_value(self, discount_percent: float = 0) -> float:
        total = 0
        for item in self.items:
            total += item.price
        return total - total * discount_percent / 10
'''

FIXED_METHOD = '''\
def total_value(self, discount_percent: float = 0) -> float:
    total = 0.0
    for item in self.items:
        total += item.price * item.quantity
    return total - total * discount_percent / 100'''

CANNED_REVIEW = {
    "findings": [
        {"startLine": 23, "endLine": 23, "severity": "error", "category": "bug",
         "title": "Quantity ignored", "message": "Each item's price is added once, whatever its quantity.",
         "snippet": "total += item.price", "replacement": "total += item.price * item.quantity"},
        {"startLine": 24, "endLine": 24, "severity": "error", "category": "bug",
         "title": "Discount divided by 10", "message": "A percentage must be divided by 100.",
         "snippet": "return total - total * discount_percent / 10",
         "replacement": "return total - total * discount_percent / 100"},
    ]
}

CANNED_TESTS = '''\
from inventory import Inventory, Item


def test_total_value_counts_quantity():
    inventory = Inventory()
    inventory.add(Item("pen", 2.0, 3))
    assert inventory.total_value() == 6.0


def test_total_value_applies_percent_discount():
    inventory = Inventory()
    inventory.add(Item("pen", 10.0, 1))
    assert inventory.total_value(discount_percent=20) == 8.0'''


def _canned(request: Any) -> Any:
    """The offline fake's answer for each action, told apart by the prompt's output contract."""
    if isinstance(request, dict) and request.get("response_format"):
        return Reply(text=json.dumps(CANNED_REVIEW), thinking="Checking the arithmetic in total_value…",
                     delay_per_chunk=0.05)
    if isinstance(request, dict) and not request.get("prediction"):
        # Fix sends the target as a predicted output; generate-tests does not.
        return Reply(text=f"```python\n{CANNED_TESTS}\n```", delay_per_chunk=0.03)
    return Reply(text=f"The quantity was ignored and the percentage divided by 10.\n\n```python\n{FIXED_METHOD}\n```",
                 thinking="The loop ignores quantity…", delay_per_chunk=0.03)


class _Printer:
    def __init__(self) -> None:
        self.streaming = False

    def delta(self, text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()
        self.streaming = True

    def heading(self, text: str) -> None:
        if self.streaming:
            print()
            self.streaming = False
        print(f"\n\033[1m== {text}\033[0m")


async def _demo(workdir: Path, offline: bool) -> int:
    out = _Printer()
    fake = None
    env = dict(os.environ)
    if offline:
        fake = FakeMistralAPI(api_key="demo-offline-key", responder=_canned).start()
        env.update(MISTRAL_API_KEY="demo-offline-key", MISTRAL_BASE_URL=fake.base_url)
        print("OFFLINE demo: the bundled fake Mistral API answers with canned replies "
              "(set MISTRAL_API_KEY to use the real API).")
    else:
        print(f"Using the Mistral API at {env.get('MISTRAL_BASE_URL', 'https://api.mistral.ai/v1')}.")
    source = workdir / "inventory.py"
    (workdir / "tests").mkdir(parents=True, exist_ok=True)
    (workdir / "pyproject.toml").write_text("[project]\nname = 'inventory'\n", encoding="utf-8")
    source.write_text(SAMPLE, encoding="utf-8")
    uri = source.as_uri()
    state: dict[str, Any] = {"text": SAMPLE, "version": 1, "diagnostics": []}

    client = LanguageClient("mistral-lsp-demo", "1")

    @client.feature("mistral/stream")
    def on_stream(params: Any) -> None:
        delta = getattr(params, "delta", None)
        if delta:
            out.delta(delta)

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def on_apply(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        return _apply(client, params.edit, uri, state)

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_diagnostics(params: types.PublishDiagnosticsParams) -> None:
        if params.uri == uri:
            state["diagnostics"] = params.diagnostics

    @client.feature(types.WINDOW_SHOW_MESSAGE)
    def on_message(params: types.ShowMessageParams) -> None:
        out.heading(f"server says: {params.message}")

    await client.start_io(sys.executable, "-m", "mistral_lsp", env=env)
    try:
        await client.initialize_async(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(
                    workspace=types.WorkspaceClientCapabilities(
                        apply_edit=True,
                        workspace_edit=types.WorkspaceEditClientCapabilities(
                            document_changes=True, resource_operations=[types.ResourceOperationKind.Create]
                        ),
                    ),
                    # Like our plugins: the demo waits for each command's result.
                    experimental={EXPERIMENTAL_CAPABILITY: {
                        STREAM_NOTIFICATIONS_CAPABILITY: True, RESOLVE_ON_COMPLETION_CAPABILITY: True,
                    }},
                ),
                root_uri=workdir.as_uri(),
                workspace_folders=[types.WorkspaceFolder(uri=workdir.as_uri(), name="demo")],
            )
        )
        client.initialized(types.InitializedParams())
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=SAMPLE)
            )
        )
        method_line = SAMPLE.splitlines().index("    def total_value(self, discount_percent: float = 0) -> float:")
        cursor = types.Range(start=types.Position(line=method_line + 2, character=8),
                             end=types.Position(line=method_line + 2, character=8))

        out.heading(f"Review of {source.name} (streamed)")
        review = await _run(client, "mistral.review", {"uri": uri, "range": None})
        out.heading(f"Findings ({review.get('diagnostics', 0)})")
        for finding in review.get("findings", []):
            print(f"  {source.name}:{finding['startLine'] + 1}: {finding['severity']}: {finding['title']} — {finding['message']}")

        out.heading("Fix of total_value (streamed)")
        before = state["text"]
        fix = await _run(client, "mistral.fix", {"uri": uri, "range": _range_json(cursor)})
        out.heading("Applied diff" if fix.get("applied") else f"Not applied: {fix.get('message')}")
        sys.stdout.writelines(difflib.unified_diff(before.splitlines(True), state["text"].splitlines(True),
                                                   "a/inventory.py", "b/inventory.py"))
        source.write_text(state["text"], encoding="utf-8")

        out.heading("Generate tests for total_value (streamed)")
        tests = await _run(client, "mistral.generateTests", {"uri": uri, "range": _range_json(cursor)})
        test_file = Path(str(tests.get("testUri", "")).removeprefix("file://"))
        out.heading(f"Test file {test_file.relative_to(workdir) if test_file.exists() else test_file}")
        if test_file.exists():
            print(test_file.read_text(encoding="utf-8"))
        usage = [r.get("usage") for r in (review, fix, tests) if r.get("usage")]
        if usage:
            out.heading("Usage")
            for name, figures in zip(("review", "fix", "tests"), usage, strict=False):
                print(f"  {name}: {figures}")
        if os.environ.get("MISTRAL_LSP_DEMO_KEEP") == "1":
            print(f"\nThe sample project is in {workdir}")
        await client.shutdown_async(None)
        client.exit(None)
        return 0
    finally:
        await client.stop()
        if fake is not None:
            fake.stop()


async def _run(client: LanguageClient, command: str, argument: dict[str, Any]) -> dict[str, Any]:
    result = await client.workspace_execute_command_async(types.ExecuteCommandParams(command=command, arguments=[argument]))
    return dict(result) if isinstance(result, dict) else json.loads(json.dumps(result, default=lambda o: o.__dict__))


def _range_json(range_: types.Range) -> dict[str, Any]:
    return {"start": {"line": range_.start.line, "character": range_.start.character},
            "end": {"line": range_.end.line, "character": range_.end.character}}


def _apply(client: LanguageClient, edit: types.WorkspaceEdit, uri: str, state: dict[str, Any]) -> types.ApplyWorkspaceEditResult:
    for change in edit.document_changes or []:
        if isinstance(change, types.CreateFile):
            path = Path(change.uri.removeprefix("file://"))
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch(exist_ok=True)
        elif isinstance(change, types.TextDocumentEdit):
            target = change.text_document.uri
            if target == uri:
                if change.text_document.version not in (None, state["version"]):
                    return types.ApplyWorkspaceEditResult(applied=False, failure_reason="version mismatch")
                state["text"] = _apply_edits(state["text"], change.edits)
                state["version"] += 1
                client.text_document_did_change(types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=state["version"]),
                    content_changes=[types.TextDocumentContentChangeWholeDocument(text=state["text"])]))
            else:
                path = Path(target.removeprefix("file://"))
                old = path.read_text(encoding="utf-8") if path.exists() else ""
                path.write_text(_apply_edits(old, change.edits), encoding="utf-8")
    return types.ApplyWorkspaceEditResult(applied=True)


def _apply_edits(text: str, edits: Any) -> str:
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(p: types.Position) -> int:
        # The demo's text is ASCII, so UTF-16 units are characters.
        return len(text) if p.line >= len(lines) else starts[p.line] + min(p.character, len(lines[p.line].rstrip("\r\n")))

    for e in sorted(edits, key=lambda e: offset(e.range.start), reverse=True):
        text = text[: offset(e.range.start)] + e.new_text + text[offset(e.range.end):]
    return text


def run_demo(offline: bool = False, workdir: str | None = None) -> int:
    use_fake = offline or not os.environ.get("MISTRAL_API_KEY")
    folder = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="mistral-lsp-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        return asyncio.run(_demo(folder, use_fake))
    except Exception as exc:
        print(f"\ndemo failed: {exc}", file=sys.stderr)
        return 1
    finally:
        if not workdir and os.environ.get("MISTRAL_LSP_DEMO_KEEP") != "1":
            shutil.rmtree(folder, ignore_errors=True)
