"""One run's tools: their schemas, and the calls of one run with their budgets.

`TOOL_SCHEMAS` is sent identically in every request that offers tools (so it stays inside the
cached prompt prefix). `ToolBox.call` answers one tool call from the model with the text of the
`role: "tool"` message and a human line for the user; it never raises: an unknown tool,
arguments that are not a JSON object, wrong types, refused paths and huge outputs all become a
short error the model reads, and the run goes on. Results are cut to `max_result_tokens` and
the run stops offering tools once `max_run_tokens` of results were given (`exhausted`). Every
result passes through the log redactor, so the API key never reaches the model.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import Sequence
from typing import Any

from mistral_lsp.logs import redactor
from mistral_lsp.lookup.guard import ToolError
from mistral_lsp.lookup.tools import TOOLS, Found, Workspace

log = logging.getLogger(__name__)

CHARS_PER_TOKEN = 3.5
MAX_ARGUMENT_CHARS = 4000


def _tool(name: str, description: str, properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "function", "function": {
        "name": name, "description": description,
        "parameters": {"type": "object", "properties": properties, "required": required},
    }}


_NAME = {"type": "string"}
_PATH = {"type": "string"}
_LINE = {"type": "integer"}
TOOL_SCHEMAS: list[dict[str, Any]] = [
    _tool("definition", "Source of a definition (path:line).", {"name": _NAME, "path": _PATH}, ["name"]),
    _tool("references", "Lines using a name; same package first.", {"name": _NAME, "path": _PATH}, ["name"]),
    _tool("read", "Lines start-end (max 200) of a workspace-relative path.", {"path": _PATH, "start": _LINE, "end": _LINE},
          ["path", "start", "end"]),
    _tool("search", "Literal text in workspace files.", {"text": _NAME}, ["text"]),
]
TOOL_NAMES = tuple(TOOLS)


@dataclasses.dataclass(frozen=True)
class Lookup:
    """One accounted tool call: the tool message's `content`, the `label` the result's context
    lists, and the `line` progress and the stream show while the run goes on."""

    content: str
    label: str
    line: str


def _tokens(text: str) -> int:
    return int(len(text) / CHARS_PER_TOKEN) + 1


class ToolBox:
    """The tools of one run (see the module docstring)."""

    def __init__(
        self, workspace: Workspace, *, max_rounds: int = 3, max_result_tokens: int = 2000,
        max_run_tokens: int = 8000, secrets: Sequence[str | None] = (),
    ) -> None:
        self.workspace = workspace
        self.max_rounds = max_rounds
        self.max_result_tokens = max_result_tokens
        self.max_run_tokens = max_run_tokens
        self.used_tokens = 0
        self.lookups: list[str] = []
        self._secrets = tuple(secrets)
        self.schemas = TOOL_SCHEMAS

    @property
    def exhausted(self) -> bool:
        return self.used_tokens >= self.max_run_tokens

    def answer(self, name: str | None, arguments: str | None) -> Found:
        """The answer to one call (thread-safe: parallel calls run at once); never raises."""
        started = time.perf_counter()
        try:
            found = self._answer(name, arguments)
        except ToolError as exc:
            found = Found(f"error: {exc}", _shown(name), _first_clause(str(exc)))
        except Exception:  # a bug of ours must not end the run: the model is told, the log has it
            log.exception("tool %s failed", _shown(name))
            found = Found("error: the tool failed; answer without it", _shown(name), "failed")
        log.info("tool %s: %d characters in %.1f ms", _shown(name), len(found.text),
                 1000 * (time.perf_counter() - started))
        return found

    def account(self, name: str | None, found: Found) -> Lookup:
        """`found` cut to the budgets and redacted, recorded among the run's lookups (call in
        the calls' order, so budgets apply the same way every time)."""
        text = self._budgeted(redactor.redact(found.text, self._secrets))
        subject = redactor.redact(found.subject, self._secrets)
        where = redactor.redact(found.where, self._secrets)
        lookup = Lookup(text, f"{_shown(name)} {subject} — {where}", f"looking up `{subject}` — {where}")
        self.lookups.append(lookup.label)
        return lookup

    def _answer(self, name: str | None, arguments: str | None) -> Found:
        tool = TOOLS.get(name or "")
        if tool is None:
            raise ToolError(f"unknown tool {_shown(name)!r}; the tools are {', '.join(TOOL_NAMES)}")
        if arguments is not None and len(arguments) > MAX_ARGUMENT_CHARS:
            raise ToolError("arguments are too long")
        try:
            decoded = json.loads(arguments or "{}")
        except ValueError:
            raise ToolError("arguments are not valid JSON; send a JSON object") from None
        if not isinstance(decoded, dict):
            raise ToolError("arguments must be a JSON object")
        return tool(self.workspace, decoded)

    def _budgeted(self, text: str) -> str:
        left = min(self.max_result_tokens, self.max_run_tokens - self.used_tokens)
        if left <= 0:
            self.used_tokens = self.max_run_tokens
            return "error: the lookup budget of this run is used up; answer with what you have"
        if _tokens(text) > left:
            note = f"\n… cut at {left} tokens; ask for less (a smaller range or a precise name)"
            text = text[: max(0, int(left * CHARS_PER_TOKEN) - len(note))] + note
        self.used_tokens += _tokens(text)
        return text


def _first_clause(message: str) -> str:
    return message if len(message) <= 80 else message[:79] + "…"


def _shown(name: str | None) -> str:
    if not name:
        return "(no name)"
    return name if len(name) <= 40 else name[:39] + "…"
