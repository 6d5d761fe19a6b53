"""`mistral-lsp doctor`: the resolved settings (key redacted), then the key and model checked live.

Exit status 0 when the API accepts the key and serves the model, 1 otherwise, with the reason
and the fix on stderr.
"""

from __future__ import annotations

import asyncio
import json
import sys

from mistral_lsp.mistral import MistralClient, MistralError
from mistral_lsp.options import Settings, SettingsError, parse_settings


def run_doctor(settings_json: str | None) -> int:
    try:
        raw = json.loads(settings_json) if settings_json else {}
        settings = parse_settings(raw)
    except (ValueError, SettingsError) as exc:
        problems = exc.problems if isinstance(exc, SettingsError) else [f"--settings is not JSON: {exc}"]
        for problem in problems:
            print(f"✗ {problem}", file=sys.stderr)
        return 1
    print("mistral-lsp settings:")
    for key, value in settings.redacted_dict().items():
        print(f"  {key}: {json.dumps(value)}")
    if not settings.resolved_api_key() and settings.backend == "mistral":
        print("✗ no API key: set MISTRAL_API_KEY or mistral.apiKey", file=sys.stderr)
        return 1
    return asyncio.run(_check_api(settings))


async def _check_api(settings: object) -> int:
    assert isinstance(settings, Settings)
    # A check answers quickly: one retry, 30 s at most.
    client = MistralClient(**{
        **settings.client_options(), "timeout_seconds": min(settings.timeout_seconds, 30.0), "max_retries": 1,
    })
    try:
        models = await client.models()
        print(f"✓ {settings.resolved_base_url()} accepted the key ({len(models)} models)")
        model = await client.resolve_model(settings.model)
        print(f"✓ model {settings.model!r} resolves to {model!r}")
        return 0
    except MistralError as exc:
        print(f"✗ {exc}", file=sys.stderr)
        return 1
    finally:
        await client.aclose()
