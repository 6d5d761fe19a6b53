"""Reading a raw `mistral` section into `Settings`: the cattrs converter (built on first use),
the bounds each field's metadata states (`out_of_bounds`), the rules no schema keyword states
(`_validate`), and `parse_settings`, which raises `SettingsError` naming every bad setting."""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mistral_lsp.casing import camel_case, camel_path
from mistral_lsp.options.sections import (
    ActionSettings,
    CompletionSettings,
    FixSettings,
    ToolsSettings,
    default_actions,
)
from mistral_lsp.options.settings import Settings
from mistral_lsp.protocol import ACTION_NAMES

if TYPE_CHECKING:
    import cattrs

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
