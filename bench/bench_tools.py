"""Workspace tools (function calling): what they cost, how fast they answer, how right they are.

`python -m bench.bench_tools [--quick]` prints:

- **cost**: the prompt tokens the tool schemas add to an action that calls no tool (tekken, via
  mistral-common; target < 300), and whether a round's request starts with the previous
  request's tokens (the tools sit inside the cached prefix);
- **rounds**: against the loopback fake, the tokens each tool round adds to the conversation and
  the server-added latency per round (a run with N rounds minus a run without tools, over N), for
  1–3 rounds, p50/p95;
- **speed**: server time per tool call on the index of Go's standard library (apt `golang-src`),
  p50/p95 per tool (target p95 ≤ 10 ms);
- **ground truth** on that corpus: `definition` answers at a location Universal Ctags lists for
  the name, with its defining line; `references` against an independent `grep -w` over the same
  files (comment lines dropped): precision, and recall of the first 30 (the tool's cap).
"""

from __future__ import annotations

import asyncio
import glob
import json
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.targets import Targets
from mistral_lsp.actions.model_call import stream_answer
from mistral_lsp.lookup import TOOL_SCHEMAS, PathGuard, ToolBox, Workspace
from mistral_lsp.lookup.tools import MAX_REFERENCES
from mistral_lsp.mistral import MistralClient
from mistral_lsp.options import parse_settings
from mistral_lsp.syntax.workspace import WorkspaceIndex
from mistral_lsp.testing.fake_api import FakeMistralAPI, Reply

KEY = "sk-bench-" + "0" * 24
SYSTEM = "You fix code. Answer with one fenced code block."


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def schema_cost(targets: Targets) -> None:
    from mistral_common.protocol.instruct.messages import (
        AssistantMessage,
        SystemMessage,
        ToolMessage,
        UserMessage,
    )
    from mistral_common.protocol.instruct.request import ChatCompletionRequest
    from mistral_common.protocol.instruct.tool_calls import Function, FunctionCall, Tool, ToolCall
    from mistral_common.tokens.tokenizers.mistral import MistralTokenizer

    tokenizer = MistralTokenizer.v3(is_tekken=True)
    tools = [Tool(function=Function(**schema["function"])) for schema in TOOL_SCHEMAS]
    code = Path(__file__).read_text()[:4000]
    messages: list[Any] = [SystemMessage(content=SYSTEM), UserMessage(content=f"Fix this:\n```python\n{code}\n```")]

    def tokens(with_tools: bool, conversation: list[Any]) -> list[int]:
        request = ChatCompletionRequest(messages=conversation, tools=tools if with_tools else None)
        return list(tokenizer.encode_chat_completion(request).tokens)

    plain, offered = tokens(False, messages), tokens(True, messages)
    call = ToolCall(id="abcdefghi", function=FunctionCall(name="definition", arguments='{"name": "schema_cost"}'))
    second = tokens(True, [*messages, AssistantMessage(content=None, tool_calls=[call]),
                           ToolMessage(content="bench/bench_tools.py:40\ndef schema_cost(targets): ...",
                                       tool_call_id="abcdefghi", name="definition")])
    added = len(offered) - len(plain)
    shared = second[: len(offered)] == offered
    print("cost (tekken, mistral-common)")
    print(f"  prompt tokens the tool schemas add   {added:6d}    (target < 300; prompt {len(plain)} → {len(offered)})")
    print(f"  round 2 starts with round 1's tokens {'yes' if shared else 'NO':>6}    (the tools are in the cached prefix)")
    targets.at_most("prompt tokens added by the tool schemas", added, 299)
    targets.at_least("round 2's prompt starts with round 1's", 1.0 if shared else 0.0, 1.0)


class BenchEditor:
    """What `stream_answer` needs of an editor, against the fake."""

    def __init__(self, fake: FakeMistralAPI, index: WorkspaceIndex | None) -> None:
        self.settings = parse_settings({"apiKey": KEY, "baseUrl": fake.base_url, "maxRetries": 0})
        self.workspace_index = index
        self.key_hint = "set MISTRAL_API_KEY"
        self._client = MistralClient(**self.settings.client_options())

    def client(self) -> MistralClient:
        return self._client


