"""The protocol's one source and what is generated from it.

- The committed generated files (`docs/protocol.schema.json`, the Neovim plugin's
  `lua/mistral/protocol.lua`, the VS Code `package.json` settings block) are what
  `python -m tools.protocol_codegen` makes from `mistral_lsp/protocol.py` and `options/` now.
  (The extension's `src/generated/protocol.ts` is checked by its vitest suite, which
  tests/editors/test_vscode.py runs.)
- The schema is valid JSON Schema 2020-12 and agrees with the server: its settings accept what
  `parse_settings` accepts, its action table is the server's.
- `docs/protocol.md` names no command, setting or field the schema lacks.
"""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

import jsonschema
import pytest

from mistral_lsp import protocol
from mistral_lsp.options import SettingsError, parse_settings
from tools.protocol_codegen.__main__ import REPO, SCHEMA, generated, stale

DOC = REPO / "docs" / "protocol.md"


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    text = generated()[SCHEMA]
    result: dict[str, Any] = json.loads(text)
    return result


def _validator(schema: dict[str, Any], name: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator({**schema, "$ref": f"#/$defs/{name}"})


def test_generated_files_are_fresh() -> None:
    paths = [str(path.relative_to(REPO)) for path in stale()]
    assert paths == [], f"stale generated files {paths}: run `make generate`"


def test_schema_is_valid_2020_12(schema: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_action_table_is_the_servers(schema: dict[str, Any]) -> None:
    assert [a["command"] for a in schema["x-actions"]] == [s.command for s in protocol.ACTIONS]
    for action in schema["x-actions"]:
        _validator(schema, "ActionSpec").validate(action)
    commands = {c["command"] for c in schema["x-commands"]}
    assert {s.command for s in protocol.ACTIONS} <= commands
    assert protocol.CANCEL in commands and protocol.APPLY_SUGGESTION in commands


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"contextTokens": 256},
        {"contextTokens": 100},
        {"maxRetries": 10},
        {"maxRetries": 11},
        {"timeoutSeconds": 0},
        {"backend": "vllm"},
        {"backend": "openai", "model": "devstral"},
        {"reviewOnSave": ["python", "go"]},
        {"reviewOnSave": "yes"},
        {"actions": {"fix": {"temperature": 2}}},
        {"actions": {"fix": {"temperature": 0.2, "maxTokens": None}}},
        {"actions": {"explain": {"reasoningEffort": "medium"}}},
        {"actions": {"bogus": {}}},
        {"actions": {"tests": {"maxTokens": 0}}},
        {"reviewExclude": ["**/gen/**"]},
    ],
)
def test_settings_schema_accepts_what_the_server_accepts(
    schema: dict[str, Any], settings: dict[str, Any]
) -> None:
    try:
        parse_settings(settings)
        server_accepts = True
    except SettingsError:
        server_accepts = False
    schema_accepts = _validator(schema, "Settings").is_valid(settings)
    assert schema_accepts == server_accepts


def test_settings_defaults_are_the_servers(schema: dict[str, Any]) -> None:
    properties = schema["$defs"]["Settings"]["properties"]
    server = parse_settings({})
    assert properties["model"]["default"] == server.model
    assert properties["contextTokens"]["default"] == server.context_tokens
    assert properties["reviewExclude"]["default"] == server.review_exclude
    for name in ("review", "explain", "fix", "tests"):
        default = properties["actions"]["properties"][name]["default"]
        assert default["reasoningEffort"] == server.action(name).reasoning_effort


# -- docs/protocol.md -----------------------------------------------------------------------------


