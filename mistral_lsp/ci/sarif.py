"""`mistral-lsp review --format sarif`: the findings as a SARIF 2.1.0 log, for code scanning.

Serves no LSP method: GitHub code scanning (and GitLab, Azure DevOps, IDE SARIF viewers) read
this file. What each part carries, and why:

- one rule per finding category (`findings.CATEGORIES`), so code scanning can filter and
  dismiss them by kind, then one per project rule applied (`.mistral/rules/`: its id, title
  and text as help); every result names its rule by id and index;
- a physical location per result: the path relative to the repository root (`%SRCROOT%`),
  the region's lines and columns (code points: `columnKind`), and the region's text as its
  snippet;
- a fix when the model suggested a replacement: the whole lines of the finding replaced by it,
  re-indented like the server's quick fix;
- `partialFingerprints` from the definition's content hash, the finding's line within the
  definition and its category: the same finding on the same code keeps its fingerprint when
  the code moves, so code scanning tracks it across commits instead of opening a new alert;
- the invocation says whether the review was complete: files left unreviewed (token cap, API
  failure) and skipped files are tool notifications.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mistral_lsp import __version__
from mistral_lsp.ci.batch import BatchResult, Reported
from mistral_lsp.ci.report import column
from mistral_lsp.project.rules import Rule
from mistral_lsp.review.findings import CATEGORIES
from mistral_lsp.text.edits import leading_indent, reindent

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "mistralLspUnit/v1"
_LEVEL = {"error": "error", "warning": "warning", "information": "note", "info": "note", "hint": "note"}
_RULE_TEXT = {
    "bug": "A defect: the code does not do what it evidently means to.",
    "security": "A security weakness: injection, unsafe deserialization, secrets, missing checks.",
    "performance": "A performance trap: needless work, quadratic loops, blocking calls.",
    "correctness": "Incorrect behaviour on edge cases: empty input, bounds, errors ignored.",
    "style": "A style problem clearly worth a change.",
    "maintainability": "Code that will be hard to change safely.",
}


def rule_id(category: str) -> str:
    return f"mistral-lsp/{category}"


def _rules(project_rules: list[Rule]) -> list[dict[str, Any]]:
    return [*[
        {
            "id": rule_id(category),
            "name": category.title(),
            "shortDescription": {"text": f"Mistral review: {category}"},
            "fullDescription": {"text": _RULE_TEXT.get(category, category)},
            "defaultConfiguration": {"level": "warning"},
            "properties": {"tags": ["mistral-lsp", category]},
        }
        for category in CATEGORIES
    ], *[_project_rule(rule) for rule in project_rules]]


def _project_rule(rule: Rule) -> dict[str, Any]:
    """A `.mistral/rules/` rule: its id, title, and its text as the help."""
    return {
        "id": rule.id,
        "name": rule.id,
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.title},
        "help": {"text": rule.body, "markdown": rule.body},
        "defaultConfiguration": {"level": _LEVEL.get(rule.severity, "warning")},
        "properties": {"tags": ["mistral-lsp", "project-rule"]},
    }


def _location(r: Reported) -> dict[str, Any]:
    f = r.finding
    last = min(f.end_line, len(r.lines) - 1)
    start_column = column(r)
    # The snippet is the region's own text: from the start column to the end of the last line.
    text = "\n".join(r.lines[f.start_line : last + 1])[start_column - 1 :]
    region: dict[str, Any] = {
        "startLine": f.start_line + 1,
        "startColumn": start_column,
        "endLine": last + 1,
        "endColumn": len(r.lines[last]) + 1,
        "snippet": {"text": text},
    }
    return {"physicalLocation": {"artifactLocation": {"uri": r.path, "uriBaseId": "%SRCROOT%"}, "region": region}}


def _fix(r: Reported) -> dict[str, Any] | None:
    f = r.finding
    if f.replacement is None:
        return None
    last = min(f.end_line, len(r.lines) - 1)
    text = reindent(f.replacement.rstrip("\n"), leading_indent(r.lines[f.start_line]))
    return {
        "description": {"text": f"Apply the suggested replacement: {f.title}"},
        "artifactChanges": [
            {
                "artifactLocation": {"uri": r.path, "uriBaseId": "%SRCROOT%"},
                "replacements": [
                    {
                        "deletedRegion": {
                            "startLine": f.start_line + 1, "startColumn": 1,
                            "endLine": last + 1, "endColumn": len(r.lines[last]) + 1,
                        },
                        "insertedContent": {"text": text},
                    }
                ],
            }
        ],
    }


def _result(r: Reported, project_rules: list[str]) -> dict[str, Any]:
    f = r.finding
    if f.rule is not None and f.rule in project_rules:
        rule, index = f.rule, len(CATEGORIES) + project_rules.index(f.rule)
    else:
        rule, index = rule_id(f.category), CATEGORIES.index(f.category) if f.category in CATEGORIES else 0
    result: dict[str, Any] = {
        "ruleId": rule,
        "ruleIndex": index,
        "level": _LEVEL.get(f.severity, "warning"),
        "message": {"text": f"{f.title}: {f.message}"},
        "locations": [_location(r)],
        "partialFingerprints": {FINGERPRINT_KEY: f"{r.unit_hash}:{r.index_in_unit}:{f.category}"},
        "properties": {"severity": f.severity, "definition": r.unit_name},
    }
    fix = _fix(r)
    if fix is not None:
        result["fixes"] = [fix]
    return result


def _notifications(result: BatchResult) -> list[dict[str, Any]]:
    out = []
    for path, units in result.unreviewed:
        why = "the --max-tokens cap was reached" if result.capped else "the API failed"
        out.append({
            "level": "warning",
            "message": {"text": f"not reviewed ({why}): {', '.join(units)}"},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": path, "uriBaseId": "%SRCROOT%"}}}],
        })
    for path, reason in result.skipped:
        out.append({
            "level": "note",
            "message": {"text": f"skipped: {reason}"},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": path, "uriBaseId": "%SRCROOT%"}}}],
        })
    if result.error is not None:
        out.append({"level": "error", "message": {"text": result.error}})
    return out


def render_sarif(result: BatchResult, root: Path) -> str:
    invocation: dict[str, Any] = {
        "executionSuccessful": result.error is None,
        "toolExecutionNotifications": _notifications(result),
    }
    usage = result.usage
    project_rules = sorted(result.rules.values(), key=lambda rule: rule.id)
    ids = [rule.id for rule in project_rules]
    log = {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "mistral-lsp",
                        "version": __version__,
                        "rules": _rules(project_rules),
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": root.resolve().as_uri() + "/"}},
                "columnKind": "unicodeCodePoints",
                "invocations": [invocation],
                "results": [_result(r, ids) for r in result.findings],
                "properties": {
                    "units": usage.units, "cachedUnits": usage.cached_units,
                    "requests": usage.requests, "promptTokens": usage.prompt_tokens,
                    "cachedTokens": usage.cached_tokens, "completionTokens": usage.completion_tokens,
                },
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
