"""One rule for what CI is: a missing prerequisite fails there, whichever spelling CI uses."""

from __future__ import annotations

import pytest

from tests.ci import is_ci, missing


@pytest.mark.parametrize("value", ["1", "true", "TRUE", "yes", "Yes", " true "])
def test_every_usual_spelling_of_ci_is_ci(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CI", value)
    assert is_ci()
    with pytest.raises(pytest.fail.Exception, match=r"prerequisite missing.*install nvim"):
        missing("install nvim")


@pytest.mark.parametrize("value", [None, "", "0", "false", "no"])
def test_outside_ci_a_missing_prerequisite_skips(monkeypatch: pytest.MonkeyPatch, value: str | None) -> None:
    if value is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", value)
    assert not is_ci()
    with pytest.raises(pytest.skip.Exception, match="install nvim"):
        missing("install nvim")