def _section(doc: str, title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}.*?$(.*?)(?=^## |\Z)", doc, re.M | re.S)
    assert match, f"docs/protocol.md has no section {title!r}"
    return match.group(1)


def _first_column(table_text: str) -> list[str]:
    rows = [line for line in table_text.splitlines() if line.startswith("| `")]
    return [row.split("|")[1].strip().strip("`") for row in rows]


def _expand(key: str, actions: list[str]) -> list[str]:
    """`actions.{review,explain}.x` and `actions.{…}.x` as the keys they stand for."""
    match = re.search(r"\{([^}]*)\}", key)
    if not match:
        return [key]
    names = actions if match.group(1) == "…" else match.group(1).split(",")
    return [key[: match.start()] + name + key[match.end() :] for name in names]


def _setting_exists(schema: dict[str, Any], key: str) -> bool:
    node = schema["$defs"]["Settings"]
    for part in key.split("."):
        if "$ref" in node:
            node = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
        properties = node.get("properties", {})
        if part not in properties:
            return False
        node = properties[part]
    return True


def problems(doc: str, schema: dict[str, Any]) -> list[str]:
    """What `doc` names that the schema lacks: commands, settings, argument and result fields."""
    defs = schema["$defs"]
    found: list[str] = []
    commands = {c["command"]: c for c in schema["x-commands"]}
    # `mistral.x` is a command; `mistral.<setting>` (`mistral.apiKey`, `mistral.completion.enabled`)
    # names a setting of the section.
    for name in sorted(set(re.findall(r"`(mistral(?:\.\w+)+)`", doc))):
        if name not in commands and not _setting_exists(schema, name.removeprefix("mistral.")):
            found.append(f"command or setting {name}")
    actions = [a["name"] for a in schema["x-actions"]]
    settings = schema["$defs"]["Settings"]["properties"]
    for key in _first_column(_section(doc, "Settings")):
        for leaf in _expand(key, actions):
            if not _setting_exists(schema, leaf):
                found.append(f"setting {leaf}")
        row = next(r for r in doc.splitlines() if r.startswith(f"| `{key}` |"))
        documented = re.split(r"(?<!\\)\|", row)[3].strip().strip("`")
        try:
            value = json.loads(documented)
        except ValueError:
            continue  # described in words ("env `MISTRAL_API_KEY`")
        if key in settings and settings[key].get("default") != value:
            found.append(f"default of {key}: {documented}")
    commands_section = _section(doc, "Commands")
    arguments = defs["ActionArguments"]["properties"]
    field_table = commands_section.split("| field |", 1)[1].split("\n\n", 1)[0]
    for field in _first_column(field_table):
        if field not in arguments:
            found.append(f"argument field {field}")
    # The other commands' table: `{id?}` arguments and `{applied, message?}` results.
    for row in commands_section.splitlines():
        match = re.match(r"\| `(mistral\.\w+)` \| (.*?) \| (.*) \|$", row)
        if not match or match.group(1) not in commands:
            continue
        command = commands[match.group(1)]
        for column, part in ((match.group(2), "arguments"), (match.group(3), "result")):
            ref = command[part]
            names = set()
            for braces in re.findall(r"`?\{([^}]*)\}`?", column):
                names |= {re.split(r"[?:\s]", n.strip())[0] for n in braces.split(",") if n.strip()}
            props = defs[ref["$ref"].rsplit("/", 1)[1]]["properties"] if ref else {}
            found += [f"{part} field {name} of {command['command']}" for name in sorted(names - set(props))]
    # JSON examples: every key is a field of one of the schema's types.
    fields = set(itertools.chain.from_iterable(d.get("properties", {}) for d in defs.values()))
    for block in re.findall(r"```json\n(.*?)```", doc, re.S):
        found += [f"field {key}" for key in re.findall(r'"(\w+)":', block) if key not in fields]
    for key in re.findall(r'[{,]\s*"(\w+)"', _section(doc, "While a command runs")):
        if key not in defs["StreamNotification"]["properties"]:
            found.append(f"stream field {key}")
    return found


def test_protocol_md_names_only_what_the_schema_has(schema: dict[str, Any]) -> None:
    assert problems(DOC.read_text(encoding="utf-8"), schema) == []


def test_the_doc_check_finds_what_the_schema_lacks(schema: dict[str, Any]) -> None:
    doc = DOC.read_text(encoding="utf-8")
    doc = doc.replace("| `contextTokens` |", "| `contextTokenz` |")
    doc = doc.replace("| `showResult` |", "| `showResults` |")
    doc = doc.replace("| `reviewDebounceMs` | int | 1500 |", "| `reviewDebounceMs` | int | 1000 |")
    doc = doc.replace("`mistral.rejectFix` | `{id, hunks?}`", "`mistral.rejectFix` | `{ids, hunks?}`")
    doc += "\nRun `mistral.frobnicate`.\n"
    assert problems(doc, schema) == [
        "command or setting mistral.frobnicate",
        "setting contextTokenz",
        "default of reviewDebounceMs: 1000",
        "argument field showResults",
        "arguments field ids of mistral.rejectFix",
    ]


def test_lua_table_names_every_action_command() -> None:
    lua = (REPO / "editors" / "neovim" / "lua" / "mistral" / "protocol.lua").read_text()
    for spec in protocol.ACTIONS:
        assert f"command = '{spec.command}'" in lua
    assert "---@class mistral.protocol.ActionArguments" in lua
