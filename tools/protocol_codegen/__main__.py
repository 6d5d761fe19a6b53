"""Writes (or with `--check`, verifies) the files generated from the protocol's one source.

    python -m tools.protocol_codegen [--check]

From `mistral_lsp/protocol.py` and `mistral_lsp/options/`: `docs/protocol.schema.json`; from
that schema: the Neovim plugin's `lua/mistral/protocol.lua` and the settings block of the VS
Code extension's `package.json`. The extension's TypeScript (`src/generated/protocol.ts`) is
written from the schema by `npm run generate` in editors/vscode (json-schema-to-typescript);
`make generate` runs both.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tools.protocol_codegen import lua, vscode
from tools.protocol_codegen.schema import build_schema

REPO = Path(__file__).resolve().parents[2]
SCHEMA = REPO / "docs" / "protocol.schema.json"
LUA = REPO / "editors" / "neovim" / "lua" / "mistral" / "protocol.lua"
PACKAGE_JSON = REPO / "editors" / "vscode" / "package.json"


def render_schema() -> str:
    return json.dumps(build_schema(), indent=2, ensure_ascii=False) + "\n"


def generated() -> dict[Path, str]:
    """Every generated file's path and the text it should hold."""
    text = render_schema()
    schema = json.loads(text)
    return {
        SCHEMA: text,
        LUA: lua.render(schema),
        PACKAGE_JSON: vscode.render(schema, PACKAGE_JSON.read_text(encoding="utf-8")),
    }


def stale() -> list[Path]:
    """The generated files whose committed text differs from what the sources give."""
    return [
        path
        for path, text in generated().items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.protocol_codegen")
    parser.add_argument("--check", action="store_true", help="fail when a generated file is stale")
    args = parser.parse_args(argv)
    if args.check:
        paths = stale()
        for path in paths:
            print(f"stale: {path.relative_to(REPO)} (run `make generate`)", file=sys.stderr)
        return 1 if paths else 0
    for path, text in generated().items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
