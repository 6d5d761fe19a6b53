"""Fixtures for the client tests: a loopback fake API per test and clients that never really
sleep between retries (the delays they asked for are recorded instead)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from mistral_lsp.mistral import MistralClient
from mistral_lsp.testing.fake_api import FakeMistralAPI

API_KEY = "sk-client-" + "5e1f3a9c7b2d4e60" * 2

MakeClient = Callable[..., MistralClient]


@pytest.fixture
def fake() -> Iterator[FakeMistralAPI]:
    with FakeMistralAPI(api_key=API_KEY) as api:
        yield api


@pytest.fixture
def sleeps() -> list[float]:
    """The backoff delays clients made by `make_client` asked for."""
    return []


@pytest.fixture
async def make_client(fake: FakeMistralAPI, sleeps: list[float]) -> AsyncIterator[MakeClient]:
    clients: list[MistralClient] = []

    async def record_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    def make(**overrides: Any) -> MistralClient:
        options: dict[str, Any] = {
            "base_url": fake.base_url, "api_key": API_KEY, "sleep": record_sleep,
            "rng": lambda: 1.0, "timeout_seconds": 10.0, **overrides,
        }
        client = MistralClient(**options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
def client(make_client: MakeClient) -> MistralClient:
    return make_client()
