"""Where a markdown answer (explain, ask) goes for clients that do not render `mistral/stream`.

It is written to a markdown file in the cache directory and opened with `window/showDocument`
when the client supports it; else a short `window/showMessage` names the file and shows its
first lines, at a level the client displays, and the whole of it is logged with
`window/logMessage`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs
from lsprotocol import types

if TYPE_CHECKING:
    from mistral_lsp.actions.editor import Editor
    from mistral_lsp.protocol import ActionResult
    from mistral_lsp.syntax.document import Document

# How much of an answer a message shows when the client cannot open the file.
_PREVIEW_LINES = 4
_PREVIEW_WIDTH = 100


async def present(editor: Editor, doc: Document, subject: str, markdown: str, result: ActionResult) -> None:
    """Make the explanation visible: open its markdown file where the client can, else a short
    message naming the file, with the first lines (an echo area or a status line shows little)."""
    path = explanation_path(doc.uri, subject)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"# {subject}\n\n{markdown.strip()}\n", encoding="utf-8")
    uri = path.as_uri()
    result.explanation_uri = uri
    if editor.can_show_document() and await editor.show_document(types.ShowDocumentParams(uri=uri, take_focus=False)):
        return
    # The client's log keeps the whole explanation; the message names the file and starts it.
    editor.log_message(f"# {subject}\n\n{markdown.strip()}", types.MessageType.Info)
    editor.show_notice(f"Mistral: explanation of {subject} in {path}\n{first_lines(markdown)}")


def first_lines(markdown: str, count: int = _PREVIEW_LINES, width: int = _PREVIEW_WIDTH) -> str:
    """The first non-empty lines of the answer, each cut to `width` characters."""
    lines = [line.strip() for line in markdown.strip().splitlines() if line.strip()]
    shown = [line if len(line) <= width else line[: width - 1] + "…" for line in lines[:count]]
    if len(lines) > count:
        shown.append("…")
    return "\n".join(shown)


def explanation_path(uri: str, subject: str) -> Path:
    stem = re.sub(r"[^\w.-]+", "_", f"{Path(uri).stem}-{subject}")[:80]
    return Path(platformdirs.user_cache_dir("mistral-lsp")) / "explanations" / f"{stem}.md"
