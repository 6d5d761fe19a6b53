"""The fast token estimate against Mistral's tekken tokenizer, on real code."""

from __future__ import annotations

import statistics
import sysconfig
from pathlib import Path

import pytest

from mistral_lsp.prompting.tokens import estimate_tokens, exact_tokens, has_exact_tokenizer
from tests.ci import missing

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "languages"
STDLIB = Path(sysconfig.get_paths()["stdlib"])
STDLIB_MODULES = ["functools.py", "json/decoder.py", "textwrap.py", "shutil.py"]


def corpus() -> list[str]:
    texts = [path.read_text(encoding="utf-8") for path in sorted(FIXTURES.iterdir())]
    texts += [(STDLIB / name).read_text(encoding="utf-8") for name in STDLIB_MODULES if (STDLIB / name).exists()]
    # Excerpts too: context sections are a few lines, not whole files.
    for text in list(texts):
        lines = text.split("\n")
        texts += ["\n".join(lines[i : i + 12]) for i in range(0, min(len(lines), 120), 40) if "".join(lines[i : i + 12]).strip()]
    return texts


@pytest.fixture(scope="module")
def tekken() -> None:
    if not has_exact_tokenizer():
        missing("mistral-common is not installed: pip install 'mistral-lsp[tokenizer]' (in the dev extra)")


@pytest.mark.usefixtures("tekken")
def test_estimate_is_within_a_few_percent_of_tekken_on_code_in_fourteen_languages() -> None:
    texts = corpus()
    exact = [exact_tokens(text) or 0 for text in texts]
    estimate = [estimate_tokens(text) for text in texts]
    errors = [(e - x) / x for e, x in zip(estimate, exact, strict=True)]
    mean_abs = statistics.mean(abs(e) for e in errors)
    assert mean_abs < 0.10, f"mean |error| {mean_abs:.1%}"
    assert max(abs(e) for e in errors) < 0.40
    assert abs(sum(estimate) - sum(exact)) / sum(exact) < 0.05


@pytest.mark.usefixtures("tekken")
def test_emoji_heavy_text_is_not_badly_underestimated() -> None:
    text = 'print("✅ done 🎉🚀 — all good 😀")\n' * 5
    exact = exact_tokens(text)
    assert exact is not None
    assert estimate_tokens(text) >= 0.8 * exact


def test_estimate_edge_cases() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("x") == 1
    assert estimate_tokens("-" * 600) >= 600 // 12  # degenerate runs never count as nothing
    assert estimate_tokens("a" * 10) <= 10
    assert estimate_tokens("\ud800 lone surrogate") > 0  # from a bad JSON string: no crash


def test_estimate_grows_with_the_text() -> None:
    line = "    total += record.bump(helper(record.count))\n"
    assert estimate_tokens(line * 100) == pytest.approx(100 * estimate_tokens(line), rel=0.1)
