"""Tolerant parsers for what the model answers: one fenced code block, or review JSON.

Models wrap answers in prose, forget the closing fence, send no fence at all, or put JSON in a
fence; each parser takes the most plausible reading rather than failing.
"""

from __future__ import annotations

import json
import re
from typing import Any

_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})[ \t]*([\w+#.-]*)[^\n]*$", re.MULTILINE)


def extract_code_block(reply: str) -> str | None:
    """The code of the answer: the largest fenced block, an unclosed block, or the bare reply.

    Returns None when the reply holds nothing that looks like code (empty, or only prose
    announcing a block that never came).
    """
    text = reply.replace("\r\n", "\n")
    blocks: list[str] = []
    position = 0
    while True:
        opening = _FENCE.search(text, position)
        if opening is None:
            break
        fence = opening.group(1)
        body_start = opening.end() + 1
        closing = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$", re.MULTILINE)
        end_match = closing.search(text, body_start)
        if end_match is None:
            # Missing closing fence (a cut or sloppy answer): the rest is the block.
            blocks.append(text[body_start:].rstrip("\n"))
            break
        blocks.append(text[body_start : end_match.start()].rstrip("\n"))
        position = end_match.end()
    if blocks:
        best = max(blocks, key=len)
        return best if best.strip() else None
    stripped = text.strip("\n")
    return stripped if stripped.strip() else None


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
