"""Custom actions: one markdown file per action under `.mistral/actions/` in a workspace root.

Serves no LSP method: `actions/custom.py` runs them and `lsp/code_actions.py` offers them
("Mistral: <title>", command `mistral.custom`). The id is the file's stem.

    ---
    title: Add type hints
    kind: edit                # edit (like fix) | markdown (like explain) | findings (like review)
    languages: [python]       # optional
    reasoningEffort: none     # optional: none | high
    ---
    Add type hints to {{target}} ({{language}}). {{instruction}}

The body is a prompt template: `{{target}}` (the target's name and lines), `{{language}}`,
`{{selection}}` (the target's code) and `{{instruction}}` (the user's extra words). A file
with an unknown placeholder, or another problem, is refused with `file:line: message`.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from mistral_lsp.project.frontmatter import FrontmatterError, Problem, read_markdown, string_list

ACTIONS_DIR = Path(".mistral") / "actions"
ACTION_KINDS = ("edit", "markdown", "findings")
PLACEHOLDERS = ("target", "language", "selection", "instruction")
REASONING_EFFORTS = ("none", "high")
_KEYS = ("title", "kind", "languages", "reasoningEffort")
_PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")


@dataclasses.dataclass(frozen=True)
class CustomAction:
    id: str
    title: str
    kind: str
    template: str
    path: Path
    languages: tuple[str, ...] = ()
    reasoning_effort: str | None = None

    def applies_to(self, language: str | None) -> bool:
        return not self.languages or (language or "").lower() in self.languages

    def render(self, values: dict[str, str]) -> str:
        """The template with its placeholders filled (all known: `load_actions` checked them)."""
        return _PLACEHOLDER.sub(lambda match: values.get(match.group(1), ""), self.template)


@dataclasses.dataclass(frozen=True)
class ActionSet:
    actions: tuple[CustomAction, ...] = ()
    problems: tuple[Problem, ...] = ()

    def get(self, action_id: str) -> CustomAction | None:
        return next((action for action in self.actions if action.id == action_id), None)


def load_actions(root: Path | None) -> ActionSet:
    """The custom actions under `root`/.mistral/actions, and the problems of those refused."""
    folder = root / ACTIONS_DIR if root is not None else None
    if folder is None or not folder.is_dir():
        return ActionSet()
    actions, problems = [], []
    for path in sorted(folder.glob("*.md")):
        action, found = _load(path)
        problems += found
        if action is not None:
            actions.append(action)
    return ActionSet(tuple(actions), tuple(problems))


def _load(path: Path) -> tuple[CustomAction | None, list[Problem]]:
    try:
        parsed = read_markdown(path)
    except FrontmatterError as exc:
        return None, [exc.problem]
    fields = parsed.fields
    problems = [
        Problem(path, parsed.line_of(key), f"unknown key {key!r} (expected {', '.join(_KEYS)})")
        for key in fields if key not in _KEYS
    ]
    title, kind = fields.get("title"), fields.get("kind")
    if not isinstance(title, str) or not title.strip():
        problems.append(Problem(path, parsed.line_of("title"), "'title' is missing or not text"))
    if kind not in ACTION_KINDS:
        problems.append(Problem(path, parsed.line_of("kind"), f"'kind' must be one of {', '.join(ACTION_KINDS)}"))
    effort = fields.get("reasoningEffort")
    if effort is not None and effort not in REASONING_EFFORTS:
        problems.append(Problem(path, parsed.line_of("reasoningEffort"),
                                f"'reasoningEffort' must be one of {', '.join(REASONING_EFFORTS)}"))
    languages = string_list(fields.get("languages", []))
    if languages is None:
        problems.append(Problem(path, parsed.line_of("languages"), "'languages' must be a list of strings"))
    problems += template_problems(path, parsed.body, parsed.body_line)
    if problems:
        return None, problems
    return CustomAction(
        id=path.stem, title=str(title).strip(), kind=str(kind), template=parsed.body, path=path,
        languages=tuple(name.lower() for name in languages or ()), reasoning_effort=effort,
    ), []


def template_problems(path: Path, body: str, first_line: int) -> list[Problem]:
    """An unknown placeholder, or a body with none of the target, each at its line."""
    problems = []
    for offset, line in enumerate(body.split("\n")):
        for match in _PLACEHOLDER.finditer(line):
            if match.group(1) not in PLACEHOLDERS:
                problems.append(Problem(
                    path, first_line + offset,
                    f"unknown placeholder {{{{{match.group(1)}}}}} (known: "
                    + ", ".join(f"{{{{{name}}}}}" for name in PLACEHOLDERS) + ")",
                ))
    if not body.strip():
        problems.append(Problem(path, first_line, "the action has no prompt after its frontmatter"))
    return problems
