"""Sparse line anchors and narrowed targets end to end: the prompt numbers every 5th line, the
model counts the rest and gets some a few lines wrong, and the findings still land on the lines
they quote; a fix in a huge function rewrites only the part around the cursor."""

from __future__ import annotations

import json
import re
from typing import Any

from mistral_lsp.testing.fake_api import Reply

from .conftest import Editor, rng

PARSE = """\
def parse(items):
    out = []
    for item in items:
        if not item:
            return None
        out.append(item / 10)
    if not out:
        return None
    total = sum(out)
    return total
"""


def finding(line: int, snippet: str, title: str) -> dict[str, object]:
    return {"startLine": line, "endLine": line, "severity": "warning", "category": "bug", "title": title,
            "message": "m", "snippet": snippet, "replacement": None}


async def test_findings_counted_a_few_lines_off_land_on_the_lines_they_quote(editor: Editor) -> None:
    uri = await editor.open("parse.py", PARSE)
    editor.fake.enqueue(Reply(text=json.dumps({"findings": [
        finding(10, "out.append(item / 10)", "Divides by 10"),  # really line 6: four off
        finding(7, "return None", "Returns None"),  # line 5 and line 8 hold it: 8 is nearer
        finding(2, "raise ValueError(item)", "Not in the file"),
    ]})))
    result = await editor.command("mistral.review", {"uri": uri, "range": None})
    prompt = editor.fake.requests[-1].json["messages"][1]["content"]
    assert "\n5|             return None\n" in prompt and "\n10| " in prompt  # every 5th line numbered
    assert "\n6|" not in prompt and "\n 6 |" not in prompt
    diagnostics = await editor.wait_until(lambda: editor.client.diagnostics.get(uri), what="diagnostics")
    placed = sorted((d.range.start.line, d.message.split(":")[0]) for d in diagnostics)
    assert placed == [(5, "Divides by 10"), (7, "Returns None")]
    assert result.diagnostics == 2


def huge_function() -> str:
    body = [f"    a{i} = price(n, {i})" for i in range(600)]
    body[300] = "    a300 = price(n, 300) / 10  # BUG"
    return "def price(n, i):\n    return n * i\n\n\ndef huge(n):\n" + "\n".join(body) + "\n    return a0\n"


def target_of(prompt: str) -> list[str]:
    """The target's code as the prompt shows it, line anchors taken off."""
    block = prompt[prompt.index("## Target:") :].split("```")[1].split("\n")[1:-1]
    return [re.sub(r"^\d+\| ", "", line) for line in block]


async def test_a_fix_in_a_600_line_function_rewrites_only_the_part_around_the_cursor(editor: Editor) -> None:
    text = huge_function()
    uri = await editor.open("huge.py", text)
    bug = text.split("\n").index("    a300 = price(n, 300) / 10  # BUG")

    def fixer(body: Any) -> Reply:
        code = "\n".join(target_of(body["messages"][1]["content"])).replace(" / 10  # BUG", "")
        return Reply(text=f"Drop the division.\n\n```python\n{code}\n```")

    editor.fake.responder = fixer
    result = await editor.command("mistral.fix", {"uri": uri, "range": rng(bug, 8, bug, 8)})
    assert result.applied is True
    expected = text.replace("    a300 = price(n, 300) / 10  # BUG", "    a300 = price(n, 300)")
    assert editor.texts[uri] == expected
    request = editor.fake.requests[-1].json
    prompt = request["messages"][1]["content"]
    shown = target_of(prompt)
    assert len(shown) <= 60 and "    a300 = price(n, 300) / 10  # BUG" in shown
    assert "def huge(n):\n    # … lines 5-606, the target among them" in prompt
    assert request["prediction"]["content"] == "\n".join(shown)  # the part, not the function
