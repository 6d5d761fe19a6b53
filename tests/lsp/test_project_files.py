"""The team's files in the repository, through the real server and the loopback fake: custom
actions as code actions run end to end, review rules on the review command's diagnostics,
bad files said once, and `AGENTS.md` in every prompt, bounded."""

from __future__ import annotations

import json

from lsprotocol import types

from mistral_lsp.testing.fake_api import Reply

from ..samples import CART, FIXED_TOTAL_DEDENTED
from .conftest import Editor, rng

ADD_TYPE_HINTS = """\
---
title: Add type hints
kind: edit
languages: [python]
reasoningEffort: none
---
Add type hints to {{target}}, in idiomatic {{language}}; change nothing else. {{instruction}}
"""


def write(editor: Editor, name: str, text: str) -> None:
    path = editor.workspace / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def system_and_user(editor: Editor) -> tuple[str, str]:
    messages = editor.fake.requests[-1].json["messages"]
    return str(messages[0]["content"]), str(messages[1]["content"])


async def test_a_custom_action_is_a_code_action_listed_for_menus_and_runs_as_an_edit(editor: Editor) -> None:
    write(editor, ".mistral/actions/add-type-hints.md", ADD_TYPE_HINTS)
    uri = await editor.open("cart.py", CART)
    actions = await editor.code_actions(uri, rng(9, 10, 9, 10))
    [custom] = [a for a in actions if a.kind == "refactor.mistral.custom"]
    assert custom.title == "Mistral: Add type hints"
    assert custom.command is not None and custom.command.command == "mistral.custom"
    assert custom.command.arguments[0]["actionId"] == "add-type-hints"
    listed = await editor.command("mistral.listActions", {"uri": uri})
    assert listed == {"actions": [{"id": "add-type-hints", "title": "Add type hints", "kind": "edit", "languages": ["python"]}]}
    assert editor.fake.requests == []  # code actions and the list never touch the network

    editor.fake.enqueue(Reply(text=f"Done.\n\n```python\n{FIXED_TOTAL_DEDENTED}\n```"))
    result = await editor.command("mistral.custom", {**custom.command.arguments[0], "instruction": "Use float."})

    assert (result.action, result.actionId, result.applied) == ("custom", "add-type-hints", True)
    assert "discount / 100" in editor.texts[uri]
    request = editor.fake.requests[-1].json
    assert request["reasoning_effort"] == "none"  # the action's own
    _system, user = system_and_user(editor)
    assert "Add type hints to the method `total` (lines 8-10), in idiomatic python; change nothing else. Use float." in user
    assert "{{" not in user
    done = next(s for s in editor.streams if s.get("id") == result.id and s.get("done"))
    assert done["actionId"] == "add-type-hints"


async def test_a_custom_action_of_kind_findings_publishes_diagnostics(editor: Editor) -> None:
    write(editor, ".mistral/actions/check-money.md",
          "---\ntitle: Check money handling\nkind: findings\n---\nFind float money arithmetic in {{target}}.\n")
    uri = await editor.open("cart.py", CART)
    finding = {"startLine": 10, "endLine": 10, "severity": "warning", "category": "bug", "title": "Float money",
               "message": "Use Decimal.", "snippet": "return subtotal - subtotal * discount / 10",
               "replacement": None, "rule": None}
    editor.fake.enqueue(Reply(text=json.dumps({"findings": [finding]})))
    result = await editor.command("mistral.custom", {"uri": uri, "range": rng(9, 10, 9, 10), "actionId": "check-money"})
    assert result.diagnostics == 1 and result.findings[0]["title"] == "Float money"
    diagnostics = await editor.wait_until(lambda: editor.client.diagnostics.get(uri), what="diagnostics")
    assert [d.message for d in diagnostics] == ["Float money: Use Decimal."]


async def test_a_custom_action_with_an_unknown_placeholder_is_refused_once_with_file_and_line(editor: Editor) -> None:
    write(editor, ".mistral/actions/broken.md", "---\ntitle: Broken\nkind: markdown\n---\nExplain {{target}}.\nIn {{lang}}.\n")
    uri = await editor.open("cart.py", CART)
    for _ in range(2):
        actions = await editor.code_actions(uri, rng(9, 10, 9, 10))
        assert not [a for a in actions if a.kind == "refactor.mistral.custom"]
    said = [m for m in editor.messages() if "broken.md" in m]
    assert said == [f"Mistral: custom action skipped: {editor.workspace / '.mistral/actions/broken.md'}:6: unknown "
                    "placeholder {{lang}} (known: {{target}}, {{language}}, {{selection}}, {{instruction}})"]


async def test_a_review_rule_is_in_the_prompt_and_its_finding_carries_its_id_and_severity(editor: Editor) -> None:
    write(editor, ".mistral/rules/money.md",
          "---\nid: decimal-money\nseverity: error\ntitle: Money is Decimal\nglobs: ['*.py']\n---\nNever float for money.\n")
    write(editor, ".mistral/rules/bad.md", "---\nid: bad\nseverity: fatal\ntitle: Bad\n---\nText.\n")
    uri = await editor.open("cart.py", CART)
    finding = {"startLine": 10, "endLine": 10, "severity": "hint", "category": "style", "title": "Float money",
               "message": "Use Decimal.", "snippet": "return subtotal - subtotal * discount / 10",
               "replacement": None, "rule": "decimal-money"}
    for _ in range(2):
        editor.fake.enqueue(Reply(text=json.dumps({"findings": [finding]})))
        result = await editor.command("mistral.review", {"uri": uri, "range": None})
    assert result.findings[0]["rule"] == "decimal-money"
    system, _user = system_and_user(editor)
    assert "Rule `decimal-money` (error): Money is Decimal\nNever float for money." in system
    diagnostics = await editor.wait_until(lambda: editor.client.diagnostics.get(uri), what="diagnostics")
    [diagnostic] = diagnostics
    assert diagnostic.code == "decimal-money"
    assert diagnostic.severity == types.DiagnosticSeverity.Error  # the rule's, not the model's "hint"
    said = [m for m in editor.messages() if "bad.md" in m]
    assert len(said) == 1 and "bad.md:3: unknown severity 'fatal'" in said[0]


async def test_agents_md_is_sent_with_every_action_and_bounded(editor: Editor) -> None:
    conventions = "# Conventions\n\n" + "".join(f"- Rule number {n}: prefer clear names.\n" for n in range(400))
    write(editor, "AGENTS.md", conventions)
    uri = await editor.open("cart.py", CART)
    editor.fake.enqueue(Reply(text="It totals the cart."))
    result = await editor.command("mistral.explain", {"uri": uri, "range": rng(9, 10, 9, 10), "showResult": False})
    system, _user = system_and_user(editor)
    assert "## The project's instructions" in system and "- Rule number 0: prefer clear names." in system
    assert "- Rule number 399" not in system  # past the default cap (2000 tokens)
    assert "[cut here: the file is longer than the mistral.instructionsTokens cap (2000 tokens)" in system
    assert result.context["instructions"] == ["AGENTS.md (cut)"]

    # Turned off: the next action waits for the settings pulled on the change, and sends none.
    editor.client.set_configuration({"maxRetries": 2, "projectInstructions": False}, section="mistral")
    editor.client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    editor.fake.enqueue(Reply(text="It totals the cart."))
    result = await editor.command("mistral.explain", {"uri": uri, "range": rng(9, 10, 9, 10), "showResult": False})
    system, _user = system_and_user(editor)
    assert "Rule number" not in system and "instructions" not in (result.context or {})
