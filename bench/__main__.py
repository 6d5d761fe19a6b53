"""`python -m bench`: every benchmark in turn (each prints p50/p95 against a same-run baseline).

Every benchmark runs even after one missed a target; the run then exits 1, naming each missed
target (`bench/targets.py`), so `make bench` fails.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import sys

from bench.targets import TargetMissed

BENCHMARKS = [
    "bench.bench_context", "bench.bench_server", "bench.bench_completion", "bench.bench_review",
    "bench.bench_review_cli", "bench.bench_recall", "bench.bench_workspace", "bench.bench_tools",
    "bench.bench_first_second",
]


def run(names: list[str]) -> int:
    """Run the benchmarks `names`; 1 when a target was missed or a benchmark could not run."""
    failed: list[str] = []
    for name in names:
        print(f"\n### {name}")
        sys.stdout.flush()
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            print(f"(missing: {exc})")
            failed.append(f"{name}: could not run (missing {exc.name})")
            continue
        main = getattr(module, "main", None)
        if main is None:
            continue
        try:
            if inspect.iscoroutinefunction(main):
                asyncio.run(main())
            else:
                main()
        except TargetMissed as missed:
            failed += [f"{name}: {miss}" for miss in missed.missed]
    if failed:
        print(f"\n{len(failed)} target(s) missed:")
        for line in failed:
            print(f"  - {line}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(run(BENCHMARKS))
