"""Hostile and sloppy manifests: each gets located problems and no exception, and the loader
survives arbitrary input (property-based)."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crds_deliver.manifest import load_manifest
from tests.test_manifest import VALID

BILLION_LAUGHS = "\n".join(
    ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]" for i in range(8)]
) + "\n"

CORPUS: dict[str, tuple[bytes, str]] = {
    "yaml-bomb-aliases": (BILLION_LAUGHS.encode(), "anchors and aliases are not allowed"),
    "deeply-nested-lists": (b"project: " + b"[" * 500 + b"]" * 500 + b"\n", "nested deeper"),
    "deeply-nested-maps": (("x:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 60))
                            + "  " * 60 + "v: 1\n").encode(), "nested deeper"),
    "huge-file": (b"project: jwst\n# " + b"x" * 1_100_000 + b"\n", "a manifest may be at most"),
    "wrong-types-everywhere": (yaml.safe_dump({
        "project": 3, "server": ["bit"], "context": {"a": 1}, "files": "x",
        "form": ["deliverer"], "options": True, "pinned": "none"}).encode(),
        "is not"),
    "binary-garbage": (bytes(range(256)) * 4, "not UTF-8 text"),
    "nul-bytes": (b"project: jwst\x00\nserver: bit\n", "YAML"),
    "control-characters-in-values": (b"project: jwst\nserver: \"bit\\x1b[31m\"\n",
                                     "server:"),
    "tabs-for-indentation": (b"project: jwst\nform:\n\tdeliverer: x\n", "YAML syntax error"),
    # dumped small, then grown: PyYAML's pure-Python emitter takes a second for 900 kB
    "900-kB-deliverer": (yaml.safe_dump({**VALID, "form": {**VALID["form"],
                                                            "deliverer": "LONG"}}).replace(
                             "deliverer: LONG", "deliverer: " + "x" * 900_000).encode(),
                         "form.deliverer: 900000 characters; the server's form accepts at "
                         "most 100"),
    "windows-line-endings": (yaml.safe_dump(VALID).replace("\n", "\r\n").encode(), ""),
    "utf8-bom": (b"\xef\xbb\xbf" + yaml.safe_dump(VALID).encode(), ""),
    "python-object-tag": (b"project: !!python/object/apply:os.system ['true']\n",
                          "tag:yaml.org,2002:python/object/apply:os.system is not allowed"),
    "timestamp-where-text-expected": (yaml.safe_dump({**VALID, "context": None}).replace(
        "context: null", "context: 2026-01-01").encode(), "context:"),
}


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_bad_manifest_gets_located_problems(tmp_path: Path, case: str) -> None:
    data, expected = CORPUS[case]
    path = tmp_path / f"{case}.yaml"
    path.write_bytes(data)
    result = load_manifest(path)
    if not expected:  # a tolerable variation of a valid manifest
        assert result.problems == [] and result.manifest is not None
        return
    assert result.manifest is None
    assert any(expected in p.message for p in result.problems), \
        [p.message for p in result.problems]
    assert all(p.file == str(path) for p in result.problems)


_yaml_text = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
              st.text(string.printable, max_size=20)),
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.text(string.ascii_letters, min_size=1,
                                                       max_size=8), children, max_size=4)),
    max_leaves=30,
).map(lambda value: yaml.safe_dump(value))


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.one_of(st.binary(max_size=400), st.text(max_size=400).map(str.encode),
                     _yaml_text.map(str.encode)))
def test_loader_never_raises_and_locates_inside_the_file(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_bytes(raw)
    result = load_manifest(path)
    assert (result.manifest is None) == bool(result.problems)
    lines = raw.count(b"\n") + 1
    for problem in result.problems:
        assert problem.message
        assert problem.line is None or 1 <= problem.line <= lines + 1


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(form_changes=st.dictionaries(st.sampled_from(sorted(VALID["form"])),
                                    st.one_of(st.text(max_size=10), st.booleans(),
                                              st.integers(), st.none()), max_size=4))
def test_mutated_forms_are_either_valid_or_explained(tmp_path: Path, form_changes) -> None:
    data = {**VALID, "form": {**VALID["form"], **form_changes}}
    path = tmp_path / "mutated.yaml"
    path.write_text(yaml.safe_dump(data))
    result = load_manifest(path)
    for problem in result.problems:
        assert problem.field and problem.field.startswith("form")
        assert problem.line is not None
