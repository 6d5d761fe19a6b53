"""Answering `initialize` loads only what it needs: not the syntax layer, not the review findings
(docs/architecture.md "Cold start"; the time it takes is measured by bench/bench_server.py)."""

from __future__ import annotations

import json
import subprocess
import sys

# A fresh interpreter: the server, as `mistral-lsp` builds it, answers `initialize` with
# Neovim's client name and our plugins' opt-in; then the modules it loaded are listed.
_PROGRAM = """
import json, sys
from mistral_lsp.lsp.features import create_server

server = create_server()
sent = []

class Wire:
    def write(self, data): sent.append(json.loads(data))
    def close(self): pass

server.protocol.set_writer(Wire(), include_headers=False)
body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "processId": None, "rootUri": None, "clientInfo": {"name": "Neovim"},
    "capabilities": {"experimental": {"mistral": {"streamNotifications": True,
                                                  "commandsResolveOnCompletion": True}}}}})
server.protocol.handle_message(json.loads(body, object_hook=server.protocol.structure_message))
print(json.dumps({"answer": sent, "modules": sorted(sys.modules)}))
"""


def test_initialize_is_answered_without_the_syntax_layer() -> None:
    out = subprocess.run([sys.executable, "-c", _PROGRAM], capture_output=True, text=True, check=True, timeout=60)
    seen = json.loads(out.stdout.splitlines()[-1])
    (answer,) = seen["answer"]
    assert answer["id"] == 1 and "codeActionProvider" in answer["result"]["capabilities"]
    loaded = [m for m in seen["modules"] if m.startswith(("mistral_lsp.syntax", "mistral_lsp.review", "tree_sitter"))]
    assert loaded == []
