"""The project's files as the server sees them: rules, custom actions and instructions per root.

Serves no LSP method itself. Every review (the command and review on save) asks `rules_for`
which rules apply to its file, every action asks `instructions_for` what to send as the
project's conventions, and code actions and `mistral.listActions` ask `actions_for`. Each
workspace root's files are read again only when one of them changed (their names, sizes and
modification times), so a code action costs a few `stat` calls, never a parse.

A bad rule or action file is skipped, and reported once per session as a message naming the
file, line and problem (`window/showMessage`), not on every request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from lsprotocol import types

from mistral_lsp.actions.state import ProjectFilesState
from mistral_lsp.project.actions import ACTIONS_DIR, ActionSet, load_actions
from mistral_lsp.project.instructions import INSTRUCTION_FILES, Instructions, find_instructions
from mistral_lsp.project.rules import RULES_DIR, Rule, RuleSet, load_rules
from mistral_lsp.prompting.instructions import ProjectBlock, instructions_block
from mistral_lsp.text.uris import to_path

if TYPE_CHECKING:
    from mistral_lsp.actions.editor import Editor
    from mistral_lsp.actions.session import Session
    from mistral_lsp.project.frontmatter import Problem

T = TypeVar("T")


class ProjectFiles(ProjectFilesState):
    """One session's view of its roots' project files; see the module docstring."""

    def _get(self, kind: str, root: Path, signature: Any, load: Callable[[], T]) -> T:
        cached = self._loaded.get((kind, root))
        if cached is not None and cached[0] == signature:
            value: T = cached[1]
            return value
        value = load()
        self._loaded[(kind, root)] = (signature, value)
        return value

    def rules(self, editor: Editor, root: Path) -> RuleSet:
        ruleset = self._get("rules", root, _folder_signature(root / RULES_DIR), lambda: load_rules(root))
        self._tell(editor, "rule", ruleset.problems)
        return ruleset

    def actions(self, editor: Editor, root: Path) -> ActionSet:
        found = self._get("actions", root, _folder_signature(root / ACTIONS_DIR), lambda: load_actions(root))
        self._tell(editor, "custom action", found.problems)
        return found

    def instructions(self, root: Path) -> list[Instructions]:
        signature = tuple(_stat(root / name) for name in INSTRUCTION_FILES)
        return self._get("instructions", root, signature, lambda: find_instructions(root))

    def _tell(self, editor: Editor, what: str, problems: Iterable[Problem]) -> None:
        for problem in problems:
            line = str(problem)
            if line in self._told:
                continue
            self._told.add(line)
            editor.show_message(f"Mistral: {what} skipped: {line}", types.MessageType.Warning)


def project_files(session: Session) -> ProjectFiles:
    """The session's project files, made on first use."""
    if not isinstance(session.project, ProjectFiles):
        session.project = ProjectFiles()
    return session.project


def root_of(editor: Editor, uri: str) -> tuple[Path, str] | None:
    """The innermost workspace root holding the document, and its path relative to it (posix)."""
    path = to_path(uri)
    if path is None:
        return None
    best: tuple[Path, str] | None = None
    for root in editor.workspace_roots():
        try:
            relative = Path(path).relative_to(root)
        except ValueError:
            continue
        if best is None or len(str(root)) > len(str(best[0])):
            best = (root, relative.as_posix())
    return best


def rules_for(editor: Editor, uri: str, language: str | None) -> tuple[Rule, ...]:
    """The valid rules of the document's root that apply to it."""
    located = root_of(editor, uri)
    if located is None:
        return ()
    root, relative = located
    return project_files(editor.session).rules(editor, root).for_file(relative, language)


def actions_for(editor: Editor, uri: str) -> ActionSet:
    located = root_of(editor, uri)
    return project_files(editor.session).actions(editor, located[0]) if located else ActionSet()


def instructions_for(editor: Editor, uri: str) -> ProjectBlock:
    """The project's instructions for a request on the document, capped (none when turned off)."""
    settings = editor.settings
    if not settings.project_instructions:
        return ProjectBlock()
    located = root_of(editor, uri)
    if located is None:
        return ProjectBlock()
    found = project_files(editor.session).instructions(located[0])
    return instructions_block(found, settings.instructions_tokens)


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size)


def _folder_signature(folder: Path) -> tuple[tuple[str, tuple[int, int] | None], ...]:
    if not folder.is_dir():
        return ()
    return tuple((path.name, _stat(path)) for path in sorted(folder.glob("*.md")))
