"""When to retry a failed call and how long to wait first.

Exponential backoff with full jitter (base 0.5 s, factor 2, cap 8 s) unless the server says
`Retry-After`, bounded both by a retry count and by the call's total deadline: a wait that would
end past the deadline is not started, so the caller fails fast instead of sleeping in vain.
The clock and the random source are injected so the schedule is testable without waiting.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from dataclasses import dataclass

# The statuses the official SDK retries; everything else is the caller's mistake or final.
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


def parse_retry_after(value: str | None, *, now: Callable[[], float] = time.time) -> float | None:
    """`Retry-After` as seconds from now: delta-seconds or an HTTP date; None when unusable."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        seconds = when.timestamp() - now()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


@dataclass
class Backoff:
    """Retry bookkeeping for one call: `next_delay()` says how long to wait, or None to give up."""

    max_retries: int
    deadline: float
    clock: Callable[[], float]
    rng: Callable[[], float]
    base: float = 0.5
    factor: float = 2.0
    cap: float = 8.0
    retries: int = 0

    @classmethod
    def start(
        cls,
        *,
        max_retries: int,
        timeout: float,
        clock: Callable[[], float],
        rng: Callable[[], float],
    ) -> Backoff:
        return cls(max_retries=max_retries, deadline=clock() + timeout, clock=clock, rng=rng)

    def remaining(self) -> float:
        return max(0.0, self.deadline - self.clock())

    def next_delay(self, retry_after: float | None = None) -> float | None:
        """The wait before the next attempt, counting it as used; None when out of retries/time."""
        if self.retries >= self.max_retries:
            return None
        if retry_after is not None:
            delay = max(0.0, retry_after)
        else:
            delay = self.rng() * min(self.cap, self.base * self.factor**self.retries)
        if self.clock() + delay >= self.deadline:
            return None
        self.retries += 1
        return delay
