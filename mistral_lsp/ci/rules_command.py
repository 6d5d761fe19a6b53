"""`mistral-lsp rules`: list the project's review rules and custom actions, and check them.

    mistral-lsp rules [ROOT]

Serves no LSP method and loads no pygls. It reads `.mistral/rules/*.md` and
`.mistral/actions/*.md` under ROOT (default: the git repository around the current directory,
else the current directory), lists what is valid, and reports every problem — bad frontmatter,
an unknown severity or key, a duplicate id, a glob that matches no file, an unknown placeholder
— as `file:line: message` on stderr. Exit codes: 0 clean, 2 any problem (docs/rules.md).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_PROBLEMS = 2


def add_arguments(rules: argparse.ArgumentParser) -> None:
    rules.description = "List the review rules and custom actions of .mistral/, and check them (exit 2 on a problem)."
    rules.add_argument("root", nargs="?", metavar="ROOT", help="the workspace root (default: the git repository, else .)")


def run_rules(args: argparse.Namespace) -> int:
    from mistral_lsp.ci.diff import expand_paths, repository_root
    from mistral_lsp.project.actions import load_actions
    from mistral_lsp.project.rules import load_rules, unmatched_globs

    cwd = Path.cwd()
    root = Path(args.root).resolve() if args.root else (repository_root(cwd) or cwd)
    ruleset, actions = load_rules(root), load_actions(root)
    problems = [*ruleset.problems, *actions.problems]
    if any(rule.globs for rule in ruleset.rules):
        files, _missing = expand_paths(root, ["."], root)
        problems += unmatched_globs(ruleset.rules, files)
    for rule in ruleset.rules:
        scope = "; ".join(filter(None, (", ".join(rule.languages), ", ".join(rule.globs)))) or "every file"
        print(f"rule {rule.id} [{rule.severity}] {rule.title} — {scope} ({_shown(rule.path, root)})")
    for action in actions.actions:
        languages = ", ".join(action.languages) or "every language"
        print(f"action {action.id} [{action.kind}] Mistral: {action.title} — {languages} ({_shown(action.path, root)})")
    if not ruleset.rules and not actions.actions and not problems:
        print(f"no rules or custom actions under {root / '.mistral'}")
    for problem in sorted(problems, key=lambda p: (str(p.path), p.line)):
        print(f"{_shown(problem.path, root)}:{problem.line}: {problem.message}", file=sys.stderr)
    return EXIT_PROBLEMS if problems else 0


def _shown(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)
