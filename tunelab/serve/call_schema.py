"""Whether a call's arguments fit the JSON schema of the function's `parameters`: the part of JSON
Schema that OpenAI documents for function parameters (types, `properties` and `required` at any
depth, `enum` and `const`, `items`, `additionalProperties`, `anyOf`, `$ref` into `$defs`). A
keyword outside it (a pattern, a minimum) is not checked: the check is there so an agent is never
handed a call its dispatch would break on, not to stand in for a full validator."""

from __future__ import annotations

import json
from typing import Any

_TYPES = {
    "string": lambda v: isinstance(v, str),
    # JSON has one kind of number: 2.0 is an integer; a bool is no number, as in JSON Schema.
    "integer": lambda v: (
        isinstance(v, int | float) and not isinstance(v, bool) and float(v).is_integer()
    ),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "null": lambda v: v is None,
}


def misfit(arguments: dict[str, Any], parameters: dict[str, Any] | None) -> str | None:
    """What in `arguments` breaks `parameters` (the first thing, named by its path: "arguments.
    address.zip is missing"), or None when they fit or the function declares no parameters."""
    if not parameters:
        return None
    return _misfit(arguments, parameters, "arguments", parameters)


def _misfit(value: Any, schema: Any, where: str, root: dict[str, Any]) -> str | None:
    if not isinstance(schema, dict):  # `true`, or a schema not written as one: anything fits
        return None
    if isinstance(ref := schema.get("$ref"), str):
        schema = _resolved(ref, root)
        if schema is None:
            return None
    if "anyOf" in schema and isinstance(schema["anyOf"], list):
        if all(_misfit(value, s, where, root) for s in schema["anyOf"]):
            return f"{where} is {_shown(value)}, which fits none of its anyOf schemas"
    if (wrong := _type_misfit(value, schema.get("type"), where)) is not None:
        return wrong
    if "const" in schema and value != schema["const"]:
        return f"{where} is {_shown(value)}, not {_shown(schema['const'])}"
    if isinstance(schema.get("enum"), list) and value not in schema["enum"]:
        allowed = ", ".join(map(_shown, schema["enum"]))
        return f"{where} is {_shown(value)}, not one of {allowed}"
    if isinstance(value, dict):
        return _object_misfit(value, schema, where, root)
    if isinstance(value, list):
        for i, item in enumerate(value):
            if wrong := _misfit(item, schema.get("items"), f"{where}[{i}]", root):
                return wrong
    return None


def _type_misfit(value: Any, wanted: Any, where: str) -> str | None:
    names = [wanted] if isinstance(wanted, str) else wanted if isinstance(wanted, list) else []
    known = [n for n in names if n in _TYPES]
    if not known or any(_TYPES[n](value) for n in known):
        return None
    return f"{where} is {_shown(value)}, not {' or '.join(_A.get(n, n) for n in known)}"


_A = {"integer": "an integer", "array": "an array", "object": "an object", "null": "null"}
_A |= {n: f"a {n}" for n in ("string", "number", "boolean")}


def _object_misfit(
    value: dict[str, Any], schema: dict[str, Any], where: str, root: dict[str, Any]
) -> str | None:
    required = schema.get("required")
    for name in required if isinstance(required, list) else ():
        if isinstance(name, str) and name not in value:
            return f"{where}.{name} is missing, which its schema requires"
    properties = schema.get("properties")
    properties = properties if isinstance(properties, dict) else {}
    extra = schema.get("additionalProperties", True)
    for name, item in value.items():
        if name in properties:
            wrong = _misfit(item, properties[name], f"{where}.{name}", root)
        elif extra is False:
            listed = ", ".join(properties) or "none"
            wrong = f"{where}.{name} is not one of its properties ({listed})"
        else:
            wrong = _misfit(item, extra, f"{where}.{name}", root)
        if wrong:
            return wrong
    return None


def _resolved(ref: str, root: dict[str, Any]) -> dict[str, Any] | None:
    """The schema "#/$defs/Name" (or "#/definitions/Name") points at in `root`; None for a
    reference elsewhere (another document), which is not followed."""
    if not ref.startswith("#/"):
        return None
    found: Any = root
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        found = found.get(part) if isinstance(found, dict) else None
    return found if isinstance(found, dict) else None


def _shown(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."
