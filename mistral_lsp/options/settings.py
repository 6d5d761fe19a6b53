"""The `Settings` dataclass: the `mistral` section's values and their defaults (see the package
docstring for how each field's metadata states its rules). Reading a raw section into it is
`parsing.py`'s."""

from __future__ import annotations

import dataclasses
import os
from typing import Any, Literal

from mistral_lsp.casing import camel_case
from mistral_lsp.options.sections import (
    ActionSettings,
    CompletionSettings,
    FixSettings,
    ToolsSettings,
    default_actions,
)

DEFAULT_BASE_URL = "https://api.mistral.ai/v1"
DEFAULT_MODEL = "mistral-medium-3.5"


DEFAULT_REVIEW_EXCLUDE: tuple[str, ...] = (
    "**/node_modules/**",
    "**/vendor/**",
    "**/third_party/**",
    "**/dist/**",
    "**/build/**",
    "**/*.min.js",
    "**/*.min.css",
    "**/*_pb2.py",
    "**/*.pb.go",
    "**/*.generated.*",
    "**/*.lock",
    "**/package-lock.json",
    "**/Cargo.lock",
    "**/poetry.lock",
    "**/go.sum",
)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Settings:
    """Every setting of the `mistral` section, with its default."""

    api_key: str | None = dataclasses.field(
        default=None,
        repr=False,
        metadata={
            "description": "The API key; else the environment variable `MISTRAL_API_KEY`. Never logged; editors pass it through the environment instead.",
            "secret": True,
        },
    )
    base_url: str | None = dataclasses.field(
        default=None,
        metadata={
            "description": "Any OpenAI-compatible `/v1` URL. Empty: the environment variable `MISTRAL_BASE_URL`, else `https://api.mistral.ai/v1`.",
            "order": 10,
        },
    )
    backend: Literal["mistral", "openai"] = dataclasses.field(
        default="mistral",
        metadata={
            "description": "The API dialect of `baseUrl`.",
            "enumDescriptions": [
                "Mistral's API (La Plateforme)",
                "An OpenAI-compatible server: vLLM, Ollama, llama.cpp",
            ],
            "order": 30,
        },
    )
    model: str = dataclasses.field(
        default=DEFAULT_MODEL,
        metadata={
            "description": "The model, resolved against `GET /v1/models` (dots vs dashes, aliases).",
            "order": 20,
        },
    )
    actions: dict[str, ActionSettings] = dataclasses.field(
        default_factory=default_actions,
        metadata={"description": "Model parameters per action.", "order": 100},
    )
    context_tokens: int = dataclasses.field(
        default=6000,
        metadata={
            "description": "Token budget for the context around the target.",
            "order": 40,
            "minimum": 256,
        },
    )
    timeout_seconds: float = dataclasses.field(
        default=120.0,
        metadata={
            "description": "Whole-request deadline in seconds, retries included.",
            "order": 50,
            "exclusiveMinimum": 0,
        },
    )
    max_retries: int = dataclasses.field(
        default=3,
        metadata={
            "description": "Retries of 429/5xx/connection errors before any text streamed.",
            "order": 51,
            "minimum": 0,
            "maximum": 10,
        },
    )
    max_concurrent_requests: int = dataclasses.field(
        default=4,
        metadata={"description": "Model requests in flight at once.", "order": 52, "minimum": 1},
    )
    review_on_save: bool | list[str] = dataclasses.field(
        default=False,
        metadata={
            "description": "Review the changed definitions on save: `true` for every language, or a list of language ids (for example `[\"python\", \"go\"]`). `Mistral: Toggle Review on Save` flips it for this session.",
            "order": 60,
        },
    )
    review_debounce_ms: int = dataclasses.field(
        default=1500,
        metadata={
            "description": "Delay in milliseconds after a save before the review starts.",
            "order": 61,
            "minimum": 0,
        },
    )
    review_max_file_lines: int = dataclasses.field(
        default=5000,
        metadata={
            "description": "Files longer than this are not reviewed on save.",
            "order": 62,
            "minimum": 1,
        },
    )
    review_exclude: list[str] = dataclasses.field(
        default_factory=lambda: list(DEFAULT_REVIEW_EXCLUDE),
        metadata={
            "description": "Globs of files never reviewed on save; a value replaces the default list of generated, vendored, lock and minified files.",
            "order": 63,
        },
    )
    completion: CompletionSettings = dataclasses.field(
        default_factory=CompletionSettings, metadata={"order": 70}
    )
    tools: ToolsSettings = dataclasses.field(default_factory=ToolsSettings, metadata={"order": 90})
    fix: FixSettings = dataclasses.field(default_factory=FixSettings, metadata={"order": 95})
    workspace_index_max_files: int = dataclasses.field(
        default=20000,
        metadata={"description": "Files of the workspace indexed for cross-file context; `0` turns the "
                  "workspace index off. Ignored, vendored, minified, binary and huge files are skipped; generated files are indexed (not reviewed).",
                  "minimum": 0, "order": 80},
    )
    """Workspace files indexed for cross-file context, at most (0: no workspace index)."""
    workspace_index_cache: bool = dataclasses.field(
        default=True,
        metadata={"description": "Save the workspace index in the cache directory, so that a restart "
                  "indexes again only the files changed since.", "order": 82},
    )
    line_anchors: Literal["every", "sparse"] = dataclasses.field(
        default="sparse",
        metadata={"description": "Line numbers in the code an action or review shows the model: `sparse` on "
                  "its first and last lines and every 5th (about 0.9 tokens a line), `every` on each line "
                  "(about 4 tokens a line). Review findings are placed by their quoted line either way.",
                  "order": 81},
    )
    """Line numbers on every fifth line of the target (the default) or on each (see `sections.numbered`)."""
    project_instructions: bool = dataclasses.field(
        default=True,
        metadata={"description": "Send the project's `AGENTS.md` (or `.mistral/instructions.md`) at the workspace "
                  "root with every action and review, as its conventions (docs/rules.md).", "order": 83},
    )
    instructions_tokens: int = dataclasses.field(
        default=2000,
        metadata={"description": "Tokens of project instructions sent at most; longer instructions are cut at a "
                  "line, and the prompt and `context` say so.", "order": 84, "minimum": 0},
    )

    def action(self, name: str) -> ActionSettings:
        return self.actions.get(name) or default_actions().get(name) or ActionSettings()

    def resolved_api_key(self) -> str | None:
        return self.api_key or os.environ.get("MISTRAL_API_KEY") or None

    def resolved_base_url(self) -> str:
        url = self.base_url or os.environ.get("MISTRAL_BASE_URL") or DEFAULT_BASE_URL
        return url.rstrip("/")

    def client_options(self) -> dict[str, Any]:
        """What the API client is built from (`MistralClient(**options)`); the server rebuilds
        its client when these change."""
        return {
            "base_url": self.resolved_base_url(),
            "api_key": self.resolved_api_key(),
            "backend": self.backend,
            "timeout_seconds": self.timeout_seconds,
            "max_retries": self.max_retries,
            "max_concurrent_requests": self.max_concurrent_requests,
        }

    def review_on_save_for(self, language_id: str) -> bool:
        if isinstance(self.review_on_save, bool):
            return self.review_on_save
        return language_id in self.review_on_save

    def redacted_dict(self) -> dict[str, Any]:
        """The settings as the user would write them, with the key replaced by a marker."""
        data = _unstructure(self)
        key = self.resolved_api_key()
        data["apiKey"] = _redact(key)
        data["baseUrl"] = self.resolved_base_url()
        return data


def _redact(key: str | None) -> str:
    if not key:
        return "(not set)"
    return f"(set, {len(key)} characters)"


def _unstructure(settings: Settings) -> dict[str, Any]:
    raw = dataclasses.asdict(settings)
    raw.pop("api_key", None)

    def camel(value: Any) -> Any:
        if isinstance(value, dict):
            return {camel_case(k): camel(v) for k, v in value.items()}
        return value

    result: dict[str, Any] = camel(raw)
    return result
