"""What a review costs, live and through the Batch API, for `mistral-lsp review --batch`.

Serves no LSP method. One table of list prices in US dollars per million tokens (input, output),
from Mistral's pricing page https://mistral.ai/pricing#api-pricing as summarised in June 2026 by
https://developer.puter.com/tutorials/mistral-api-pricing/ ("Batch processing takes 50% off the
per-token rates"). Prices change: a model missing here is reported as "price unknown", never
guessed. Aliases map to the card they name in the model docs.
"""

from __future__ import annotations

import dataclasses

PRICES_SOURCE = "https://mistral.ai/pricing#api-pricing (June 2026)"
BATCH_DISCOUNT = 0.5  # batch inference bills the same tokens at half the live price

# model -> (input, output) in USD per million tokens, live (non-batch).
PRICES: dict[str, tuple[float, float]] = {
    "mistral-medium-3-5": (1.5, 7.5),
    "mistral-medium-latest": (1.5, 7.5),
    "mistral-large-latest": (0.5, 1.5),
    "mistral-large-2512": (0.5, 1.5),
    "mistral-small-latest": (0.1, 0.3),
    "codestral-latest": (0.3, 0.9),
    "codestral-2508": (0.3, 0.9),
    "devstral-latest": (0.4, 2.0),
    "devstral-2512": (0.4, 2.0),
    "devstral-medium-latest": (0.4, 2.0),
    "magistral-medium-latest": (2.0, 5.0),
    "magistral-small-latest": (0.5, 1.5),
}


@dataclasses.dataclass(frozen=True)
class Cost:
    live: float
    batch: float


def cost(model: str, prompt_tokens: int, completion_tokens: int) -> Cost | None:
    """The price of these tokens on `model`, or None when the model's price is not known."""
    price = PRICES.get(model)
    if price is None:
        return None
    live = (prompt_tokens * price[0] + completion_tokens * price[1]) / 1_000_000
    return Cost(live=live, batch=live * BATCH_DISCOUNT)


def describe(model: str, prompt_tokens: int, completion_tokens: int) -> str:
    """`$0.0123 at batch price ($0.0246 live)`, or why there is no figure."""
    found = cost(model, prompt_tokens, completion_tokens)
    if found is None:
        return f"cost unknown (no price for {model} in mistral_lsp/ci/batch_prices.py; see {PRICES_SOURCE})"
    return f"${found.batch:.4f} at batch price (${found.live:.4f} live; prices: {PRICES_SOURCE})"
