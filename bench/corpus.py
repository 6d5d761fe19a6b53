"""Real code no one here wrote, for the recall and scale benchmarks, and how to get it.

Everything comes from Debian and npm packages (installed by `ensure()` when missing and
`apt-get` / `npm` are there; the benchmark says what is missing otherwise):

| language | source | package |
| --- | --- | --- |
| python | the interpreter's standard library | (the venv's Python) |
| go | Go's standard library | apt `golang-src` |
| c | example programs of zlib, nettle, xmlsec, liblzma, libpng | (their -dev packages) |
| cpp | googletest (macro-heavy), CLI11 (plain modern C++) | apt `googletest`, `libcli11-dev` |
| rust | regex, regex-syntax, memchr, aho-corasick crates | apt `librust-regex-dev` |
| java | the JDK's `java.base` sources | apt `openjdk-17-source` |
| ruby | Ruby's standard library | apt `ruby` |
| lua | Penlight | apt `lua-penlight` |
| php | Symfony Console | apt `php-symfony-console` |
| bash | git and dpkg helper scripts, bash-completion | (git, dpkg), apt `bash-completion` |
| typescript, javascript | rxjs 7.8.2 sources (`src/`) and its ESM build; mobx's sources; moment's `src/lib` | npm `rxjs`, `mobx`, `moment` (`npm pack`) |
| csharp | Microsoft.ReactNative.Managed and its code generator | npm `react-native-windows` (`npm pack`) |

Ground truth comes from Python's `ast` and Universal Ctags (apt `universal-ctags`).
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sysconfig
import zipfile
from pathlib import Path

CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "mistral-lsp-bench"
APT_PACKAGES = (
    "universal-ctags", "golang-src", "googletest", "libcli11-dev", "librust-regex-dev", "openjdk-17-source", "ruby",
    "lua-penlight", "php-symfony-console", "bash-completion",
)
RXJS = "rxjs@7.8.2"
NPM_SOURCES = (
    # (package, folder under CACHE, what to extract)
    ("react-native-windows@0.76.9", "react-native-windows", "*.cs"),  # Microsoft.ReactNative.Managed's C#
    ("mobx@7.1.3", "mobx", "package/src/*"),  # TypeScript sources
    ("moment@2.31.0", "moment", "package/src/lib/*"),  # hand-written ES modules
)


def ensure() -> list[str]:
    """Install what is missing (if this machine can); returns what is still missing."""
    missing = [p for p in APT_PACKAGES if not _dpkg_installed(p)]
    if missing and shutil.which("apt-get") and os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=False, capture_output=True)
        missing = [p for p in APT_PACKAGES if not _dpkg_installed(p)]
    rxjs = CACHE / "package"
    if not rxjs.exists() and shutil.which("npm"):
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "pack", RXJS, "--silent"], cwd=CACHE, check=False, capture_output=True)
        for tarball in CACHE.glob("rxjs-*.tgz"):
            subprocess.run(["tar", "xzf", str(tarball)], cwd=CACHE, check=False)
    if not rxjs.exists():
        missing.append(f"npm {RXJS}")
    for package, folder, wanted in NPM_SOURCES:
        target = CACHE / folder
        if not (target / "package").exists() and shutil.which("npm"):
            target.mkdir(parents=True, exist_ok=True)
            subprocess.run(["npm", "pack", package, "--silent"], cwd=target, check=False, capture_output=True)
            for tarball in target.glob("*.tgz"):
                subprocess.run(["tar", "xzf", str(tarball), "--wildcards", wanted], cwd=target, check=False)
                tarball.unlink()
        if not (target / "package").exists():
            missing.append(f"npm {package}")
    return missing


def _dpkg_installed(package: str) -> bool:
    out = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True, check=False)
    return "install ok installed" in out.stdout


def _java_base() -> Path | None:
    target = CACHE / "java.base"
    if target.exists():
        return target
    for zip_path in glob.glob("/usr/lib/jvm/*17*/lib/src.zip"):
        with zipfile.ZipFile(zip_path) as archive:
            names = [n for n in archive.namelist() if n.startswith("java.base/java/util/") and n.endswith(".java")]
            archive.extractall(CACHE, names)
        return target
    return None


def files(language: str) -> list[Path]:
    """The corpus files of `language` (sorted; empty when its package is missing)."""
    patterns: list[str] = {
        "python": [sysconfig.get_paths()["stdlib"] + "/*.py", sysconfig.get_paths()["stdlib"] + "/*/*.py"],
        "go": ["/usr/share/go-*/src/*/*.go", "/usr/share/go-*/src/*/*/*.go"],
        "c": ["/usr/share/doc/*/examples/*.c", "/usr/share/go-*/misc/cgo/*/testdata/*.c"],
        "cpp": ["/usr/src/googletest/*/src/*.cc", "/usr/src/googletest/*/include/*/*.h", "/usr/include/CLI/*.hpp"],
        "rust": ["/usr/share/cargo/registry/*/src/*.rs", "/usr/share/cargo/registry/*/src/*/*.rs"],
        "java": [str(CACHE / "java.base/java/util/*.java")],
        "ruby": ["/usr/lib/ruby/3.*/*.rb", "/usr/lib/ruby/3.*/*/*.rb"],
        "lua": ["/usr/share/lua/5.4/pl/*.lua"],
        "php": ["/usr/share/php/Symfony/Component/Console/*.php", "/usr/share/php/Symfony/Component/Console/*/*.php"],
        "bash": [
            "/usr/share/doc/git/contrib/**/*.sh", "/usr/share/dpkg/sh/*.sh", "/usr/share/ucf/*.sh",
            "/usr/share/bash-completion/bash_completion", "/usr/share/bash-completion/completions/*",
        ],
        "typescript": [str(CACHE / "package/src/internal/**/*.ts"), str(CACHE / "mobx/package/src/**/*.ts")],
        "csharp": [str(CACHE / "react-native-windows/package/**/*.cs")],
        "javascript": [str(CACHE / "package/dist/esm/internal/**/*.js"), str(CACHE / "moment/package/src/lib/**/*.js")],
    }.get(language, [])
    if language == "java":
        _java_base()
    out = {Path(p) for pattern in patterns for p in glob.glob(pattern, recursive=True)}
    return sorted(p for p in out if "_test" not in p.name and "/test" not in str(p) and p.stat().st_size < 400_000)
