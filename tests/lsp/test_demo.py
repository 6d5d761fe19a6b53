"""The README's run command: `mistral-lsp demo` works offline from a clean environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_offline_demo_reviews_fixes_and_writes_tests(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MISTRAL_")}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    result = subprocess.run(
        [sys.executable, "-m", "mistral_lsp", "demo", "--workdir", str(tmp_path / "demo")],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("OFFLINE demo")
    assert "inventory.py:24: error: Discount divided by 10" in out
    assert "+        return total - total * discount_percent / 100" in out
    source = (tmp_path / "demo" / "inventory.py").read_text()
    assert "total += item.price * item.quantity" in source
    tests = (tmp_path / "demo" / "tests" / "test_inventory.py").read_text()
    assert "def test_total_value_counts_quantity" in tests
