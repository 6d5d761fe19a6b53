"""`docs/protocol.schema.json` from the typed protocol: a small walker over attrs and dataclasses.

There is no kept attrs→JSON-Schema library, so this walks `attrs.fields` / `dataclasses.fields`
with `typing.get_type_hints`, names every class and enum a `$defs` entry, and takes descriptions
from attribute docstrings (the string under a field), or for settings from field metadata.
lsprotocol's classes (Range, Diagnostic, WorkspaceEdit, ...) are walked the same way, so the
schema is complete on its own.

Optional fields: the server leaves out fields that are `None`, so in results and notifications
an optional field is simply not required. In what editors send (command arguments, settings)
`null` is a value with a meaning (`"range": null` reviews the file; `temperature: null` is the
model's default), so there the type keeps `null`.
"""

from __future__ import annotations

import ast
import collections.abc
import dataclasses
import enum
import inspect
import textwrap
import types as pytypes
import typing
from typing import Any

import attrs

from mistral_lsp import options, protocol
from mistral_lsp.casing import camel_case

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID = "https://mistral-lsp.invalid/protocol.schema.json"

# Literal aliases keep their names as `$defs` (typing resolves them to bare Literals).
NAMED_LITERALS: dict[Any, str] = {
    protocol.ActionName: "ActionName",
    protocol.ReasoningEffort: "ReasoningEffort",
}

# Field metadata keys of `options` copied into the schema as they are.
SCHEMA_KEYWORDS = ("minimum", "maximum", "exclusiveMinimum")

SCALARS: dict[Any, str] = {type(None): "null", bool: "boolean", int: "integer", float: "number", str: "string"}


def metadata_keywords(metadata: collections.abc.Mapping[str, Any]) -> dict[str, Any]:
    """What a settings field's metadata adds to its schema: bounds as they are, and the
    editors' extensions (`x-order`, `x-enumDescriptions`, `x-secret`)."""
    out = {keyword: metadata[keyword] for keyword in SCHEMA_KEYWORDS if keyword in metadata}
    if "order" in metadata:
        out["x-order"] = metadata["order"]
    if "enumDescriptions" in metadata:
        out["x-enumDescriptions"] = list(metadata["enumDescriptions"])
    if metadata.get("secret"):
        out["x-secret"] = True
    return out