class Quiet:
    def status(self, message: str) -> None: ...
    def thinking(self) -> None: ...
    def delta(self, text: str) -> None: ...
    def lookup(self, line: str) -> None: ...
    def end(self, message: str, *, error: str | None = None, cancelled: bool = False, hunks: object = None) -> None: ...


async def rounds(index: WorkspaceIndex, root: Path, names: list[str], runs: int) -> None:
    with FakeMistralAPI(api_key=KEY) as fake:
        editor = BenchEditor(fake, index)
        messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "Fix `x`."}]
        from mistral_common.tokens.tokenizers.mistral import MistralTokenizer

        tokenizer = MistralTokenizer.v3(is_tekken=True).instruct_tokenizer.tokenizer
        baseline: list[float] = []
        per_round: dict[int, list[float]] = {1: [], 2: [], 3: []}
        added_tokens: dict[int, list[int]] = {1: [], 2: [], 3: []}
        for run in range(runs):
            fake.enqueue(Reply(text="```python\nx = 1\n```"))
            started = time.perf_counter()
            await stream_answer(editor, "fix", "file:///x.go", Quiet(), messages)  # type: ignore[arg-type]
            baseline.append(time.perf_counter() - started)
            for n in (1, 2, 3):
                for i in range(n):
                    name = names[(run * 3 + i) % len(names)]
                    fake.enqueue(Reply(text="", tool_calls=[{"name": "definition", "arguments": {"name": name}},
                                                            {"name": "references", "arguments": {"name": name}}]))
                fake.enqueue(Reply(text="```python\nx = 1\n```"))
                guard = PathGuard([root], indexed=lambda p: index.get(p) is not None)
                tools = ToolBox(Workspace(index, guard), max_rounds=3)
                before = len(fake.requests)
                started = time.perf_counter()
                await stream_answer(editor, "fix", "file:///x.go", Quiet(), messages, tools=tools)  # type: ignore[arg-type]
                per_round[n].append((time.perf_counter() - started - statistics.median(baseline)) / n)
                bodies = [r.json for r in fake.requests[before:]]
                for k in range(1, len(bodies)):
                    appended = bodies[k]["messages"][len(bodies[k - 1]["messages"]):]
                    added_tokens[n].append(len(tokenizer.encode(json.dumps(appended), bos=False, eos=False)))
        await editor.client().aclose()
    print(f"rounds against the fake ({runs} runs each; 2 parallel calls a round: definition + references)")
    print(f"  no tools (baseline)     total p50 {1000 * statistics.median(baseline):6.1f} ms  p95 {1000 * pct(baseline, .95):6.1f} ms")
    for n in (1, 2, 3):
        values, toks = per_round[n], added_tokens[n]
        print(f"  {n} round{'s' if n > 1 else ' '} server-added/round p50 {1000 * statistics.median(values):6.1f} ms"
              f"  p95 {1000 * pct(values, .95):6.1f} ms   tokens added/round p50 {statistics.median(toks):.0f}"
              f"  p95 {pct([float(t) for t in toks], .95):.0f}")


def go_index() -> tuple[WorkspaceIndex, Path] | None:
    roots = [Path(p) for p in glob.glob("/usr/share/go-*/src")]
    if not roots:
        return None
    index = WorkspaceIndex([roots[0]])
    started = time.perf_counter()
    index.build(40_000)
    print(f"Go standard library: {len(index):,} files indexed in {time.perf_counter() - started:.1f} s")
    return index, roots[0]


