"""`mistral-lsp review --all` live against `--all --batch`: requests, tokens and estimated cost.

A counting script, not a timing one (no p50/p95, so not in `python -m bench`'s list): on a
temporary git repository of at least 200 Python files copied from this interpreter's standard
library, through the real command (a subprocess) and the loopback fake API (answering "no
findings"), each on an empty review cache:

1. `review --all`: the live chat requests;
2. `review --all --batch`: the HTTP calls (upload, job, polls, downloads) and the JSONL's lines;
3. `review --all` again after the batch: what the review cache leaves to send (nothing).

Prompt tokens are the recorded requests' message contents counted with
`mistral_lsp.prompting.tokens.estimate_tokens` (and Mistral's tekken tokenizer when
mistral-common is installed); "reported" tokens are the usage the command prints, here the
fake's (characters ÷ 4), not a tokenizer's count. Costs use `ci/batch_prices.py`.

Run: `python -m bench.bench_review_batch` (`BENCH_FILES` sets how many files, default 220).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

from mistral_lsp.ci.batch_prices import cost
from mistral_lsp.prompting.tokens import estimate_tokens, exact_tokens, has_exact_tokenizer
from mistral_lsp.testing.fake_api import FakeMistralAPI, Reply

KEY = "bench-key-0123456789"
MODEL = "mistral-medium-3-5"


def stdlib_files(count: int) -> list[Path]:
    """`count` Python files of the standard library, tests left out, in a stable order."""
    lib = Path(sysconfig.get_paths()["stdlib"])
    found = []
    for path in sorted(lib.rglob("*.py")):
        parts = set(path.relative_to(lib).parts)
        if parts & {"test", "tests", "site-packages", "idle_test", "__pycache__"} or path.stat().st_size > 60_000:
            continue
        found.append(path)
        if len(found) == count:
            break
    return found


def make_repository(root: Path, count: int) -> int:
    lib = Path(sysconfig.get_paths()["stdlib"])
    files = stdlib_files(count)
    for source in files:
        target = root / source.relative_to(lib)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    for args in (["init", "-q", "-b", "main"], ["add", "-A"],
                 ["-c", "user.email=b@example.com", "-c", "user.name=b", "commit", "-q", "-m", "stdlib"]):
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)
    return len(files)


def review(root: Path, env: dict[str, str], *args: str) -> tuple[dict[str, Any], str]:
    done = subprocess.run([sys.executable, "-I", "-m", "mistral_lsp", "review", *args, "--format", "json"],
                          cwd=root, env=env, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1) or not done.stdout:
        raise SystemExit(f"review {' '.join(args)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return json.loads(done.stdout), done.stderr


def prompt_counts(bodies: list[dict[str, Any]]) -> tuple[int, int | None]:
    texts = ["\n".join(str(m.get("content")) for m in body["messages"]) for body in bodies]
    estimated = sum(estimate_tokens(text) for text in texts)
    exact = sum(exact_tokens(text) for text in texts) if has_exact_tokenizer() else None
    return estimated, exact


def row(name: str, requests: int, calls: int, bodies: list[dict[str, Any]], usage: dict[str, Any], batch: bool) -> str:
    estimated, exact = prompt_counts(bodies)
    price = cost(MODEL, usage["promptTokens"], usage["completionTokens"])
    money = "price unknown" if price is None else f"${price.batch if batch else price.live:.4f}"
    tekken = "n/a" if exact is None else str(exact)
    return (f"{name:<22} {requests:>8} {calls:>10} {estimated:>14} {tekken:>13} "
            f"{usage['promptTokens']:>15} {usage['completionTokens']:>17} {money:>10}")


def main() -> None:
    count = int(os.environ.get("BENCH_FILES", "220"))
    with tempfile.TemporaryDirectory() as tmp, FakeMistralAPI(api_key=KEY, default_reply=Reply(text='{"findings": []}')) as fake:
        root = Path(tmp) / "repo"
        root.mkdir()
        files = make_repository(root, count)
        base = {k: v for k, v in os.environ.items() if not k.startswith(("MISTRAL", "GITHUB_"))}
        base.update(MISTRAL_API_KEY=KEY, MISTRAL_BASE_URL=fake.base_url, MISTRAL_LSP_BATCH_POLL_SECONDS="0.05")

        live, _ = review(root, {**base, "MISTRAL_LSP_CACHE_DIR": f"{tmp}/cache-live"}, "--all")
        live_calls = [r for r in fake.requests if r.path.endswith("/chat/completions")]
        fake.reset()
        batch, stderr = review(root, {**base, "MISTRAL_LSP_CACHE_DIR": f"{tmp}/cache-batch"}, "--all", "--batch")
        batch_calls = fake.requests
        [job] = fake.batches.jobs.values()
        lines = fake.batches.files[job.input_files[0]].content.decode().splitlines()
        fake.reset()
        again, _ = review(root, {**base, "MISTRAL_LSP_CACHE_DIR": f"{tmp}/cache-batch"}, "--all")
        rerun_calls = [r for r in fake.requests if r.path.endswith("/chat/completions")]

        print(f"{files} files, {live['usage']['units']} definitions; model {MODEL}; "
              f"tekken tokenizer: {'yes' if has_exact_tokenizer() else 'no (mistral-common not installed)'}")
        print(f"{'run':<22} {'requests':>8} {'HTTP calls':>10} {'prompt (est.)':>14} {'prompt tekken':>13} "
              f"{'reported prompt':>15} {'reported complet.':>17} {'cost':>10}")
        print(row("--all live", len(live_calls), len(live_calls), [r.json for r in live_calls], live["usage"], False))
        print(row("--all --batch", len(lines), len(batch_calls), [json.loads(x)["body"] for x in lines], batch["usage"], True))
        print(row("--all after batch", len(rerun_calls), len(rerun_calls), [r.json for r in rerun_calls], again["usage"], False))
        print_command_lines(batch_calls, stderr)


def print_command_lines(calls: list[Any], stderr: str) -> None:
    print("batch polls:", sum(1 for r in calls if r.method == "GET" and "/batch/jobs/" in r.path))
    print("the command's own lines:", *(line for line in stderr.splitlines() if "batch" in line), sep="\n  ")


if __name__ == "__main__":
    main()
