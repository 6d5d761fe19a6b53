"""`python -m bench`: every benchmark in turn (each prints p50/p95 against a same-run baseline)."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = [
    "bench.bench_context", "bench.bench_server", "bench.bench_completion", "bench.bench_review",
    "bench.bench_review_cli", "bench.bench_recall", "bench.bench_workspace",
]

for name in BENCHMARKS:
    print(f"\n### {name}")
    sys.stdout.flush()
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        print(f"(missing: {exc})")
        continue
    main = getattr(module, "main", None)
    if main is None:
        continue
    import asyncio
    import inspect

    if inspect.iscoroutinefunction(main):
        asyncio.run(main())
    else:
        main()
