"""The benchmarks' stated targets, enforced: a missed target fails the run.

Each benchmark makes one `Targets`, checks every figure it states a target for, and calls
`done()` at the end: it prints what was missed and raises `TargetMissed`, a `SystemExit` with
status 1, so `python -m bench.bench_x` exits non-zero. `python -m bench` runs every benchmark
anyway and exits non-zero at the end, naming the missed targets. A figure that could not be
measured (no corpus, NaN) is a miss too: an unverified target is not a met one.
"""

from __future__ import annotations

import math


class TargetMissed(SystemExit):
    """One or more targets of a benchmark were missed (exit status 1)."""

    def __init__(self, bench: str, missed: list[str]) -> None:
        super().__init__(1)
        self.bench = bench
        self.missed = missed


class Targets:
    """The targets one benchmark checked, and those it missed."""

    def __init__(self, bench: str) -> None:
        self.bench = bench
        self.checked = 0
        self.missed: list[str] = []

    def at_most(self, what: str, value: float, limit: float, unit: str = "") -> bool:
        """`value` ≤ `limit`; a NaN is a miss."""
        return self._check(what, value, limit, unit, value <= limit, "≤")

    def at_least(self, what: str, value: float, limit: float, unit: str = "") -> bool:
        """`value` ≥ `limit`; a NaN is a miss."""
        return self._check(what, value, limit, unit, value >= limit, "≥")

    def unmeasured(self, what: str, why: str) -> None:
        """A stated target that could not be measured on this machine."""
        self.checked += 1
        self.missed.append(f"{what}: not measured ({why})")

    def _check(self, what: str, value: float, limit: float, unit: str, ok: bool, sign: str) -> bool:
        self.checked += 1
        if ok and not math.isnan(value):
            return True
        self.missed.append(f"{what}: {value:.4g}{unit}, target {sign} {limit:g}{unit}")
        return False

    def done(self) -> None:
        """Print the outcome; raise `TargetMissed` when a target was missed."""
        if self.missed:
            print(f"TARGETS MISSED ({self.bench}): {len(self.missed)} of {self.checked}")
            for miss in self.missed:
                print(f"  - {miss}")
            raise TargetMissed(self.bench, list(self.missed))
        print(f"targets met ({self.bench}): {self.checked} of {self.checked}")
