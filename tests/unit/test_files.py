"""`files.write_atomically`: whole files, with the mode a plain write would give them."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from mistral_lsp.files import current_umask, write_atomically


@pytest.fixture
def umask_027() -> Iterator[None]:
    previous = os.umask(0o027)
    try:
        yield
    finally:
        os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_file_honours_the_umask(tmp_path: Path, umask_027: None) -> None:
    path = tmp_path / "test_cart.py"
    write_atomically(path, b"def test_x():\n    pass\n")
    assert path.read_bytes() == b"def test_x():\n    pass\n"
    assert _mode(path) == 0o640  # 0666 minus the umask, as open() would make it; not mkstemp's 0600
    assert [p.name for p in tmp_path.iterdir()] == ["test_cart.py"]  # no temporary file left


def test_an_existing_file_keeps_its_mode(tmp_path: Path, umask_027: None) -> None:
    path = tmp_path / "script.sh"
    path.write_bytes(b"old")
    path.chmod(0o755)
    write_atomically(path, b"new")
    assert path.read_bytes() == b"new"
    assert _mode(path) == 0o755


def test_the_umask_is_read_without_changing_it(umask_027: None) -> None:
    assert current_umask() == 0o027
    assert current_umask() == 0o027
