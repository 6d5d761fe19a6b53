"""The argument object of a `mistral.*` command (`workspace/executeCommand`), checked against its
`protocol` type before cattrs structures it, so that every problem is named by the argument's
wire name and never by a Python value or class: "uri is missing", "uri must be a string",
"range.start.line must be an integer", "diagnostics must be a list", "diagnostic must be an
object".

cattrs alone would turn `{"uri": null}` into the string "None" (the mistake surfacing later as
"None is not open in the editor") and `{"uri": 42}` into "42", read a string or an object given
for a list as its characters or keys, and say "expected tuple" or "expected Position". The check
walks the attrs classes it meets (lsprotocol's `Range`, `Diagnostic` and the rest are attrs
classes too) with the same rules; a type it does not know is left to cattrs.
"""

from __future__ import annotations

import collections.abc
import enum
import types as types_module
import typing
from typing import Any

import attrs

from mistral_lsp.casing import camel_case

__all__ = ["argument_problems"]

_SCALARS: dict[type, str] = {str: "a string", bool: "true or false", int: "an integer", float: "a number"}
_LISTS = (list, tuple, collections.abc.Sequence)
# Items of a list checked (a diagnostic's message goes into the prompt; a huge list is cattrs').
ITEMS_CHECKED = 100


def argument_problems(argument: dict[str, Any], cls: type, prefix: str = "") -> list[str]:
    """What is wrong with `argument` as a `cls`: its fields that are missing, null or of the wrong
    kind, by their wire names (under `prefix`, e.g. "diagnostic."). At the top level an empty
    string counts as missing for a required string (`"uri": ""`)."""
    try:
        hints = typing.get_type_hints(cls)
    except Exception:  # a type we cannot read: cattrs decides
        return []
    problems: list[str] = []
    for field in attrs.fields(cls):
        name = camel_case(field.name)
        problems += _field_problems(argument, name, prefix, hints[field.name], field.default is attrs.NOTHING)
    return problems


def _field_problems(argument: dict[str, Any], name: str, prefix: str, hint: Any, required: bool) -> list[str]:
    union = typing.get_origin(hint) in (typing.Union, types_module.UnionType)
    kinds = [t for t in typing.get_args(hint) if t is not type(None)] if union else [hint]
    value = argument.get(name)
    wire = prefix + name
    if value is None or (not prefix and required and value == "" and kinds == [str]):
        if required:
            return [f"{wire} is missing"]
        nullable = union and type(None) in typing.get_args(hint)
        return [f"{wire} must be {_kind_name(kinds)}"] if name in argument and not nullable else []
    return _value_problems(wire, value, kinds)


def _value_problems(name: str, value: Any, kinds: list[Any]) -> list[str]:
    """What is wrong with a present, non-null `value` that must be one of `kinds`."""
    if any(kind is Any for kind in kinds):
        return []
    if len(kinds) > 1:
        return _union_problems(name, value, kinds)
    (kind,) = kinds
    if kind in _SCALARS:
        return [] if _is_scalar(value, kind) else [f"{name} must be {_SCALARS[kind]}"]
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        allowed = [member.value for member in kind]
        return [] if value in allowed and not isinstance(value, bool) else [f"{name} must be {_kind_name(kinds)}"]
    if typing.get_origin(kind) in _LISTS:
        return _list_problems(name, value, kind)
    if attrs.has(kind):
        return argument_problems(value, kind, prefix=f"{name}.") if isinstance(value, dict) else [f"{name} must be an object"]
    return []


def _union_problems(name: str, value: Any, kinds: list[Any]) -> list[str]:
    """A union of scalars (a diagnostic's code: an integer or a string); others are cattrs'."""
    if all(kind in _SCALARS for kind in kinds) and not any(_is_scalar(value, kind) for kind in kinds):
        return [f"{name} must be {_kind_name(kinds)}"]
    return []


def _list_problems(name: str, value: Any, kind: Any) -> list[str]:
    if not isinstance(value, list):
        return [f"{name} must be a list"]
    item_kinds = [t for t in typing.get_args(kind) if t is not Ellipsis][:1]
    if not item_kinds:
        return []
    return [problem for index, item in enumerate(value[:ITEMS_CHECKED])
            for problem in _item_problems(f"{name}[{index}]", item, item_kinds)]


def _item_problems(name: str, item: Any, kinds: list[Any]) -> list[str]:
    return [f"{name} must be {_kind_name(kinds)}"] if item is None else _value_problems(name, item, kinds)


def _is_scalar(value: Any, kind: type) -> bool:
    if isinstance(value, bool):
        return kind is bool
    return isinstance(value, (int, float)) if kind is float else isinstance(value, kind)


def _kind_name(kinds: list[Any]) -> str:
    """How the wire spells what a field must be."""
    names = []
    for kind in kinds:
        if kind in _SCALARS:
            names.append(_SCALARS[kind])
        elif isinstance(kind, type) and issubclass(kind, enum.Enum):
            names.append("one of " + ", ".join(str(member.value) for member in kind))
        elif typing.get_origin(kind) in _LISTS:
            names.append("a list")
        else:
            names.append("an object")
    return " or ".join(dict.fromkeys(names))
