"""The fast conformance checks answer exactly as jsonschema does, on the bundled schemas and on
every kind of change a manifest can suffer; an unknown keyword is refused, never ignored."""

from __future__ import annotations

import copy
import datetime

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crds_deliver.conformance import UnsupportedSchema, compile_schema
from crds_deliver.manifest import delivery_schema
from tests.test_manifest import VALID

SCHEMA = delivery_schema()
CONFORMS = compile_schema(SCHEMA)
JSONSCHEMA = jsonschema.Draft202012Validator(SCHEMA)

# What YAML can hand the checks: JSON values, plus the dates a timestamp becomes.
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=False),
                    st.sampled_from([1.0, 0.0, -1.5]),
                    st.text(max_size=6), st.sampled_from(
                        ["", " ", "N/A", "yes", "hst", "jwst", "roman", "bit", "ops", "int",
                         "SEVERE", "trivial", "miri", "wfc3", "wfi", "wipe", "keep",
                         "jwst-edit", "hst_0001.pmap", "https://x.example", "a" * 64]),
                    st.dates())
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)),
    max_leaves=6)
KEYS = ["project", "server", "context", "files", "form", "options", "pinned", "extra",
        "deliverer", "instrument", "file_type", "useafter_matches", "change_level",
        "description", "auto_confirm", "ingest", "files_root", "path", "size", "sha256"]


def _containers(document: object) -> list[dict | list]:
    """Every mapping and list in a document, the document first."""
    found: list[dict | list] = []
    stack = [document]
    while stack:
        item = stack.pop()
        if isinstance(item, (dict, list)):
            found.append(item)
            stack.extend(item.values() if isinstance(item, dict) else item)
    return found


def _pinned_valid() -> dict:
    document = copy.deepcopy(VALID)
    document["options"] = {"auto_confirm": True, "ingest": "keep", "files_root": "/data"}
    document["pinned"] = [{"path": "refs/a.fits", "size": 10, "sha256": "0" * 64}]
    document["context"] = "jwst-edit"
    return document


@st.composite
def edited_manifests(draw: st.DrawFn) -> object:
    """A valid manifest after a few edits: a value replaced, a key dropped or added."""
    document = _pinned_valid()
    for _ in range(draw(st.integers(1, 3))):
        target = draw(st.sampled_from(_containers(document)))
        if isinstance(target, dict):
            key = draw(st.sampled_from(sorted(target) + KEYS))
            if draw(st.booleans()) and key in target:
                del target[key]
            else:
                target[key] = draw(VALUES)
        elif target:
            target[draw(st.integers(0, len(target) - 1))] = draw(VALUES)
    return document


def test_valid_manifests_conform():
    assert CONFORMS(copy.deepcopy(VALID))
    assert CONFORMS(_pinned_valid())
    for project, server, instrument in [("hst", "cit", "wfc3"), ("roman", "tvac", "WFI"),
                                        ("jwst", "http://127.0.0.1:8080", "miri")]:
        document = copy.deepcopy(VALID)
        document.update(project=project, server=server, context=f"{project}-latest")
        document["form"]["instrument"] = instrument
        assert CONFORMS(document) and JSONSCHEMA.is_valid(document), project


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edited_manifests())
def test_answers_as_jsonschema_does(document):
    assert CONFORMS(document) == JSONSCHEMA.is_valid(document)


@pytest.mark.parametrize("value", [True, 1, 1.0, "1", None, [1], {}])
def test_json_schema_types_and_equality(value):
    schemas = [{"type": "integer"}, {"type": "number"}, {"type": "boolean"},
               {"type": ["string", "null"]}, {"enum": [1, "a"]}, {"const": True},
               {"minimum": 1}, {"minLength": 1}, {"minItems": 1}, {"items": {"type": "integer"}},
               {"anyOf": [{"type": "array"}, {"type": "object"}]},
               {"if": {"type": "integer"}, "then": {"minimum": 2}, "else": {"type": "string"}}]
    for schema in schemas:
        expected = jsonschema.Draft202012Validator(schema).is_valid(value)
        assert compile_schema(schema)(value) == expected, (schema, value)


def test_dates_are_not_strings():
    document = copy.deepcopy(VALID)
    document["form"]["description"] = datetime.date(2026, 1, 1)
    assert not CONFORMS(document) and not JSONSCHEMA.is_valid(document)


@pytest.mark.parametrize("schema", [{"$ref": "#/x"}, {"patternProperties": {}},
                                    {"items": [{"type": "string"}]}, {"enum": [[1]]},
                                    {"properties": {"a": {"oneOf": []}}}, {"format": "email"}])
def test_unknown_keywords_are_refused(schema):
    with pytest.raises(UnsupportedSchema):
        compile_schema(schema)
