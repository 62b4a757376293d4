"""A fast yes-or-no answer to "does this value conform to the schema?".

jsonschema says where and why a manifest is wrong, which `validate` needs for a bad one, but
it builds a validator object for every property and rule it visits: for a valid manifest that
is half the cost of `validate`. Valid manifests are the common case, so the schema is compiled
once into nested checks that only answer yes or no, and jsonschema runs only on a no.

The checks implement exactly the keywords the bundled schemas use, with JSON Schema's meaning
(a boolean is not an integer, 1.0 is); compiling a schema that uses any other keyword raises
UnsupportedSchema, so a new keyword cannot be silently ignored (tests compile the bundled
schema and compare the answers with jsonschema's).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Check = Callable[[object], bool]

# Keywords that only describe: they never change whether a value conforms.
_ANNOTATIONS = frozenset({"$schema", "$id", "$comment", "title", "description", "default",
                          "examples", "x-message"})

_TYPES: dict[str, Check] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)
                          or isinstance(v, float) and v.is_integer()),
}


class UnsupportedSchema(ValueError):
    """The schema uses a keyword (or a form of one) these checks do not implement."""


def compile_schema(schema: Mapping[str, object] | bool) -> Check:
    """One callable answering whether a value conforms to `schema` (a JSON Schema dict)."""
    if isinstance(schema, bool):
        return (lambda _: True) if schema else (lambda _: False)
    checks = [_keyword(schema, name) for name in schema if name not in _ANNOTATIONS]
    return _every([c for c in checks if c is not None])


def _every(checks: list[Check]) -> Check:
    """All of the checks (plain loops: this runs for every value of every manifest)."""
    if len(checks) == 1:
        return checks[0]

    def every(value: object) -> bool:
        for check in checks:  # noqa: SIM110  (a loop: no generator frame per value)
            if not check(value):
                return False
        return True

    return every


def _keyword(schema: Mapping[str, Any], name: str) -> Check | None:
    value: Any = schema[name]
    if name == "type":
        names = [value] if isinstance(value, str) else list(value)
        tests = [_TYPES[n] for n in names]
        return tests[0] if len(tests) == 1 else lambda v: any(test(v) for test in tests)
    if name == "enum":
        return _enum(list(value))
    if name == "const":
        return _enum([value])
    if name == "pattern":
        search = re.compile(str(value)).search
        return lambda v: not isinstance(v, str) or search(v) is not None
    if name == "minLength":
        return lambda v: not isinstance(v, str) or len(v) >= value
    if name == "maxLength":
        return lambda v: not isinstance(v, str) or len(v) <= value
    if name == "minimum":
        return lambda v: not _TYPES["number"](v) or v >= value
    if name == "minItems":
        return lambda v: not isinstance(v, list) or len(v) >= value
    if name == "items":
        if not isinstance(value, (dict, bool)):
            raise UnsupportedSchema("items must be one schema (2020-12), not a list")
        item = compile_schema(value)
        return lambda v: not isinstance(v, list) or all(item(i) for i in v)
    if name == "required":
        keys = tuple(value)
        return lambda v: not isinstance(v, dict) or all(k in v for k in keys)
    if name == "properties":
        return _properties({key: compile_schema(sub) for key, sub in value.items()})
    if name == "additionalProperties":
        return _additional(schema, value)
    if name == "allOf":
        return _every([compile_schema(sub) for sub in value])
    if name == "anyOf":
        parts = [compile_schema(sub) for sub in value]
        return lambda v: any(part(v) for part in parts)
    if name == "if":
        condition = compile_schema(value)
        then = compile_schema(schema.get("then", True))
        otherwise = compile_schema(schema.get("else", True))
        return lambda v: then(v) if condition(v) else otherwise(v)
    if name in ("then", "else"):
        return None  # applied by "if"; without one they mean nothing
    raise UnsupportedSchema(f"the keyword {name!r} is not implemented")


def _properties(props: dict[str, Check]) -> Check:
    def properties(value: object) -> bool:
        if isinstance(value, dict):
            for key, item in value.items():
                check = props.get(key)
                if check is not None and not check(item):
                    return False
        return True

    return properties


def _enum(choices: list[object]) -> Check:
    if any(isinstance(c, (dict, list)) for c in choices):
        raise UnsupportedSchema("enum and const hold plain values only")
    # JSON Schema tells booleans from numbers (True is not 1), Python's == does not.
    allowed = [(type(c) is bool, c) for c in choices]
    return lambda v: any(is_bool == (type(v) is bool) and v == c for is_bool, c in allowed)


def _additional(schema: Mapping[str, Any], value: Mapping[str, object] | bool) -> Check:
    if "patternProperties" in schema:
        raise UnsupportedSchema("patternProperties is not implemented")
    known = frozenset(schema.get("properties", {}))
    extra = compile_schema(value)
    return lambda v: not isinstance(v, dict) or all(
        extra(item) for key, item in v.items() if key not in known)
