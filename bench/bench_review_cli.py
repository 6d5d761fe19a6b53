"""`mistral-lsp review`: what a 10-definition diff costs against a whole-file review of the same files.

On a temporary git repository of 5 Python files (about 300 lines and 20 definitions each),
with 2 definitions changed in each file (10 in all), through the real command (a subprocess)
and the loopback fake API:

1. `review --diff HEAD` against `review <the 5 files>` (each on an empty cache): requests,
   prompt tokens of the recorded requests — counted with `mistral_lsp.prompting.tokens.estimate_tokens`,
   and with Mistral's tekken tokenizer when mistral-common is installed — and the usage the
   command reports, which here is the fake's: its characters ÷ 4 ("fake-estimated tokens"),
   not a tokenizer's count;
2. the wall time of a re-run over the same diff, all from the cache (0 requests) — p50/p95,
   with a same-run baseline: `python -m mistral_lsp --version` (the interpreter's start-up).

Run: `python -m bench.bench_review_cli` (or `make bench`). `BENCH_RUNS` sets the repetitions.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.bench_review import pct, prompt_tokens, realistic_python_file
from mistral_lsp.prompting.tokens import exact_tokens, has_exact_tokenizer
from mistral_lsp.testing.fake_api import FakeMistralAPI, Reply

KEY = "bench-key-0123456789"
FILES = 5


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def _review(root: Path, env: dict[str, str], *args: str) -> tuple[dict[str, Any], float]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-I", "-m", "mistral_lsp", "review", *args, "--format", "json"],
                          cwd=root, env=env, capture_output=True, text=True, check=False)
    elapsed = (time.perf_counter() - started) * 1000
    if done.returncode not in (0, 1):
        raise SystemExit(f"review failed ({done.returncode}): {done.stderr}")
    return json.loads(done.stdout), elapsed


def tekken_tokens(request: dict[str, Any]) -> int | None:
    """The request's message contents counted by tekken, or None without mistral-common."""
    if not has_exact_tokenizer():
        return None
    text = "\n".join(
        m["content"] if isinstance(m.get("content"), str) else json.dumps(m.get("content"))
        for m in request["messages"]
    )
    return exact_tokens(text)


def _edit(text: str, file_index: int) -> str:
    """Two definitions changed: a method of the first class and one of the second."""
    for i, m in ((0, 0), (1, 2)):
        old = f"returns the new level (rule {i}.{m})."
        assert old in text
        text = text.replace(old, f"returns the new level (rule {i}.{m}, edited in file {file_index}).")
    return text


def main() -> None:
    runs = int(os.environ.get("BENCH_RUNS", "5"))
    fake = FakeMistralAPI(api_key=KEY, default_reply=Reply(text='{"findings": []}')).start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder) / "repo"
            root.mkdir()
            _git(root, "init", "-q")
            _git(root, "config", "user.email", "bench@example.com")
            _git(root, "config", "user.name", "bench")
            names = [f"module_{n}.py" for n in range(FILES)]
            for name in names:
                (root / name).write_text(realistic_python_file(300))
            _git(root, "add", "-A")
            _git(root, "commit", "-q", "-m", "initial")
            for n, name in enumerate(names):
                (root / name).write_text(_edit((root / name).read_text(), n))

            def env(cache: str) -> dict[str, str]:
                return {**os.environ, "MISTRAL_API_KEY": KEY, "MISTRAL_BASE_URL": fake.base_url,
                        "MISTRAL_LSP_CACHE_DIR": str(Path(folder) / cache)}

            def chats() -> list[dict[str, Any]]:
                return [r.json for r in fake.requests if r.path.endswith("/chat/completions")]

            results = {}
            for label, cache, args in (("diff", "cache-diff", ["--diff", "HEAD"]),
                                       ("whole files", "cache-whole", names)):
                before = len(chats())
                report, _ = _review(root, env(cache), *args)
                sent = chats()[before:]
                exact = [tekken_tokens(r) for r in sent]
                tekken = sum(n for n in exact if n is not None) if None not in exact else None
                results[label] = (report["usage"], len(sent), sum(prompt_tokens(r) for r in sent), tekken)
            diff_usage, diff_requests, diff_tokens, _ = results["diff"]
            whole_usage, whole_requests, whole_tokens, _ = results["whole files"]
            print(f"{FILES} files, {diff_usage['units']} changed definitions "
                  f"(of {whole_usage['units']} units in those files)")
            for label, (usage, requests, tokens, tekken) in results.items():
                counted = f"{tekken:>6} (tekken)" if tekken is not None else "(tekken: mistral-common not installed)"
                print(f"  {label:<12} {requests} requests, prompt tokens {tokens:>6} (estimated) / {counted}; "
                      f"usage reported by the fake: {usage['promptTokens']:>6} prompt + {usage['completionTokens']}"
                      " completion (fake-estimated tokens: its characters ÷ 4)")
            print(f"  diff / whole files: prompt tokens {diff_tokens / whole_tokens:.1%}, "
                  f"requests {diff_requests}/{whole_requests}")

            rerun, base = [], []
            for _ in range(runs):
                before = len(chats())
                report, elapsed = _review(root, env("cache-diff"), "--diff", "HEAD")
                assert len(chats()) == before and report["usage"]["cachedUnits"] == diff_usage["units"]
                rerun.append(elapsed)
                started = time.perf_counter()
                subprocess.run([sys.executable, "-m", "mistral_lsp", "--version"], check=True,
                               capture_output=True)
                base.append((time.perf_counter() - started) * 1000)
            print(f"re-run over the same diff, all from the cache (0 requests), {runs} runs:")
            print(f"  review --diff HEAD   p50 {pct(rerun, 50):7.0f} ms  p95 {pct(rerun, 95):7.0f} ms")
            print(f"  baseline --version   p50 {pct(base, 50):7.0f} ms  p95 {pct(base, 95):7.0f} ms")
            print(f"  ratio p50 {pct(rerun, 50) / pct(base, 50):.2f}x")
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
