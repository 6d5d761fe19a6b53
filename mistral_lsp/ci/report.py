"""What `mistral-lsp review` prints: text, JSON and GitHub workflow commands, and its exit code.

Serves no LSP method: these are the command line's diagnostics. SARIF is in `sarif.py`.

- text: `path:line:col: severity: title — message` per finding, then what was skipped or left
  unreviewed and one usage line (units, requests, prompt/cached/completion tokens);
- json: `{"findings": [...], "unreviewed": [...], "skipped": [...], "usage": {...}}`;
- github: `::error file=…,line=…,endLine=…,col=…,title=…::message` annotations, which GitHub
  Actions shows on the pull request's diff.

Exit codes (`exit_code`): 0 clean, 1 a finding at or above `--fail-on`, 2 a usage or
configuration error (decided by the caller), 3 an API failure — which wins over findings,
since the review it would judge is incomplete.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from mistral_lsp.ci.batch import NO_GRAMMAR, BatchResult, Reported, Usage

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_API_FAILURE = 3

# Most severe first; `--fail-on warning` fails on warnings and errors.
SEVERITY_RANK = {"error": 3, "warning": 2, "information": 1, "info": 1, "hint": 0}
FAIL_ON_CHOICES = ("error", "warning", "never")


def exit_code(result: BatchResult, fail_on: str) -> int:
    if result.error is not None:
        return EXIT_API_FAILURE
    if fail_on == "never":
        return EXIT_CLEAN
    threshold = SEVERITY_RANK[fail_on]
    failing = any(SEVERITY_RANK.get(r.finding.severity, 2) >= threshold for r in result.findings)
    return EXIT_FINDINGS if failing else EXIT_CLEAN


def column(reported: Reported) -> int:
    """1-based column of the finding's snippet on its first line (else of its first non-blank)."""
    line = reported.lines[reported.finding.start_line] if reported.finding.start_line < len(reported.lines) else ""
    snippet = reported.finding.snippet
    at = line.find(snippet) if snippet else -1
    if at < 0:
        at = len(line) - len(line.lstrip())
    return at + 1


def usage_line(usage: Usage) -> str:
    return (
        f"mistral-lsp review: {usage.units} unit{'s' if usage.units != 1 else ''} "
        f"({usage.cached_units} from cache, {usage.reviewed_units} reviewed), "
        f"{usage.requests} request{'s' if usage.requests != 1 else ''}, "
        f"{usage.prompt_tokens} prompt tokens ({usage.cached_tokens} cached), "
        f"{usage.completion_tokens} completion tokens"
    )


def notes(result: BatchResult, max_tokens: int | None) -> list[str]:
    """What the run did not cover, one line each: skipped files, units left by a cap or failure."""
    lines = [f"skipped {path}: {why}" for path, why in result.skipped if why != NO_GRAMMAR]
    # Docs, configuration and data files in a diff are expected: counted, not listed.
    other = sum(1 for _, why in result.skipped if why == NO_GRAMMAR)
    if other:
        lines.append(f"{other} file{'s' if other != 1 else ''} without a code grammar not reviewed")
    if result.unreviewed:
        count = sum(len(units) for _, units in result.unreviewed)
        why = (
            f"the --max-tokens cap ({max_tokens}) was reached" if result.capped
            else "the API failed"
        )
        lines.append(f"{count} definition{'s' if count != 1 else ''} left unreviewed ({why}):")
        for path, units in result.unreviewed:
            lines.append(f"  {path}: {', '.join(units)}")
    if result.error is not None:
        lines.append(f"error: {result.error}")
    return lines


def render_text(result: BatchResult) -> str:
    rows = [
        f"{r.path}:{r.finding.start_line + 1}:{column(r)}: {r.finding.severity}: "
        f"{r.finding.title} — {r.finding.message}"
        for r in result.findings
    ]
    return "".join(row + "\n" for row in rows)


def finding_json(r: Reported) -> dict[str, Any]:
    f = r.finding
    data: dict[str, Any] = {
        "path": r.path, "line": f.start_line + 1, "endLine": f.end_line + 1, "column": column(r),
        "severity": f.severity, "category": f.category, "title": f.title, "message": f.message,
        "snippet": f.snippet, "definition": r.unit_name, "unitHash": r.unit_hash,
    }
    if f.replacement is not None:
        data["replacement"] = f.replacement
    if f.rule is not None:
        data["rule"] = f.rule
    return data


def render_json(result: BatchResult) -> str:
    usage = result.usage
    payload = {
        "findings": [finding_json(r) for r in result.findings],
        "unreviewed": [{"path": path, "definitions": units} for path, units in result.unreviewed],
        "skipped": [{"path": path, "reason": why} for path, why in result.skipped],
        "capped": result.capped,
        "error": result.error,
        "usage": {
            "units": usage.units, "cachedUnits": usage.cached_units,
            "reviewedUnits": usage.reviewed_units, "requests": usage.requests,
            "promptTokens": usage.prompt_tokens, "cachedTokens": usage.cached_tokens,
            "completionTokens": usage.completion_tokens,
        },
    }
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


_GITHUB_LEVEL = {"error": "error", "warning": "warning"}


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(result: BatchResult, notes_lines: Sequence[str] = ()) -> str:
    out = []
    for r in result.findings:
        f = r.finding
        level = _GITHUB_LEVEL.get(f.severity, "notice")
        properties = ",".join([
            f"file={_escape_property(r.path)}", f"line={f.start_line + 1}",
            f"endLine={f.end_line + 1}", f"col={column(r)}",
            f"title={_escape_property(f'{f.title} ({f.category})')}",
        ])
        out.append(f"::{level} {properties}::{_escape_data(f.message)}\n")
    if result.unreviewed or result.error is not None:
        out.append(f"::warning title=mistral-lsp review incomplete::{_escape_data(chr(10).join(notes_lines))}\n")
    return "".join(out)
