"""Settings: the `mistral` configuration section as defaulted dataclasses behind a cattrs converter.

Settings reach the server three ways — `initializationOptions`, `workspace/configuration`
(section `mistral`) and `workspace/didChangeConfiguration` — and all three go through
`parse_settings`, which raises `SettingsError` listing one message per bad setting (named as
the user wrote it); the server shows those and keeps its last good values.

Each field's `metadata` describes the setting for `docs/protocol.schema.json` and the editors'
settings UIs generated from it (`description`; `order`, the place in VS Code's settings editor;
`minimum` / `maximum` / `exclusiveMinimum`, the bounds, which `out_of_bounds` enforces from
there; `secret`, never an editor setting). A rule no schema keyword states (a URL's scheme, a
non-empty model) is written in `_validate`; no rule is written twice.

The API key is held in `Settings.api_key` but is excluded from `repr` and from
`redacted_dict`, so it cannot leak into logs by printing the settings.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from mistral_lsp.casing import camel_case, camel_path
from mistral_lsp.options.sections import (
    DEFAULT_COMPLETION_MODEL,
    ActionSettings,
    CompletionSettings,
    FixSettings,
    ToolsSettings,
    default_actions,
)

__all__ = [
    "DEFAULT_BASE_URL", "DEFAULT_COMPLETION_MODEL", "DEFAULT_MODEL", "DEFAULT_REVIEW_EXCLUDE",
    "ActionSettings", "CompletionSettings", "FixSettings", "Settings", "SettingsError", "ToolsSettings",
    "out_of_bounds", "parse_settings",
]
from mistral_lsp.protocol import ACTION_NAMES

if TYPE_CHECKING:
    import cattrs

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


class SettingsError(ValueError):
    """A settings object failed validation; `problems` lists one line per bad setting."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@functools.cache
def _converter() -> cattrs.Converter:
    """Built on first use: cattrs is not needed to answer `initialize`."""
    import cattrs
    from cattrs.gen import make_dict_structure_fn, override

    converter = cattrs.Converter(forbid_extra_keys=False)

    def structure_review_on_save(value: Any, _: Any) -> bool | list[str]:
        if isinstance(value, bool):
            return value
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return value
        raise ValueError("expected true, false or a list of language ids")

    converter.register_structure_hook(bool | list[str], structure_review_on_save)

    def structure_optional_bool(value: Any, _: Any) -> bool | None:
        if value is None or isinstance(value, bool):
            return value
        raise ValueError("expected true, false or null")

    converter.register_structure_hook(bool | None, structure_optional_bool)
    for cls in (ActionSettings, CompletionSettings, ToolsSettings, FixSettings, Settings):
        overrides = {
            f.name: override(rename=camel_case(f.name)) for f in dataclasses.fields(cls)
        }
        converter.register_structure_hook(
            cls, make_dict_structure_fn(cls, converter, **overrides)  # type: ignore[arg-type]
        )
    return converter


def _unstructure(settings: Settings) -> dict[str, Any]:
    raw = dataclasses.asdict(settings)
    raw.pop("api_key", None)

    def camel(value: Any) -> Any:
        if isinstance(value, dict):
            return {camel_case(k): camel(v) for k, v in value.items()}
        return value

    result: dict[str, Any] = camel(raw)
    return result


def out_of_bounds(value: Any, where: str = "mistral") -> list[str]:
    """Every number outside the bounds its field's metadata states (`minimum`, `maximum`,
    `exclusiveMinimum`: what the schema tells the editors), named as the user writes it,
    `mistral.completion.debounceMs`. Walks nested settings and per-action dictionaries."""
    problems: list[str] = []
    for field in dataclasses.fields(value):
        item, key = getattr(value, field.name), f"{where}.{camel_case(field.name)}"
        if dataclasses.is_dataclass(item):
            problems += out_of_bounds(item, key)
        elif isinstance(item, dict):
            for name, entry in item.items():
                problems += out_of_bounds(entry, f"{key}.{name}") if dataclasses.is_dataclass(entry) else []
        elif (problem := _bound_broken(item, field.metadata)) is not None:
            problems.append(f"{key}: {problem}")
    return problems