def attribute_docs(cls: type) -> dict[str, str]:
    """The docstrings written under a class's annotated fields, by field name."""
    try:
        source = textwrap.dedent(inspect.getsource(cls))
    except (OSError, TypeError):
        return {}
    node = ast.parse(source).body[0]
    assert isinstance(node, ast.ClassDef)
    docs: dict[str, str] = {}
    for stmt, after in zip(node.body, node.body[1:], strict=False):
        if (
            isinstance(stmt, ast.AnnAssign)
            and isinstance(stmt.target, ast.Name)
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            docs[stmt.target.id] = inspect.cleandoc(after.value.value)
    return docs


def class_doc(cls: type) -> str | None:
    doc = cls.__dict__.get("__doc__")
    return inspect.cleandoc(doc) if isinstance(doc, str) and doc.strip() else None


@dataclasses.dataclass
class _Field:
    name: str
    type: Any
    required: bool
    default: Any
    description: str | None
    metadata: collections.abc.Mapping[str, Any]


_NO_DEFAULT = object()


def _fields(cls: type) -> list[_Field]:
    hints = typing.get_type_hints(cls)
    docs = attribute_docs(cls)
    out: list[_Field] = []
    if attrs.has(cls):
        for a in attrs.fields(cls):
            default: Any = a.default
            if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
                default = default.factory()
            required = a.default is attrs.NOTHING
            out.append(_Field(a.name, hints[a.name], required,
                              _NO_DEFAULT if required else default, docs.get(a.name), a.metadata))
    else:
        for f in dataclasses.fields(cls):
            if f.default is not dataclasses.MISSING:
                default = f.default
            elif f.default_factory is not dataclasses.MISSING:
                default = f.default_factory()
            else:
                default = _NO_DEFAULT
            description = f.metadata.get("description") or docs.get(f.name)
            out.append(_Field(f.name, hints[f.name], default is _NO_DEFAULT, default,
                              description, f.metadata))
    return out


def to_json(value: Any) -> Any:
    """A default as it travels: camelCase keys, tuples as lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {camel_case(f.name): to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if attrs.has(type(value)):
        return {camel_case(a.name): to_json(getattr(value, a.name)) for a in attrs.fields(type(value))}
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}  # keys are data (action names)
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    return value


class Walker:
    """Turns Python types into JSON Schema, collecting every named type in `defs`."""

    def __init__(self, nullable_classes: collections.abc.Set[type]) -> None:
        self.defs: dict[str, dict[str, Any]] = {}
        self.nullable_classes = nullable_classes

    def ref(self, name: str) -> dict[str, Any]:
        return {"$ref": f"#/$defs/{name}"}

    def schema_of(self, tp: Any, *, nullable: bool = True) -> dict[str, Any]:
        if tp in NAMED_LITERALS:
            return self.named_literal(tp)
        if tp is Any or tp is object:
            return {}
        if tp in SCALARS:
            return {"type": SCALARS[tp]}
        origin, args = typing.get_origin(tp), typing.get_args(tp)
        if origin is typing.Literal:
            return self.literal(args)
        if origin is typing.Union or origin is pytypes.UnionType:
            return self.union(args, nullable=nullable)
        if origin in (list, tuple, collections.abc.Sequence):
            return {"type": "array", "items": self.schema_of(args[0], nullable=nullable)}
        if origin in (dict, collections.abc.Mapping):
            return {"type": "object", "additionalProperties": self.schema_of(args[1], nullable=nullable)}
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            return self.enum(tp)
        if isinstance(tp, type) and (attrs.has(tp) or dataclasses.is_dataclass(tp)):
            return self.object(tp)
        raise TypeError(f"no JSON Schema for {tp!r}")

    def named_literal(self, tp: Any) -> dict[str, Any]:
        name = NAMED_LITERALS[tp]
        if name not in self.defs:
            self.defs[name] = {"title": name, **self.literal(typing.get_args(tp))}
        return self.ref(name)

    def union(self, args: tuple[Any, ...], *, nullable: bool) -> dict[str, Any]:
        """`X | None` is X where `null` means nothing (`nullable` False); a union of plain
        types is one `type` list; any other union is `anyOf`."""
        members = [a for a in args if nullable or a is not type(None)]
        schemas = [self.schema_of(a, nullable=nullable) for a in members]
        if len(schemas) == 1:
            return schemas[0]
        if all(set(s) == {"type"} and isinstance(s["type"], str) for s in schemas):
            return {"type": [s["type"] for s in schemas]}
        return {"anyOf": schemas}

    def literal(self, values: tuple[Any, ...]) -> dict[str, Any]:
        kind = {str: "string", int: "integer", bool: "boolean"}[type(values[0])]
        if len(values) == 1:
            return {"type": kind, "const": values[0]}
        return {"type": kind, "enum": list(values)}

    def enum(self, cls: type[enum.Enum]) -> dict[str, Any]:
        name = cls.__name__
        if name not in self.defs:
            values = [member.value for member in cls]
            kind = "integer" if all(isinstance(v, int) for v in values) else "string"
            schema: dict[str, Any] = {"title": name, "type": kind, "enum": values,
                                      "x-enumNames": [member.name for member in cls]}
            if doc := class_doc(cls):
                schema["description"] = doc
            if cls.__module__.startswith("lsprotocol"):
                schema["x-lsp"] = True
            self.defs[name] = schema
        return self.ref(name)

    def object(self, cls: type) -> dict[str, Any]:
        name = cls.__name__
        if name in self.defs:
            return self.ref(name)
        schema: dict[str, Any] = {"title": name, "type": "object"}
        self.defs[name] = schema  # placed first: recursive types refer to it
        if doc := class_doc(cls):
            schema["description"] = doc
        ours = cls.__module__.startswith("mistral_lsp")
        if not ours:
            schema["x-lsp"] = True  # lsprotocol's: editors have their own definitions
        nullable = cls in self.nullable_classes
        fields = _fields(cls)
        schema["properties"] = {camel_case(f.name): self.property(f, ours=ours, nullable=nullable) for f in fields}
        if required := [camel_case(f.name) for f in fields if f.required]:
            schema["required"] = required
        return self.ref(name)

    def property(self, field: _Field, *, ours: bool, nullable: bool) -> dict[str, Any]:
        prop = self.schema_of(field.type, nullable=nullable)
        if not field.required and ours:
            default = to_json(field.default)
            if isinstance(default, dict) and field.type is not Any and prop.get("type") == "object":
                # A dict with a default per key (`actions`): spell each key out.
                item = prop.pop("additionalProperties")
                prop["properties"] = {k: {**item, "default": v} for k, v in default.items()}
                prop["additionalProperties"] = False
            if default is not None or nullable:
                prop["default"] = default
        if field.description:
            prop["description"] = field.description
        return {**prop, **metadata_keywords(field.metadata)}


def build_schema() -> dict[str, Any]:
    """The whole schema, as `docs/protocol.schema.json` holds it."""
    arguments = {spec.arguments for spec in protocol.COMMANDS if spec.arguments is not None}
    walker = Walker(nullable_classes={*arguments, options.Settings, options.ActionSettings})
    walker.schema_of(protocol.ActionName)
    walker.object(protocol.ActionSpec)
    commands = []
    for spec in protocol.COMMANDS:
        commands.append({
            "command": spec.command,
            "description": spec.description,
            "arguments": walker.object(spec.arguments) if spec.arguments else None,
            "result": walker.object(spec.result),
        })
    stream = walker.object(protocol.StreamNotification)
    walker.object(protocol.FindingDiagnosticData)
    walker.object(options.Settings)
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": SCHEMA_ID,
        "title": "mistral-lsp protocol",
        "description": (
            "Generated by `python -m tools.protocol_codegen` from mistral_lsp/protocol.py and "
            "mistral_lsp/options/; do not edit. docs/protocol.md explains it."
        ),
        "x-actions": [to_json(spec) for spec in protocol.ACTIONS],
        "x-commands": commands,
        "x-notifications": [{"method": protocol.STREAM_NOTIFICATION, "params": stream}],
        "x-codeActionKinds": {
            **{spec.name: spec.kind for spec in protocol.ACTIONS},
            "fixWithDiagnostics": protocol.FIX_WITH_DIAGNOSTICS_KIND,
            "suggestion": protocol.SUGGESTION_KIND,
            "explainFinding": protocol.EXPLAIN_FINDING_KIND,
        },
        "x-findings": {"source": protocol.FINDING_SOURCE,
                       "categories": list(protocol.FINDING_CATEGORIES)},
        "x-settings": {"section": "mistral", "schema": walker.ref("Settings")},
        "$defs": dict(sorted(walker.defs.items())),
    }
