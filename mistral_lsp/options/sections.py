"""The sections of the `mistral` settings nested in `Settings`: per-action model parameters,
inline completion and workspace tools (see the package docstring for what `metadata` means).
Kept apart so that the settings module holds the top level and how settings are read.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

from mistral_lsp.protocol import ACTIONS

DEFAULT_COMPLETION_MODEL = "codestral-latest"


@dataclasses.dataclass(frozen=True, kw_only=True)
class ActionSettings:
    """Per-action model parameters."""

    reasoning_effort: Literal["none", "high"] = dataclasses.field(
        default="high",
        metadata={"description": "Reasoning effort: `high` lets the model think before it answers."},
    )
    temperature: float | None = dataclasses.field(
        default=None,
        metadata={
            "description": "Sampling temperature (0–1.5); `null` for the model's default.",
            "minimum": 0,
            "maximum": 1.5,
        },
    )
    max_tokens: int | None = dataclasses.field(
        default=None,
        metadata={"description": "Maximum answer tokens; `null` for no limit.", "minimum": 1},
    )


@dataclasses.dataclass(frozen=True, kw_only=True)
class CompletionSettings:
    """Inline completion (`textDocument/inlineCompletion`, fill-in-the-middle): off by default,
    since every pause in typing costs an API call."""

    enabled: bool = dataclasses.field(
        default=False,
        metadata={"description": "Inline completion: Codestral suggests the code at the cursor as ghost "
                  "text (Tab accepts). Off by default, since each pause in typing calls the API."},
    )
    model: str = dataclasses.field(
        default=DEFAULT_COMPLETION_MODEL,
        metadata={"description": "The fill-in-the-middle model for inline completion, resolved against "
                  "`/v1/models`."},
    )
    max_tokens: int = dataclasses.field(
        default=128, metadata={"description": "Maximum tokens of one inline suggestion.", "minimum": 1}
    )
    # Measured by `python -m bench.bench_completion`: see docs/protocol.md "Inline completion".
    debounce_ms: int = dataclasses.field(
        default=150,
        metadata={"description": "Pause in typing (ms) before the server asks for a suggestion; a newer "
                  "keystroke cancels the older request.", "minimum": 0, "maximum": 5000},
    )
    languages: list[str] = dataclasses.field(
        default_factory=list,
        metadata={"description": "Language ids to complete in (for example `[\"python\", \"go\"]`); "
                  "empty for every language."},
    )

    def enabled_for(self, language_id: str) -> bool:
        return self.enabled and (not self.languages or language_id in self.languages)


@dataclasses.dataclass(frozen=True, kw_only=True)
class ToolsSettings:
    """Workspace tools the model may call during an action (function calling): read-only lookups
    of definitions, references, file lines and text, confined to the workspace."""

    enabled: bool | None = dataclasses.field(
        default=None,
        metadata={"description": "Offer the workspace tools to the model. `null`: on for fix, explain, ask and "
                  "the review command, off for review on save and `mistral-lsp review`; `true`: on for review on save "
                  "too (`mistral-lsp review` does not call tools yet); `false`: off everywhere. Inline completion "
                  "never uses tools."},
    )
    max_rounds: int = dataclasses.field(
        default=3,
        metadata={"description": "Rounds of tool calls before the model must answer with what it has.", "minimum": 0},
    )
    max_result_tokens: int = dataclasses.field(
        default=2000, metadata={"description": "Tokens of one tool result, at most (longer ones are cut).", "minimum": 1},
    )
    max_run_tokens: int = dataclasses.field(
        default=8000, metadata={"description": "Tokens of all tool results of one run, at most.", "minimum": 1},
    )
    deny: list[str] = dataclasses.field(
        default_factory=list,
        metadata={"description": "Extra glob patterns of files the tools never read (secrets such as `.env*`, "
                  "`*.pem`, `*.key`, `id_rsa*`, `.git/`, `*credentials*`, `*secret*` and ignored files are always denied)."},
    )

    def enabled_for(self, action: str, *, background: bool = False) -> bool:
        """Whether `action` offers tools: `background` runs (review on save, the CLI) only when
        `enabled` is true."""
        if self.enabled is not None:
            return self.enabled
        return not background


@dataclasses.dataclass(frozen=True, kw_only=True)
class FixSettings:
    """Fix's proposals: how far one fix may reach beyond its target."""

    max_files: int = dataclasses.field(
        default=5,
        metadata={"description": "Files one fix may change: the target's and those of the other definitions "
                  "its answer changes with it (callers, say). Blocks for further files are listed, not applied.",
                  "minimum": 1, "maximum": 50},
    )


def default_actions() -> dict[str, ActionSettings]:
    return {spec.name: ActionSettings(reasoning_effort=spec.reasoning_effort) for spec in ACTIONS}
