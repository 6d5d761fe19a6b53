"""Review rules: one markdown file per rule under `.mistral/rules/` in a workspace root.

Serves no LSP method. Every review (the command, review on save, `mistral-lsp review`) asks
`RuleSet.for_file` which rules apply to a file; only those go into its prompt
(`review_section`), and their content hash (`rules_digest`) is part of the review cache's
keys, so changing a rule re-reviews the files it covers and nothing else.

    ---
    id: no-secrets
    severity: error          # error | warning | info | hint
    title: Never log secrets
    languages: [python]      # optional: language names
    globs: ["src/**/*.py"]   # optional: gitignore-style patterns, relative to the root
    ---
    Prose, optionally with a "bad" and a "good" example.

A file with a problem (bad frontmatter, an unknown severity, a duplicate id) is not a rule:
the problem is kept, as `file:line: message`, for `mistral-lsp rules` and the server's message.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pathspec

from mistral_lsp.project.frontmatter import (
    FrontmatterError,
    MarkdownFile,
    Problem,
    read_markdown,
    string_list,
)

RULES_DIR = Path(".mistral") / "rules"
RULE_SEVERITIES = ("error", "warning", "info", "hint")
# The findings' own names for them (the review's JSON and the diagnostics say "information").
FINDING_SEVERITY = {"error": "error", "warning": "warning", "info": "information", "hint": "hint"}
_KEYS = ("id", "severity", "title", "languages", "globs")


@dataclasses.dataclass(frozen=True)
class Rule:
    """One checked rule."""

    id: str
    severity: str
    title: str
    body: str
    path: Path
    languages: tuple[str, ...] = ()
    globs: tuple[str, ...] = ()
    globs_line: int = 1

    @property
    def finding_severity(self) -> str:
        return FINDING_SEVERITY[self.severity]

    def applies_to(self, path: str, language: str | None) -> bool:
        """Whether the rule covers the file at `path` (posix, relative to the root) in `language`."""
        if self.languages and (language or "").lower() not in self.languages:
            return False
        return not self.globs or self.spec().match_file(path)

    def spec(self) -> pathspec.PathSpec[Any]:
        return _spec(self.globs)

    @property
    def digest(self) -> str:
        data = "\0".join([self.id, self.severity, self.title, self.body, *self.languages, "\0", *self.globs])
        return hashlib.sha256(data.encode("utf-8")).hexdigest()[:16]


def _spec(globs: tuple[str, ...]) -> pathspec.PathSpec[Any]:
    return pathspec.GitIgnoreSpec.from_lines(globs)


@dataclasses.dataclass(frozen=True)
class RuleSet:
    """The rules of one workspace root, and the problems of the files that are not rules."""

    rules: tuple[Rule, ...] = ()
    problems: tuple[Problem, ...] = ()

    def for_file(self, path: str, language: str | None) -> tuple[Rule, ...]:
        return tuple(rule for rule in self.rules if rule.applies_to(path, language))


def rule_files(root: Path) -> list[Path]:
    folder = root / RULES_DIR
    return sorted(folder.glob("*.md")) if folder.is_dir() else []


def load_rules(root: Path | None) -> RuleSet:
    """The rules under `root`/.mistral/rules (none without a root); see the module docstring."""
    if root is None:
        return RuleSet()
    rules: list[Rule] = []
    problems: list[Problem] = []
    seen: dict[str, Path] = {}
    for path in rule_files(root):
        try:
            parsed = read_markdown(path)
        except FrontmatterError as exc:
            problems.append(exc.problem)
            continue
        rule, found = check_rule(parsed)
        # Ids are compared across every file that names one, valid or not: fixing the other
        # problem of a file must not reveal a duplicate only then.
        rule_id = parsed.fields.get("id")
        if isinstance(rule_id, str) and rule_id.strip() in seen:
            found.append(Problem(path, parsed.line_of("id"),
                                 f"duplicate rule id {rule_id.strip()!r} (also in {seen[rule_id.strip()].name})"))
        elif isinstance(rule_id, str):
            seen[rule_id.strip()] = path
        problems += found
        if rule is not None and not found:
            rules.append(rule)
    return RuleSet(tuple(rules), tuple(problems))


def check_rule(parsed: MarkdownFile) -> tuple[Rule | None, list[Problem]]:
    """The rule a parsed file holds, or None, and what is wrong with it."""
    fields, path = parsed.fields, parsed.path
    problems = [
        Problem(path, parsed.line_of(key), f"unknown key {key!r} (expected {', '.join(_KEYS)})")
        for key in fields if key not in _KEYS
    ]
    for key in ("id", "severity", "title"):
        value = fields.get(key)
        if not isinstance(value, str) or not value.strip():
            where = parsed.line_of(key)
            problems.append(Problem(path, where, f"{key!r} is missing or not text"))
    severity = str(fields.get("severity") or "")
    if isinstance(fields.get("severity"), str) and severity not in RULE_SEVERITIES:
        problems.append(Problem(path, parsed.line_of("severity"),
                                f"unknown severity {severity!r} (expected one of {', '.join(RULE_SEVERITIES)})"))
    lists = {}
    for key in ("languages", "globs"):
        value = string_list(fields.get(key, []))
        if value is None:
            problems.append(Problem(path, parsed.line_of(key), f"{key!r} must be a list of strings"))
        lists[key] = value or ()
    if not parsed.body.strip():
        problems.append(Problem(path, parsed.body_line, "the rule has no text after its frontmatter"))
    if problems:
        return None, problems
    rule = Rule(
        id=str(fields["id"]).strip(), severity=severity, title=str(fields["title"]).strip(), body=parsed.body,
        path=path, languages=tuple(name.lower() for name in lists["languages"]), globs=lists["globs"],
        globs_line=parsed.line_of("globs"),
    )
    return rule, []


def unmatched_globs(rules: Iterable[Rule], files: Sequence[str]) -> list[Problem]:
    """A problem for each rule glob that matches none of `files` (posix, relative to the root)."""
    problems = []
    for rule in rules:
        for glob in rule.globs:
            if glob.startswith("!"):
                continue  # an exclusion: matching nothing is what it may well mean
            spec = _spec((glob,))
            if not any(spec.match_file(path) for path in files):
                problems.append(Problem(rule.path, rule.globs_line, f"glob {glob!r} matches no file"))
    return problems


def rules_digest(rules: Sequence[Rule]) -> str:
    """The content hash of the rules applied to a file: part of its review cache keys ("" for none,
    so a project without rules keeps the keys it always had)."""
    if not rules:
        return ""
    joined = ",".join(sorted(rule.digest for rule in rules))
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:16]


def review_section(rules: Sequence[Rule]) -> str:
    """The prompt's section stating `rules` (empty when none applies)."""
    if not rules:
        return ""
    parts = [
        "## The project's review rules\n"
        "Check the code against each rule below too. A finding that reports a violation of a rule "
        "sets `rule` to the rule's id and uses the rule's severity; every other finding sets `rule` to null."
    ]
    for rule in rules:
        parts.append(f"### Rule `{rule.id}` ({FINDING_SEVERITY[rule.severity]}): {rule.title}\n{rule.body.strip()}")
    return "\n\n".join(parts)
