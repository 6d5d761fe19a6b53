"""Settings: defaults, camelCase, per-action merging, and messages that name the bad setting."""

from __future__ import annotations

import pytest

from mistral_lsp.options import Settings, SettingsError, parse_settings


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
