"""Tolerant parsers for what the model answers: one fenced code block, or review JSON.

Models wrap answers in prose, forget the closing fence, send no fence at all, or put JSON in a
fence. Code is taken only from a closed fenced block (anything else would write prose or half a
function into the user's file); review JSON is read tolerantly, since it is shown, not applied.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})[ \t]*([\w+#.-]*)[^\n]*$", re.MULTILINE)


def _fenced_blocks(text: str) -> tuple[list[str], bool]:
    """The closed fenced blocks of `text`, and whether a fence was opened and never closed."""
    blocks: list[str] = []
    position = 0
    while True:
        opening = _FENCE.search(text, position)
        if opening is None:
            return blocks, False
        fence = opening.group(1)
        body_start = opening.end() + 1
        closing = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$", re.MULTILINE)
        end_match = closing.search(text, body_start)
        if end_match is None:
            return blocks, True
        blocks.append(text[body_start : end_match.start()].rstrip("\n"))
        position = end_match.end()


# A header line naming the definition the next fenced block replaces: `path/to/file.py :: name`,
# tolerating the markdown models wrap it in (backticks, bold, a heading, a list bullet).
_HEADER = re.compile(r"^[ \t]*(?:[-*#>]+[ \t]*)*[`*_]*([^\s`*:]+)[ \t]*::[ \t]*([\w.$]+)(?:\(\))?[`*_]*:?[ \t]*$")


@dataclasses.dataclass(frozen=True)
class LabelledBlock:
    """A fenced block with the header line before it: the definition `name` in `path`."""

    path: str
    name: str
    code: str

    @property
    def label(self) -> str:
        return f"{self.path} :: {self.name}"


def fix_blocks(reply: str) -> tuple[str | None, list[LabelledBlock]]:
    """A fix answer's blocks: the target's (the largest block without a header), and the blocks
    for other definitions, each after a header line `path :: name` (at most one blank line between)."""
    text = reply.replace("\r\n", "\n")
    unlabelled: list[str] = []
    labelled: list[LabelledBlock] = []
    for header, code in _blocks_with_headers(text):
        if header is None:
            unlabelled.append(code)
        else:
            labelled.append(LabelledBlock(header[0], header[1], code))
    target = max(unlabelled, key=len, default=None)
    return (target if target is not None and target.strip() else None), labelled


def _blocks_with_headers(text: str) -> list[tuple[tuple[str, str] | None, str]]:
    out: list[tuple[tuple[str, str] | None, str]] = []
    position = 0
    while (opening := _FENCE.search(text, position)) is not None:
        fence = opening.group(1)
        body_start = opening.end() + 1
        closing = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$", re.MULTILINE)
        end_match = closing.search(text, body_start)
        if end_match is None:
            break
        out.append((_header_before(text[position:opening.start()]), text[body_start:end_match.start()].rstrip("\n")))
        position = end_match.end()
    return out


def _header_before(prose: str) -> tuple[str, str] | None:
    lines = prose.rstrip("\n").split("\n")
    for line in reversed(lines[-2:]):
        match = _HEADER.match(line)
        if match:
            return match.group(1), match.group(2)
        if line.strip():
            return None
    return None


def extract_code_block(reply: str) -> str | None:
    """The code of the answer: its largest closed fenced block, or None.

    An unclosed fence (a cut answer) and a reply with no fence (prose) give None: code that
    replaces the user's must be exactly what the model delimited, never a guess.
    """
    blocks, _unclosed = _fenced_blocks(reply.replace("\r\n", "\n"))
    best = max(blocks, key=len, default="")
    return best if best.strip() else None


def missing_code_reason(reply: str) -> str:
    """Why `extract_code_block(reply)` found nothing: "empty", "unclosed" or "no_fence"."""
    text = reply.replace("\r\n", "\n")
    if not text.strip():
        return "empty"
    blocks, unclosed = _fenced_blocks(text)
    if unclosed:
        return "unclosed"
    return "empty" if blocks else "no_fence"


_EXPLANATION_MAX = 200


def explanation_of(reply: str) -> str | None:
    """The model's one-line explanation of a fix: the first sentence of the prose outside the
    fenced blocks (before them, else after), on one line. None when the reply is only code."""
    text = reply.replace("\r\n", "\n")
    if _FENCE.search(text) is None:
        return None
    prose: list[str] = []
    inside: str | None = None
    for line in text.split("\n"):
        fence = _FENCE.match(line)
        if fence is not None:
            inside = None if inside is not None and fence.group(1)[0] == inside else (inside or fence.group(1)[0])
            continue
        if inside is None and line.strip():
            prose.append(line.strip())
    if not prose:
        return None
    joined = " ".join(prose)
    sentence = re.split(r"(?<=[.!?])\s", joined, maxsplit=1)[0].strip().rstrip(":").strip()
    if not sentence:
        return None
    return sentence if len(sentence) <= _EXPLANATION_MAX else sentence[: _EXPLANATION_MAX - 1].rstrip() + "…"


def parse_json_object(reply: str) -> dict[str, Any] | None:
    """The first JSON object in the reply, from a bare answer, a fenced one, or one inside prose."""
    text = reply.strip()
    candidates = [text]
    block = extract_code_block(text)
    if block is not None:
        candidates.append(block)
    start = text.find("{")
    if start != -1:
        candidates.append(text[start : text.rfind("}") + 1])
    for candidate in candidates:
        try:
            value = json.loads(candidate)
        except (ValueError, TypeError):
            continue
        if isinstance(value, dict):
            return value
        if isinstance(value, list):
            return {"findings": value}
    # Fall back to the first decodable object anywhere in the text.
    decoder = json.JSONDecoder()
    for match in re.finditer(r"\{", text):
        try:
            value, _ = decoder.raw_decode(text, match.start())
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return None
