"""Settings: the `mistral` configuration section as defaulted dataclasses behind a cattrs converter.

Settings reach the server three ways — `initializationOptions`, `workspace/configuration`
(section `mistral`) and `workspace/didChangeConfiguration` — and all three go through
`parse_settings`, which raises `SettingsError` listing one message per bad setting (named as
the user wrote it); the server shows those and keeps its last good values.

Each field's `metadata` describes the setting for `docs/protocol.schema.json` and the editors'
settings UIs generated from it (`description`; `order`, the place in VS Code's settings editor;
`minimum` / `maximum` / `exclusiveMinimum`, the bounds, which `out_of_bounds` enforces from
there; `secret`, never an editor setting). A rule no schema keyword states (a URL's scheme, a
non-empty model) is written in `parsing._validate`; no rule is written twice. The class is
`settings.py`'s, reading a raw section into it `parsing.py`'s.

The API key is held in `Settings.api_key` but is excluded from `repr` and from
`redacted_dict`, so it cannot leak into logs by printing the settings.
"""

from mistral_lsp.options.parsing import SettingsError, out_of_bounds, parse_settings
from mistral_lsp.options.sections import (
    DEFAULT_COMPLETION_MODEL,
    ActionSettings,
    CompletionSettings,
    FixSettings,
    ToolsSettings,
)
from mistral_lsp.options.settings import (
    DEFAULT_BASE_URL,
    DEFAULT_MODEL,
    DEFAULT_REVIEW_EXCLUDE,
    Settings,
)

__all__ = [
    "DEFAULT_BASE_URL", "DEFAULT_COMPLETION_MODEL", "DEFAULT_MODEL", "DEFAULT_REVIEW_EXCLUDE",
    "ActionSettings", "CompletionSettings", "FixSettings", "Settings", "SettingsError", "ToolsSettings",
    "out_of_bounds", "parse_settings",
]
