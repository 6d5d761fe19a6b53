"""Property: after any sequence of edits, saves, creations and deletions — applied the way the
LSP notifications apply them (`document_edited`, `file_event`) — the workspace index equals a
fresh build of the same files."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lsprotocol import types

from mistral_lsp.syntax import DocumentStore
from mistral_lsp.syntax.workspace import WorkspaceIndex, document_edited, file_event

PROJECT = Path(__file__).resolve().parent.parent / "fixtures" / "workspace" / "python"
SNIPPETS = [
    "def added(x):\n    return x\n",
    "LIMIT = 10\n",
    "class Thing:\n    size = 1\n",
    "from .pricing import rates\n",
    "a, b = 1, 2\n",
    "    broken(\n",
    "\n",
    "import os\n",
]

edit = st.tuples(
    st.sampled_from(["edit", "save", "close", "create", "delete"]),
    st.integers(min_value=0, max_value=50),  # which file (modulo the count)
    st.integers(min_value=0, max_value=400),  # where (modulo the length)
    st.integers(min_value=0, max_value=30),  # how much to delete
    st.sampled_from(SNIPPETS),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(edit, min_size=1, max_size=12))
def test_the_index_after_notifications_equals_a_fresh_build(steps: list[tuple[str, int, int, int, str]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "python"
        shutil.copytree(PROJECT, root)
        index = WorkspaceIndex([root])
        index.build()
        store = DocumentStore()
        created = 0
        for action, which, where, length, snippet in steps:
            files = sorted(p for p in root.rglob("*.py"))
            if action == "create":
                created += 1
                path = root / "src" / "shop" / f"new_{created}.py"
                path.write_text(snippet)
                file_event(index, path.as_posix(), deleted=False)
                continue
            if not files:
                continue
            path = files[which % len(files)]
            uri = path.as_uri()
            if action == "delete":
                store.close(uri)
                path.unlink()
                file_event(index, path.as_posix(), deleted=True)
                continue
            doc = store.get(uri) or store.open(uri, path.read_text(), 1, "python")
            if action == "edit":
                offset = where % (len(doc.text) + 1)
                start = doc.position_at(offset)
                end = doc.position_at(min(len(doc.text), offset + length))
                store.change(uri, [types.TextDocumentContentChangePartial(range=types.Range(start, end), text=snippet)],
                             (doc.version or 0) + 1)
                document_edited(index, path.as_posix(), doc)
            elif action == "save":
                path.write_text(doc.text)
                document_edited(index, path.as_posix(), doc)
            elif action == "close":
                # Closed without saving: the disk's text again.
                store.close(uri)
                file_event(index, path.as_posix(), deleted=False)
        # What the editor holds reaches the disk, so the fresh build sees the same text.
        for path in root.rglob("*.py"):
            doc = store.get(path.as_uri())
            if doc is not None:
                path.write_text(doc.text)
        fresh = WorkspaceIndex([root])
        fresh.build()
        assert index.snapshot() == fresh.snapshot()