def _bound_broken(number: Any, metadata: Mapping[str, Any]) -> str | None:
    if not isinstance(number, (int, float)) or isinstance(number, bool):
        return None  # null: the model's or the server's default
    low, high, above = metadata.get("minimum"), metadata.get("maximum"), metadata.get("exclusiveMinimum")
    if above is not None and number <= above:
        return f"must be greater than {above}"
    if low is not None and high is not None and not low <= number <= high:
        return f"must be between {low} and {high}"
    if low is not None and number < low:
        return f"must be at least {low}"
    if high is not None and number > high:
        return f"must be at most {high}"
    return None


def _validate(settings: Settings) -> list[str]:
    """The bounds of the field metadata, and the rules no schema keyword states."""
    problems = out_of_bounds(settings)

    def need(ok: bool, key: str, what: str) -> None:
        if not ok:
            problems.append(f"mistral.{key}: {what}")

    need(bool(settings.model.strip()), "model", "must not be empty")
    if settings.base_url:
        need(
            settings.base_url.startswith(("http://", "https://")),
            "baseUrl",
            f"must start with http:// or https:// (got {settings.base_url!r})",
        )
    need(bool(settings.completion.model.strip()), "completion.model", "must not be empty")
    for name in settings.actions:
        need(name in ACTION_NAMES, f"actions.{name}", f"unknown action (use one of {', '.join(ACTION_NAMES)})")
    return problems


def _describe(exc: BaseException) -> list[str]:
    lines = []
    import cattrs

    for message in cattrs.transform_error(exc, path="mistral"):
        # cattrs says "invalid value for type, expected int @ mistral.context_tokens";
        # say it with the names the user wrote.
        text, _, where = message.partition(" @ ")
        where = camel_path(where or "mistral")
        literal = re.search(r"\((.*) not in literal typing\.Literal\[(.*)\]\)", text)
        if literal:
            text = f"{literal.group(1)!r} is not one of {literal.group(2)}"
        elif "expected bool | None" in text:
            text = "expected true, false or null"
        elif "expected bool | list[str]" in text:
            text = "expected true, false or a list of language ids"
        lines.append(f"{where}: {text}")
    return lines


def _merge_actions(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Per-action settings are merged onto the defaults, so `{"fix": {"maxTokens": 10}}` keeps fix's effort."""
    merged: dict[str, Any] = {}
    defaults = default_actions()
    for name, default in defaults.items():
        merged[name] = {
            "reasoningEffort": default.reasoning_effort,
            "temperature": default.temperature,
            "maxTokens": default.max_tokens,
        }
    for name, value in raw.items():
        if isinstance(value, Mapping) and name in merged:
            merged[name] = {**merged[name], **value}
        else:
            merged[name] = value
    return merged


def parse_settings(raw: Any) -> Settings:
    """Structure and validate a `mistral` settings object; raises SettingsError naming each bad key."""
    if raw is None or raw == []:
        # Neovim encodes an empty Lua table as a JSON array.
        raw = {}
    if not isinstance(raw, Mapping):
        raise SettingsError([f"mistral: expected an object, got {type(raw).__name__}"])
    # Editors often send `{"mistral": {...}}` as initializationOptions.
    if "mistral" in raw and isinstance(raw["mistral"], Mapping) and len(raw) == 1:
        raw = raw["mistral"]
    data = dict(raw)
    if isinstance(data.get("actions"), Mapping):
        data["actions"] = _merge_actions(data["actions"])
    # Editors send null for "unset"; treat it as absent so the default applies.
    data = {k: v for k, v in data.items() if v is not None or k in ("apiKey", "baseUrl")}
    if not data:
        return Settings()  # the defaults, without building the converter (`initialize` asks)
    try:
        settings = _converter().structure(data, Settings)
    except Exception as exc:
        raise SettingsError(_describe(exc)) from None
    problems = _validate(settings)
    if problems:
        raise SettingsError(problems)
    return settings
