"""`mistral-lsp review` with `tools.enabled: true`: the editor's tool loop, confined to the
repository, bounded by `tools.maxRounds` (off by default there)."""

from __future__ import annotations

from mistral_lsp.testing.fake_api import Reply
from tests.cli.conftest import Repo, chat_requests, functions

HELPERS = "def scale(value):\n    return value * 3\n"
APP = "from helpers import scale\n\n\ndef total(value):\n    return scale(value)  # BUG\n"


def test_tools_are_off_by_default_and_on_when_enabled(repo: Repo) -> None:
    repo.write("helpers.py", HELPERS)
    repo.write("app.py", functions(["total"]))
    repo.commit("initial")
    repo.write("app.py", APP)
    (repo.root.parent / "outside.txt").write_text("not for the model\n")

    report, done = repo.review_json("--diff", "HEAD")
    [plain] = chat_requests(repo.fake)
    assert "tools" not in plain.json and [f["path"] for f in report["findings"]] == ["app.py"]

    repo.write("mistral-lsp.toml", "[tools]\nenabled = true\nmaxRounds = 1\n")
    repo.write("app.py", APP.replace("value)  # BUG", "value + 1)  # BUG"))
    calls = [{"id": "defcall01", "name": "definition", "arguments": {"name": "scale"}},
             {"id": "readout02", "name": "read", "arguments": {"path": "../outside.txt", "start": 1, "end": 1}}]
    repo.fake.enqueue(Reply(text="", tool_calls=calls, incremental_tool_calls=True))
    report, done = repo.review_json("--diff", "HEAD")

    first, second = chat_requests(repo.fake)[1:]
    assert first.json["tool_choice"] == "auto" and [t["function"]["name"] for t in first.json["tools"]] == [
        "definition", "references", "read", "search"]
    assert second.json["tool_choice"] == "none"  # maxRounds 1: the model must answer now
    definition, escape = second.json["messages"][-2:]
    assert definition == {"role": "tool", "tool_call_id": "defcall01", "name": "definition",
                          "content": "helpers.py:1\ndef scale(value):\n    return value * 3"}
    assert escape["tool_call_id"] == "readout02" and escape["content"].startswith(
        "error: ../outside.txt: '..' is not allowed; paths stay inside the workspace")
    assert "not for the model" not in str(second.json)
    # The final answer is the review: its finding is reported as without tools.
    assert [(f["path"], f["line"]) for f in report["findings"]] == [("app.py", 5)]
    assert done.returncode == 1
