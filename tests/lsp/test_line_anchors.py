"""Sparse line anchors end to end: the prompt numbers every 5th line, the model counts the rest
and gets some a few lines wrong, and the findings still land on the lines they quote."""

from __future__ import annotations

import json

from mistral_lsp.testing.fake_api import Reply

from .conftest import Editor

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
