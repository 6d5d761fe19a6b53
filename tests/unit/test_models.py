"""Model resolution: exact ids, aliases, dots vs dashes, unknown names, servers without /models."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from mistral_lsp.mistral import AuthError, MistralClient, ModelCard, ModelNotFoundError
from mistral_lsp.mistral.models import parse_models, resolve_model_name

CARDS = [
    ModelCard("mistral-medium-3-5", ("mistral-medium-3", "mistral-medium-latest"), 262144),
    ModelCard("codestral-2508", ("codestral-latest",), 131072, {"completion_fim": True}),
    ModelCard("devstral-2512", ("devstral-latest", "devstral-medium-latest")),
    ModelCard("mistral-small-2506", ("mistral-small-latest",)),
]


@pytest.mark.parametrize(
    ("name", "resolved"),
    [
        ("mistral-medium-3-5", "mistral-medium-3-5"),
        ("mistral-medium-latest", "mistral-medium-latest"),
        ("codestral-latest", "codestral-latest"),
        ("mistral-medium-3.5", "mistral-medium-3-5"),
        ("Mistral-Medium-3.5", "mistral-medium-3-5"),
        ("mistral_small_2506", "mistral-small-2506"),
    ],
)
def test_names_resolve_to_what_the_server_lists(name: str, resolved: str) -> None:
    assert resolve_model_name(name, CARDS) == resolved


def test_a_dotted_name_matches_a_dashed_alias() -> None:
    cards = [ModelCard("mistral-large-2512", ("mistral-large-3-1",))]
    assert resolve_model_name("mistral-large-3.1", cards) == "mistral-large-3-1"


def test_an_unknown_name_lists_the_closest_ids() -> None:
    with pytest.raises(ModelNotFoundError) as caught:
        resolve_model_name("mistral-medum-3.5", CARDS)
    error = caught.value
    assert error.suggestions[0] == "mistral-medium-3-5"
    assert "mistral-medium-3-5" in str(error)
    assert "'mistral-medum-3.5'" in str(error)
    assert error.hint is not None
    assert "mistral.model" in error.hint


def test_an_unrelated_name_still_lists_some_ids() -> None:
    with pytest.raises(ModelNotFoundError) as caught:
        resolve_model_name("gpt-4o", CARDS)
    assert caught.value.suggestions
    assert set(caught.value.suggestions) <= {card.id for card in CARDS}


def test_cards_from_mistral_vllm_and_ollama() -> None:
    body = {"object": "list", "data": [
        {"id": "mistral-medium-3-5", "object": "model", "aliases": ["mistral-medium-latest"],
         "max_context_length": 262144, "capabilities": {"completion_chat": True, "reasoning": True},
         "deprecation": None},
        {"id": "Qwen/Qwen3-8B", "object": "model", "owned_by": "vllm", "max_model_len": 32768,
         "root": "Qwen/Qwen3-8B", "permission": []},
        {"id": "qwen2.5-coder:7b", "object": "model", "created": 1, "owned_by": "library"},
    ]}
    cards = parse_models(json.dumps(body).encode())
    assert cards[0] == ModelCard("mistral-medium-3-5", ("mistral-medium-latest",), 262144,
                                 {"completion_chat": True, "reasoning": True})
    assert cards[1].max_context_length == 32768
    assert cards[2] == ModelCard("qwen2.5-coder:7b")


def transport(models_status: int, calls: list[str]) -> httpx.MockTransport:
    async def handle(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if models_status != 200:
            return httpx.Response(models_status, json={"detail": "Not Found"})
        return httpx.Response(200, json={"object": "list", "data": [
            {"id": "mistral-medium-3-5", "aliases": ["mistral-medium-latest"]}]})

    return httpx.MockTransport(handle)


async def test_models_are_fetched_once_and_each_name_resolved_once() -> None:
    calls: list[str] = []
    async with MistralClient(base_url="http://api.test/v1", api_key="k",
                             transport=transport(200, calls)) as client:
        names = await asyncio.gather(*(client.resolve_model("mistral-medium-3.5") for _ in range(5)))
        assert names == ["mistral-medium-3-5"] * 5
        assert await client.resolve_model("mistral-medium-latest") == "mistral-medium-latest"
        with pytest.raises(ModelNotFoundError):
            await client.resolve_model("nope")
    assert calls == ["/v1/models"]


@pytest.mark.parametrize("status", [404, 405, 501])
async def test_servers_without_models_pass_the_name_through(status: int) -> None:
    calls: list[str] = []
    async with MistralClient(base_url="http://localhost:8080/v1", api_key=None, backend="openai",
                             transport=transport(status, calls)) as client:
        assert await client.resolve_model("mistral-medium-3.5") == "mistral-medium-3.5"
        assert await client.resolve_model("anything") == "anything"
    assert calls == ["/v1/models"]


async def test_a_rejected_key_while_listing_models_is_reported() -> None:
    calls: list[str] = []
    async with MistralClient(base_url="http://api.test/v1", api_key="k",
                             transport=transport(401, calls)) as client:
        with pytest.raises(AuthError):
            await client.resolve_model("mistral-medium-3.5")
