"""Settings: defaults, camelCase, per-action merging, and messages that name the bad setting."""

from __future__ import annotations

import dataclasses

import pytest

from mistral_lsp.casing import camel_case
from mistral_lsp.options import (
    ActionSettings,
    CompletionSettings,
    Settings,
    SettingsError,
    out_of_bounds,
    parse_settings,
)


def test_defaults() -> None:
    settings = parse_settings({})
    assert settings.model == "mistral-medium-3.5"
    assert settings.review_on_save is False
    assert settings.action("explain").reasoning_effort == "none"
    assert settings.action("fix").reasoning_effort == "high"


def test_camel_case_and_action_merge() -> None:
    settings = parse_settings({"contextTokens": 1000, "actions": {"fix": {"maxTokens": 500}}})
    assert settings.context_tokens == 1000
    assert settings.action("fix").max_tokens == 500
    assert settings.action("fix").reasoning_effort == "high"  # kept from the default


def test_nested_section_and_nulls() -> None:
    settings = parse_settings({"mistral": {"model": "codestral-latest", "contextTokens": None}})
    assert settings.model == "codestral-latest"
    assert settings.context_tokens == Settings().context_tokens


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        ({"contextTokens": "lots"}, "mistral.contextTokens"),
        ({"contextTokens": 3}, "mistral.contextTokens"),
        ({"backend": "anthropic"}, "mistral.backend"),
        ({"actions": {"fix": {"temperature": 4}}}, "mistral.actions.fix.temperature"),
        ({"actions": {"review": {"reasoningEffort": "medium"}}}, "reasoningEffort"),
        ({"reviewOnSave": "yes"}, "mistral.reviewOnSave"),
        ({"baseUrl": "api.mistral.ai"}, "mistral.baseUrl"),
    ],
)
def test_invalid_values_name_the_setting(raw: dict[str, object], named: str) -> None:
    with pytest.raises(SettingsError) as info:
        parse_settings(raw)
    assert any(named in problem for problem in info.value.problems), info.value.problems


def test_review_on_save_per_language() -> None:
    settings = parse_settings({"reviewOnSave": ["python", "go"]})
    assert settings.review_on_save_for("python") and not settings.review_on_save_for("rust")


def test_key_from_env_and_never_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MISTRAL_API_KEY", "sk-env-key-123456")
    settings = parse_settings({})
    assert settings.resolved_api_key() == "sk-env-key-123456"
    settings = parse_settings({"apiKey": "sk-setting-key-987654"})
    assert settings.resolved_api_key() == "sk-setting-key-987654"
    assert "sk-setting-key-987654" not in repr(settings)
    assert "sk-setting-key-987654" not in str(settings.redacted_dict())


def test_base_url_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MISTRAL_BASE_URL", "http://127.0.0.1:9/v1/")
    assert parse_settings({}).resolved_base_url() == "http://127.0.0.1:9/v1"


def test_completion_is_off_by_default_and_merges_partial_objects() -> None:
    settings = parse_settings({})
    assert settings.completion.enabled is False
    assert settings.completion.model == "codestral-latest"
    on = parse_settings({"completion": {"enabled": True, "languages": ["python"]}})
    assert on.completion.enabled_for("python") and not on.completion.enabled_for("go")
    assert on.completion.max_tokens == settings.completion.max_tokens  # the default kept
    assert parse_settings({"completion": {"enabled": True}}).completion.enabled_for("go")
    assert on.redacted_dict()["completion"]["languages"] == ["python"]


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        ({"completion": {"debounceMs": -1}}, "mistral.completion.debounceMs"),
        ({"completion": {"maxTokens": 0}}, "mistral.completion.maxTokens"),
        ({"completion": {"debounceMs": "soon"}}, "mistral.completion.debounceMs"),
    ],
)
def test_bad_completion_settings_are_named(raw: dict[str, object], named: str) -> None:
    with pytest.raises(SettingsError) as caught:
        parse_settings(raw)
    assert any(problem.startswith(named) for problem in caught.value.problems), caught.value.problems


def _bounded_settings() -> list[tuple[str, str, dict[str, object]]]:
    """(wire path, field name, metadata) of every setting with a bound, nested ones included."""
    fields = [("", f) for f in dataclasses.fields(Settings)]
    fields += [("completion.", f) for f in dataclasses.fields(CompletionSettings)]
    fields += [("actions.fix.", f) for f in dataclasses.fields(ActionSettings)]
    bounds = {"minimum", "maximum", "exclusiveMinimum"}
    return [(prefix + camel_case(f.name), f.name, dict(f.metadata)) for prefix, f in fields if bounds & set(f.metadata)]


def _nested(path: str, value: object) -> dict[str, object]:
    head, _, rest = path.partition(".")
    return {head: _nested(rest, value) if rest else value}


@pytest.mark.parametrize(("path", "name", "metadata"), _bounded_settings(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_bound_the_schema_states_is_enforced(path: str, name: str, metadata: dict[str, object]) -> None:
    """The schema (what editors check) and the server refuse the same values."""
    outside: list[float] = []
    inside: list[float] = []
    if isinstance(low := metadata.get("minimum"), (int, float)):
        outside.append(low - 1)
        inside.append(low)
    if isinstance(high := metadata.get("maximum"), (int, float)):
        outside.append(high + 1)
        inside.append(high)
    if isinstance(above := metadata.get("exclusiveMinimum"), (int, float)):
        outside.append(above)
        inside.append(above + 1)
    for value in outside:
        with pytest.raises(SettingsError) as caught:
            parse_settings(_nested(path, value))
        assert [p for p in caught.value.problems if p.startswith(f"mistral.{path}: must be")], caught.value.problems
    for value in inside:
        parse_settings(_nested(path, value))


@dataclasses.dataclass(frozen=True)
class _Future:
    """A setting added later, with its bound written once, in the metadata."""

    delay_ms: int = dataclasses.field(default=10, metadata={"minimum": 5, "maximum": 50})
    ratio: float = dataclasses.field(default=1.0, metadata={"exclusiveMinimum": 0})
    per_action: dict[str, ActionSettings] = dataclasses.field(default_factory=dict)


def test_a_bound_written_only_in_the_metadata_is_enforced() -> None:
    assert out_of_bounds(_Future()) == []
    assert out_of_bounds(_Future(delay_ms=4, ratio=0, per_action={"fix": ActionSettings(temperature=2)})) == [
        "mistral.delayMs: must be between 5 and 50",
        "mistral.ratio: must be greater than 0",
        "mistral.perAction.fix.temperature: must be between 0 and 1.5",
    ]
