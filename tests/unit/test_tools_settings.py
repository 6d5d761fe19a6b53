"""`mistral.tools.*`: which runs offer the workspace tools, and invalid values reported."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mistral_lsp.actions.model_call import toolbox_for
from mistral_lsp.options import Settings, SettingsError, parse_settings


class StubEditor:
    def __init__(self, settings: Settings, root: Path) -> None:
        self.settings = settings
        self.workspace_index = None
        self._root = root

    def workspace_roots(self) -> list[Path]:
        return [self._root]


@pytest.mark.parametrize(("enabled", "action", "background", "offered"), [
    (None, "fix", False, True), (None, "explain", False, True), (None, "review", False, True),
    (None, "ask", False, True), (None, "tests", False, False),
    (None, "review", True, False),  # review on save, `mistral-lsp review`
    (True, "review", True, True), (True, "tests", False, True),
    (False, "fix", False, False), (False, "explain", False, False), (False, "review", True, False),
])
def test_which_runs_offer_tools(tmp_path: Path, enabled: bool | None, action: str, background: bool, offered: bool) -> None:
    settings = parse_settings({"tools": {"enabled": enabled, "maxRounds": 2, "deny": ["*.csv"]}})
    tools = toolbox_for(StubEditor(settings, tmp_path), action, (tmp_path / "a.py").as_uri(), background=background)  # type: ignore[arg-type]
    assert (tools is not None) == offered
    if tools is not None:
        assert tools.max_rounds == 2
        assert tools.workspace.guard.denied("data/x.csv") and tools.workspace.guard.denied(".env")


def test_defaults() -> None:
    tools = parse_settings({}).tools
    assert (tools.enabled, tools.max_rounds, tools.max_result_tokens, tools.max_run_tokens, tools.deny) == (
        None, 3, 2000, 8000, [])


@pytest.mark.parametrize(("raw", "problem"), [
    ({"maxRounds": -1}, "mistral.tools.maxRounds: must be at least 0"),
    ({"maxResultTokens": 0}, "mistral.tools.maxResultTokens: must be at least 1"),
    ({"maxRunTokens": 0}, "mistral.tools.maxRunTokens: must be at least 1"),
    ({"maxRounds": "three"}, "mistral.tools.maxRounds: invalid value for type, expected int"),
    ({"enabled": "yes"}, "mistral.tools.enabled"),
])
def test_invalid_values_are_reported(raw: dict[str, Any], problem: str) -> None:
    with pytest.raises(SettingsError) as caught:
        parse_settings({"tools": raw})
    assert any(line.startswith(problem) for line in caught.value.problems), caught.value.problems