def speed(index: WorkspaceIndex, root: Path, names: list[str], targets: Targets) -> None:
    guard = PathGuard([root], indexed=lambda p: index.get(p) is not None)
    paths = index.paths()
    rng = random.Random(7)
    calls: dict[str, list[str]] = {
        "definition": [json.dumps({"name": n}) for n in names],
        "references": [json.dumps({"name": n}) for n in names],
        "read": [json.dumps({"path": index.relative(p), "start": 1 + rng.randrange(50), "end": 200})
                 for p in rng.sample(paths, len(names))],
        "search": [json.dumps({"text": f"{n}("}) for n in names],
    }
    tools = ToolBox(Workspace(index, guard, origin=paths[len(paths) // 2]), max_run_tokens=10**9)
    tools.answer("definition", '{"name": "Println"}')  # the catalog is built once per index version
    print(f"speed: server time per tool call on that index ({len(names)} calls each; first-call catalog build excluded)")
    for tool, arguments in calls.items():
        times = []
        for argument in arguments:
            started = time.perf_counter()
            tools.answer(tool, argument)
            times.append(1000 * (time.perf_counter() - started))
        print(f"  {tool:11s} p50 {statistics.median(times):6.2f} ms  p95 {pct(times, .95):6.2f} ms  max {max(times):6.1f} ms")
        targets.at_most(f"{tool} p95 on Go's standard library", pct(times, .95), 10, " ms")


def truth(index: WorkspaceIndex, root: Path, names: list[str], targets: Targets) -> None:
    guard = PathGuard([root], indexed=lambda p: index.get(p) is not None)
    tools = ToolBox(Workspace(index, guard), max_run_tokens=10**9, max_result_tokens=10**6)
    files = index.paths()
    tags = _ctags(files)
    right = asked = 0
    precision: list[float] = []
    recall: list[float] = []
    for name in names:
        found = tools.answer("definition", json.dumps({"name": name}))
        location = found.text.split("\n", 1)[0]
        asked += 1
        right += location in tags.get(name, set())
        expected = _grep(name, files, index)
        got = {":".join(line.split(":", 2)[:2]) for line in tools.answer("references", json.dumps({"name": name})).text.splitlines()
               if not line.startswith(("(", "error"))}
        if got:
            precision.append(len(got & expected) / len(got))
        if expected:
            recall.append(len(got & expected) / min(len(expected), MAX_REFERENCES))
    print(f"ground truth ({len(names)} names defined in Go's standard library)")
    print(f"  definition at a ctags location with its text   {right}/{asked} ({100 * right / asked:.0f} %)")
    print(f"  references precision vs grep -w                p50 {100 * statistics.median(precision):.0f} %"
          f"  mean {100 * statistics.mean(precision):.1f} %")
    print(f"  references recall@{MAX_REFERENCES} vs grep -w                 p50 {100 * statistics.median(recall):.0f} %"
          f"  mean {100 * statistics.mean(recall):.1f} %")
    targets.at_least("definition found at a ctags location", right / asked, 0.9)
    targets.at_least("references precision (mean)", statistics.mean(precision), 0.95)


def _ctags(files: list[str]) -> dict[str, set[str]]:
    """name → {relative path:line} of every definition Universal Ctags finds."""
    listed = subprocess.run(["ctags", "-x", "--_xformat=%N\t%F\t%n", "-L", "-"], input="\n".join(files),
                            capture_output=True, text=True, check=False).stdout
    out: dict[str, set[str]] = {}
    for line in listed.splitlines():
        parts = line.split("\t")
        if len(parts) == 3:
            root = parts[1]
            out.setdefault(parts[0], set()).add(f"{_relative(root)}:{parts[2]}")
    return out


_ROOT: list[Path] = []


def _relative(path: str) -> str:
    return Path(path).relative_to(_ROOT[0]).as_posix() if _ROOT else path


def _grep(name: str, files: list[str], index: WorkspaceIndex) -> set[str]:
    """`path:line` of the lines `grep -w` finds, comment lines dropped (as the tool does)."""
    found = subprocess.run(["grep", "-nwH", "--", name, *files], capture_output=True, text=True, check=False).stdout
    out = set()
    for line in found.splitlines():
        path, number, text = line.split(":", 2)
        if not text.lstrip().startswith(("//", "/*", "* ", "#")):
            out.add(f"{index.relative(path)}:{number}")
    return out


def main(argv: list[str] | None = None) -> None:
    quick = "--quick" in (argv if argv is not None else sys.argv[1:])
    targets = Targets("bench_tools")
    schema_cost(targets)
    built = go_index()
    if built is None:
        targets.unmeasured("tool calls on Go's standard library", "apt golang-src is missing")
        targets.done()
        return
    index, root = built
    _ROOT.append(root)
    from mistral_lsp.lookup.catalog import catalog_of

    rng = random.Random(21)
    defined = sorted(name for name, found in catalog_of(index).definitions.items() if len(name) > 3)
    names = rng.sample(defined, 40 if quick else 150)
    speed(index, root, names, targets)
    truth(index, root, names[: 20 if quick else 60], targets)
    asyncio.run(rounds(index, root, names, 5 if quick else 20))
    targets.done()


if __name__ == "__main__":
    main()
