"""Model cards from `GET /v1/models` and resolving a configured name to a served id.

Users write `mistral-medium-3.5` (the marketing name) while the API lists `mistral-medium-3-5`;
resolution accepts an exact id or alias, then the same name with dots, underscores and case
normalised, and otherwise fails naming the closest ids so the fix is one copy-paste away.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mistral_lsp.mistral.errors import ModelNotFoundError, StreamError


@dataclass(frozen=True)
class ModelCard:
    id: str
    aliases: tuple[str, ...] = ()
    max_context_length: int | None = None
    capabilities: Mapping[str, bool] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ModelCard:
        aliases = data.get("aliases")
        capabilities = data.get("capabilities")
        # vLLM calls the context length max_model_len.
        context = data.get("max_context_length", data.get("max_model_len"))
        return cls(
            id=str(data["id"]),
            aliases=tuple(a for a in aliases if isinstance(a, str))
            if isinstance(aliases, list) else (),
            max_context_length=context if isinstance(context, int) else None,
            capabilities={k: v for k, v in capabilities.items() if isinstance(v, bool)}
            if isinstance(capabilities, Mapping) else {},
        )


def parse_models(body: bytes) -> list[ModelCard]:
    """Cards of a `{"object":"list","data":[…]}` body (a bare list is accepted too)."""
    try:
        data = json.loads(body)
    except ValueError:
        raise StreamError(f"malformed model list from the server: {body[:120]!r}") from None
    entries = data.get("data") if isinstance(data, Mapping) else data
    if not isinstance(entries, list):
        raise StreamError("malformed model list from the server: no 'data' list")
    return [
        ModelCard.from_json(entry)
        for entry in entries
        if isinstance(entry, Mapping) and isinstance(entry.get("id"), str)
    ]


def _normalise(name: str) -> str:
    return name.strip().lower().replace(".", "-").replace("_", "-")


def resolve_model_name(name: str, cards: Sequence[ModelCard]) -> str:
    """The id or alias the server lists for `name`; raises `ModelNotFoundError` naming the closest."""
    for card in cards:
        if name == card.id or name in card.aliases:
            return name
    wanted = _normalise(name)
    for card in cards:
        if _normalise(card.id) == wanted:
            return card.id
    for card in cards:
        for alias in card.aliases:
            if _normalise(alias) == wanted:
                return alias
    ids = sorted({card.id for card in cards})
    by_normalised: dict[str, str] = {}
    for card in cards:
        for candidate in (card.id, *card.aliases):
            by_normalised.setdefault(_normalise(candidate), card.id)
    close = difflib.get_close_matches(wanted, list(by_normalised), n=8, cutoff=0.5)
    suggestions = list(dict.fromkeys(by_normalised[c] for c in close))[:3] or ids[:3]
    listing = ", ".join(suggestions) if suggestions else "none"
    raise ModelNotFoundError(
        f"model {name!r} is not available on this server (closest: {listing})",
        "set mistral.model to one of the ids listed by GET /v1/models",
        model=name,
        suggestions=suggestions,
    )
