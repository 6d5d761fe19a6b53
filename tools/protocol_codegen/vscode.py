"""The `contributes.configuration` block of `editors/vscode/package.json` from the schema.

Every server setting becomes a `mistral.<key>` property (per action: `mistral.actions.<name>.
<field>`), with its type, bounds, default, order and description — `markdownDescription` when
the text has backticks. The extension's own settings (`EXTENSION_ONLY`) are kept as written.
A nullable string with a null default (`baseUrl`) is contributed as a string defaulting to
`""`, which the extension treats as unset. `reviewOnSave` (a boolean or a list of languages)
is contributed as a checkbox, since VS Code's settings editor has no control for either-or
types; its list half is the extension's own `reviewOnSaveLanguages` (a list editor), which the
extension folds back into `reviewOnSave` for the server.
"""

from __future__ import annotations

import json
from typing import Any

EXTENSION_ONLY = (
    "serverPath",
    "interpreter",
    "installIndexUrl",
    "installFindLinks",
    "previewFixes",
    "reviewOnSaveLanguages",
    "trace.server",
)
# Settings whose VS Code shape differs from the server's (see the module docstring).
VSCODE_SHAPES: dict[str, dict[str, Any]] = {
    "mistral.reviewOnSave": {
        "type": "boolean",
        "default": False,
        "markdownDescription": (
            "Review the changed definitions on save. `#mistral.reviewOnSaveLanguages#` limits it "
            "to some languages. `Mistral: Toggle Review on Save` (or the status bar menu) flips it "
            "for this workspace until this setting changes."
        ),
    },
}
COPIED = ("type", "enum", "items", "anyOf", "minimum", "maximum", "exclusiveMinimum", "default")


def _resolve_ref(defs: dict[str, Any], prop: dict[str, Any]) -> dict[str, Any]:
    """`prop` with a `$ref` to a plain type (an enum such as `ReasoningEffort`) inlined, so the
    settings editor shows a dropdown instead of "Edit in settings.json"."""
    ref = prop.get("$ref", "")
    target = defs.get(ref.rsplit("/", 1)[-1]) if ref.startswith("#/$defs/") else None
    if not target or "properties" in target:
        return prop
    inlined = {key: value for key, value in target.items() if key in COPIED}
    return {**inlined, **{key: value for key, value in prop.items() if key != "$ref"}}


def _property(prop: dict[str, Any], order: int | None, label: str | None = None) -> dict[str, Any]:
    out = {key: prop[key] for key in COPIED if key in prop}
    if out.get("type") == ["string", "null"] and out.get("default") is None:
        out["type"], out["default"] = "string", ""
    if isinstance(out.get("default"), float) and out["default"].is_integer():
        out["default"] = int(out["default"])
    text = prop.get("description", "")
    if label:
        text = f"{label}: {text[:1].lower()}{text[1:]}"
    if text:
        out["markdownDescription" if "`" in text else "description"] = text
    if "x-enumDescriptions" in prop:
        out["enumDescriptions"] = prop["x-enumDescriptions"]
    if order is not None:
        out["order"] = order
    return out


def _nested_object(defs: dict[str, Any], prop: dict[str, Any]) -> dict[str, Any] | None:
    """The fields of a setting that is a group of settings (a `$ref` to an object), else None."""
    ref = prop.get("$ref", "")
    target = defs.get(ref.rsplit("/", 1)[-1]) if ref.startswith("#/$defs/") else None
    properties = target.get("properties") if target else None
    return properties if isinstance(properties, dict) else None


def server_properties(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The `mistral.*` properties of every server setting an editor may set."""
    defs = schema["$defs"]
    settings = defs["Settings"]["properties"]
    action_fields = defs["ActionSettings"]["properties"]
    out: dict[str, dict[str, Any]] = {}
    for key, prop in settings.items():
        if prop.get("x-secret"):
            continue
        order = prop.get("x-order")
        if key == "actions":
            for i, action in enumerate(schema["x-actions"]):
                defaults = prop["properties"][action["name"]]["default"]
                for j, (field, field_prop) in enumerate(action_fields.items()):
                    out[f"mistral.actions.{action['name']}.{field}"] = _property(
                        {**_resolve_ref(defs, field_prop), "default": defaults[field]},
                        None if order is None else order + 10 * i + j,
                        action["label"],
                    )
            continue
        nested = _nested_object(defs, prop)
        if nested is not None:
            # A group of settings (`completion.enabled`…): one property per field, as VS Code
            # merges dotted keys back into the object the server reads.
            for j, (field, field_prop) in enumerate(nested.items()):
                out[f"mistral.{key}.{field}"] = _property(
                    {**_resolve_ref(defs, field_prop), "default": prop["default"][field]}, None if order is None else order + j
                )
            continue
        out[f"mistral.{key}"] = _property(_resolve_ref(defs, prop), order)
    for key, shape in VSCODE_SHAPES.items():
        if key in out:
            kept = {k: v for k, v in out[key].items() if k in ("order",)}
            out[key] = {**shape, **kept}
    return out


def render(schema: dict[str, Any], package_json: str) -> str:
    """package.json with its settings block regenerated (the rest untouched)."""
    package = json.loads(package_json)
    configuration = package["contributes"]["configuration"]
    kept = {
        key: value
        for key, value in configuration["properties"].items()
        if key.removeprefix("mistral.") in EXTENSION_ONLY
    }
    merged = {**kept, **server_properties(schema)}
    configuration["properties"] = dict(
        sorted(merged.items(), key=lambda item: (item[1].get("order", 1000), item[0]))
    )
    return json.dumps(package, indent=2, ensure_ascii=False) + "\n"
