"""`python -m tools.complexity`: fail when a function is more complex than a newcomer can hold.

`make lint` runs it next to ruff's C901 (mccabe): the limit is stated in radon's terms, the
measure issue #20 and the code-health notes use, and ruff keeps the same limit in the editor.
It lists every function, method and class over the limit with its file, line and complexity,
and exits 1 if there is one.

    python -m tools.complexity [--max 15] [PATH ...]   (default: mistral_lsp tools)
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from radon.complexity import cc_visit
from radon.visitors import Function

MAX_COMPLEXITY = 15
DEFAULT_PATHS = ("mistral_lsp", "tools")


class Hotspot(NamedTuple):
    path: Path
    line: int
    name: str
    complexity: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.name} has complexity {self.complexity}"


def python_files(paths: Iterable[str]) -> Iterator[Path]:
    for name in paths:
        path = Path(name)
        yield from sorted(path.rglob("*.py")) if path.is_dir() else [path]


def hotspots(paths: Iterable[str], limit: int = MAX_COMPLEXITY) -> list[Hotspot]:
    found = []
    for path in python_files(paths):
        # What `radon cc` lists: functions, methods (also listed on their own) and classes. A
        # class's figure sums its methods', and a closure counts in its function's: each
        # function and method is judged on its own.
        for block in cc_visit(path.read_text(encoding="utf-8")):
            if isinstance(block, Function) and block.complexity > limit:
                found.append(Hotspot(path, block.lineno, block.fullname, block.complexity))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.complexity", description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", default=list(DEFAULT_PATHS))
    parser.add_argument("--max", type=int, default=MAX_COMPLEXITY, help="highest complexity allowed")
    args = parser.parse_args(argv)
    found = hotspots(args.paths, args.max)
    for spot in found:
        print(spot)
    if found:
        print(f"{len(found)} function(s) over radon complexity {args.max}: split them into named steps",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
