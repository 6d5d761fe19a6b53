"""Review rules and the review cache: what a re-run of `mistral-lsp review` costs after one rule changed.

On a temporary git repository of Python standard-library packages (≥ 200 files: asyncio,
email, json, http, logging, urllib, idlelib, multiprocessing and a dozen more; their tests
left out), with two review rules in
`.mistral/rules/` — `no-secrets` for every file and `asyncio-cancellation` for
`asyncio/**/*.py` only — through the real command (a subprocess) and the loopback fake API:

1. the first `review .` on an empty cache: requests, definitions reviewed, prompt tokens
   (the recorded requests counted with `estimate_tokens`; the usage the command reports is the
   fake's, its characters ÷ 4);
2. a re-run with nothing changed (every definition from the cache);
3. a re-run after the body of `asyncio-cancellation` changed: only the asyncio files are sent
   again; the same numbers, and which files were re-reviewed.

Run: `python -m bench.bench_rules`.
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

from mistral_lsp.prompting.tokens import estimate_tokens
from mistral_lsp.testing.fake_api import FakeMistralAPI, Reply

KEY = "bench-key-0123456789"
PACKAGES = ("asyncio", "email", "json", "http", "logging", "urllib", "concurrent", "importlib", "xml",
            "multiprocessing", "idlelib", "unittest", "ctypes", "html", "wsgiref", "sqlite3", "dbm", "collections",
            "tomllib", "zoneinfo", "re")
NO_SECRETS = "---\nid: no-secrets\nseverity: error\ntitle: Never log secrets\n---\nNo password, token or key is logged.\n"
ASYNCIO_RULE = (
    "---\nid: asyncio-cancellation\nseverity: warning\ntitle: Cancellation is propagated\n"
    "globs: [\"asyncio/**/*.py\"]\n---\nA coroutine that catches CancelledError re-raises it.\n"
)


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def build_repository(root: Path) -> int:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    count = 0
    for package in PACKAGES:
        for source in sorted((stdlib / package).rglob("*.py")):
            if "test" in source.parts[len(stdlib.parts):]:
                continue
            target = root / source.relative_to(stdlib)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            count += 1
    rules = root / ".mistral" / "rules"
    rules.mkdir(parents=True)
    (rules / "no-secrets.md").write_text(NO_SECRETS)
    (rules / "asyncio-cancellation.md").write_text(ASYNCIO_RULE)
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    return count


def review(root: Path, env: dict[str, str], fake: FakeMistralAPI) -> dict[str, Any]:
    fake.reset()
    done = subprocess.run([sys.executable, "-I", "-m", "mistral_lsp", "review", ".", "--format", "json",
                           "--fail-on", "never"], cwd=root, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"review failed ({done.returncode}): {done.stderr[-2000:]}")
    report = json.loads(done.stdout)
    chats = [r.json for r in fake.requests if r.path.endswith("/chat/completions")]
    files = sorted({_path_of(chat) for chat in chats})
    return {
        "requests": len(chats),
        "estimated_prompt_tokens": sum(estimate_tokens(str(m["content"])) for c in chats for m in c["messages"]),
        "usage": report["usage"],
        "files": files,
    }


def _path_of(chat: dict[str, Any]) -> str:
    user = str(chat["messages"][1]["content"])
    return user.split("\n", 1)[0]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, FakeMistralAPI(
        api_key=KEY, default_reply=Reply(text='{"findings": []}')
    ) as fake:
        root = Path(tmp) / "repo"
        root.mkdir()
        files = build_repository(root)
        assert files >= 200, f"only {files} files: the measurement needs at least 200"
        env = {k: v for k, v in os.environ.items() if not k.startswith("MISTRAL")}
        env.update(MISTRAL_API_KEY=KEY, MISTRAL_BASE_URL=fake.base_url, MISTRAL_LSP_CACHE_DIR=str(Path(tmp) / "cache"))
        first = review(root, env, fake)
        same = review(root, env, fake)
        rule = root / ".mistral" / "rules" / "asyncio-cancellation.md"
        rule.write_text(ASYNCIO_RULE.replace("re-raises it.", "re-raises it, after its cleanup."))
        changed = review(root, env, fake)
        asyncio_files = sum(1 for p in (root / "asyncio").rglob("*.py"))
        print(f"repository: {files} files of the standard library ({', '.join(PACKAGES)}); "
              f"the changed rule covers asyncio/**/*.py ({asyncio_files} files)")
        for name, run in (("first run", first), ("re-run, nothing changed", same), ("re-run, one rule changed", changed)):
            usage = run["usage"]
            print(f"{name:26} requests {run['requests']:4}  definitions reviewed {usage['reviewedUnits']:5} "
                  f"(cached {usage['cachedUnits']:5} of {usage['units']:5})  prompt tokens: estimated "
                  f"{run['estimated_prompt_tokens']:8,}, as reported {usage['promptTokens']:8,}")
        outside = [f for f in changed["files"] if "asyncio/" not in f]
        print(f"re-reviewed after the rule change: {len(changed['files'])} files, outside asyncio/: {len(outside)}")
        share = changed["estimated_prompt_tokens"] / max(1, first["estimated_prompt_tokens"])
        print(f"re-run after the rule change: {changed['requests'] / max(1, first['requests']):.1%} of the requests, "
              f"{share:.1%} of the prompt tokens of the first run")


if __name__ == "__main__":
    main()
