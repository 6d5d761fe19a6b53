"""`make lint`'s complexity limit (tools/complexity.py): it fails naming every function over 15."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.complexity import main


def _function(name: str, branches: int) -> str:
    """A function whose radon complexity is `branches + 1`."""
    body = "".join(f"    if x == {i}:\n        return {i}\n" for i in range(branches))
    return f"def {name}(x):\n{body}    return -1\n"


def test_a_function_over_the_limit_fails_the_lint_by_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    method = "".join(f"    {line}\n" for line in _function("method", 16).replace("(x)", "(self, x)").splitlines())
    text = _function("at_the_limit", 14) + "\n\n" + _function("over_the_limit", 15) + "\n\nclass Holder:\n" + method
    module = tmp_path / "module.py"
    module.write_text(text)
    line = {name: text.splitlines().index(header) + 1
            for name, header in (("over", "def over_the_limit(x):"), ("method", "    def method(self, x):"))}

    assert main([str(tmp_path)]) == 1

    assert capsys.readouterr().out.splitlines() == [
        f"{module}:{line['over']}: over_the_limit has complexity 16",
        f"{module}:{line['method']}: Holder.method has complexity 17",
    ]


def test_functions_within_the_limit_pass(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "module.py").write_text(_function("at_the_limit", 14))
    assert main([str(tmp_path)]) == 0
    assert capsys.readouterr().out == ""
