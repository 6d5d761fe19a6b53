"""The retry schedule: exponential backoff with full jitter, Retry-After, retry count, deadline."""

from __future__ import annotations

import email.utils

import pytest

from mistral_lsp.mistral.retry import Backoff, parse_retry_after


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def schedule(backoff: Backoff, clock: FakeClock, retry_after: float | None = None) -> list[float]:
    """Every delay the backoff grants, sleeping each on the fake clock."""
    delays = []
    while (delay := backoff.next_delay(retry_after)) is not None:
        delays.append(delay)
        clock.sleep(delay)
    return delays


def test_delays_double_from_half_a_second_up_to_the_cap() -> None:
    clock = FakeClock()
    backoff = Backoff.start(max_retries=7, timeout=1000, clock=clock, rng=lambda: 1.0)
    assert schedule(backoff, clock) == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


def test_full_jitter_scales_the_whole_delay() -> None:
    clock = FakeClock()
    backoff = Backoff.start(max_retries=3, timeout=1000, clock=clock, rng=lambda: 0.25)
    assert schedule(backoff, clock) == [0.125, 0.25, 0.5]


def test_no_more_than_max_retries() -> None:
    clock = FakeClock()
    backoff = Backoff.start(max_retries=2, timeout=1000, clock=clock, rng=lambda: 1.0)
    assert len(schedule(backoff, clock)) == 2
    assert backoff.retries == 2


def test_zero_retries_means_fail_at_once() -> None:
    clock = FakeClock()
    backoff = Backoff.start(max_retries=0, timeout=1000, clock=clock, rng=lambda: 1.0)
    assert backoff.next_delay() is None


def test_retry_after_replaces_the_backoff() -> None:
    clock = FakeClock()
    backoff = Backoff.start(max_retries=3, timeout=1000, clock=clock, rng=lambda: 0.0)
    assert schedule(backoff, clock, retry_after=3.0) == [3.0, 3.0, 3.0]


def test_no_wait_is_started_that_would_end_past_the_deadline() -> None:
    clock = FakeClock()
    backoff = Backoff.start(max_retries=10, timeout=5, clock=clock, rng=lambda: 1.0)
    # 0.5 + 1 + 2 = 3.5 s elapsed; the next 4 s wait would end at 7.5 s > 5 s.
    assert schedule(backoff, clock) == [0.5, 1.0, 2.0]
    assert clock.now - 100.0 == pytest.approx(3.5)


def test_retry_after_beyond_the_deadline_gives_up_immediately() -> None:
    clock = FakeClock()
    backoff = Backoff.start(max_retries=3, timeout=5, clock=clock, rng=lambda: 1.0)
    assert backoff.next_delay(retry_after=30.0) is None
    assert backoff.retries == 0


def test_time_spent_in_attempts_counts_against_the_deadline() -> None:
    clock = FakeClock()
    backoff = Backoff.start(max_retries=3, timeout=5, clock=clock, rng=lambda: 1.0)
    clock.sleep(4.8)  # a slow first attempt
    assert backoff.next_delay() is None
    assert backoff.remaining() == pytest.approx(0.2)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("2", 2.0), (" 1.5 ", 1.5), ("0", 0.0), ("-3", 0.0), ("soon", None), ("", None), (None, None)],
)
def test_retry_after_in_seconds(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header) == seconds


def test_retry_after_as_an_http_date() -> None:
    now = 1_760_000_000.0
    in_30_s = email.utils.formatdate(now + 30, usegmt=True)
    assert parse_retry_after(in_30_s, now=lambda: now) == pytest.approx(30.0)
    past = email.utils.formatdate(now - 30, usegmt=True)
    assert parse_retry_after(past, now=lambda: now) == 0.0
