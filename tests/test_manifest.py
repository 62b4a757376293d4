"""Manifest loading and schema rules: every rule accepted when right and refused when wrong,
each refusal located on the line a reviewer must fix."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from crds_deliver.formspec import MAX_TEXT, all_fields
from crds_deliver.manifest import delivery_schema, find_manifests, load_manifest

VALID = {
    "project": "jwst",
    "server": "bit",
    "files": ["refs/*.fits"],
    "form": {
        "deliverer": "Jane Doe",
        "instrument": "miri",
        "file_type": "DARK",
        "history_updated": True,
        "useafter_matches": "N/A",
        "compliance_verified": "Yes",
        "calpipe_version": "jwst 1.19",
        "replacing_badfiles": "No",
        "modes_affected": "all imager modes",
        "correctness_testing": "ran the pipeline on flight data",
        "change_level": "SEVERE",
        "description": "New darks for the imager",
    },
}


def write(tmp_path: Path, data: object, name: str = "m.yaml") -> Path:
    """`data` as a YAML file, dumped by libyaml: PyYAML's pure-Python emitter takes about a
    second for the 900 kB values some tests write."""
    path = tmp_path / name
    path.write_text(yaml.dump(data, Dumper=yaml.CSafeDumper, sort_keys=False))
    return path


def manifest_with(tmp_path: Path, **changes: object) -> Path:
    """VALID with dotted-path changes; the value None deletes the key."""
    data = yaml.safe_load(yaml.safe_dump(VALID))
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        target = data
        for part in parents:
            target = target[part]
        if value is None:
            target.pop(last, None)
        else:
            target[last] = value
    return write(tmp_path, data)


def messages(path: Path) -> list[str]:
    return [p.message for p in load_manifest(path).problems]


def test_valid_manifest_loads_and_normalises(tmp_path):
    result = load_manifest(manifest_with(tmp_path, form__instrument="MIRI",
                                         form__useafter_matches="n/a",
                                         form__compliance_verified=True,
                                         form__change_level="severe"))
    assert result.problems == []
    m = result.manifest
    assert m.project == "jwst" and m.context == "jwst-edit"
    assert m.form["instrument"] == "miri"
    assert m.form["useafter_matches"] == "N/A"
    assert m.form["compliance_verified"] == "Yes"
    assert m.form["change_level"] == "SEVERE"
    assert m.options.auto_rename is True and m.options.auto_confirm is False
    assert len(m.digest) == 64


@pytest.mark.parametrize("field", [f.key for f in all_fields("jwst") if f.required])
def test_every_required_field_is_required(tmp_path, field):
    assert messages(manifest_with(tmp_path, **{f"form__{field}": None})) == [
        f"form: missing required field '{field}'"]


@pytest.mark.parametrize("field", ["deliverer", "file_type", "calpipe_version",
                                   "modes_affected", "correctness_testing"])
def test_required_text_fields_must_not_be_blank(tmp_path, field):
    assert messages(manifest_with(tmp_path, **{f"form__{field}": "  "})) == [
        f"form.{field}: '  ' must not be empty"]


@pytest.mark.parametrize(("field", "limit"), [("deliverer", 100), ("file_type", 100),
                                              ("jira_issue", 100), ("other_email", 500),
                                              ("calpipe_version", 500),
                                              ("correctness_testing", 4000)])
def test_text_fields_are_bounded_as_the_servers_form(tmp_path, field, limit):
    assert messages(manifest_with(tmp_path, **{f"form__{field}": "x" * limit})) == []
    # a 900 kB value is refused at its line, without echoing it
    assert messages(manifest_with(tmp_path, **{f"form__{field}": "x" * 900_000})) == [
        f"form.{field}: 900000 characters; the server's form accepts at most {limit}"]


def test_an_empty_description_is_called_empty_not_a_wrong_character(tmp_path):
    assert messages(manifest_with(tmp_path, form__description="")) == [
        "form.description: '' must not be empty"]
    (msg,) = messages(manifest_with(tmp_path, form__description="fixes #12"))
    assert msg.endswith("may hold only letters, digits, spaces and . _ / , = - +")


def test_optional_text_fields_may_be_empty(tmp_path):
    assert messages(manifest_with(tmp_path, form__other_email="", form__jira_issue="")) == []


@pytest.mark.parametrize("value", ["yes", "NO", "N/a", True, False])
def test_yes_no_na_fields_accept_words_in_any_case_and_booleans(tmp_path, value):
    assert messages(manifest_with(tmp_path, form__useafter_matches=value)) == []


@pytest.mark.parametrize("value", ["maybe", "", 3])
def test_yes_no_na_fields_refuse_other_values(tmp_path, value):
    (msg,) = messages(manifest_with(tmp_path, form__replacing_badfiles=value))
    assert msg.startswith("form.replacing_badfiles:") and "Yes, No, N/A" in msg


@pytest.mark.parametrize("value", ["yes", "true", 1])
def test_boolean_fields_need_booleans(tmp_path, value):
    (msg,) = messages(manifest_with(tmp_path, form__etc_delivery=value))
    assert msg.endswith("is not a boolean (true or false)")


def test_change_level_choices(tmp_path):
    assert messages(manifest_with(tmp_path, form__change_level="HIGH")) == [
        "form.change_level: 'HIGH' is not one of TRIVIAL, MODERATE, SEVERE"]
    assert messages(manifest_with(tmp_path, form__change_level="trivial")) == []


@pytest.mark.parametrize("project,instrument,ok", [
    ("hst", "wfc3", True), ("hst", "ACS", True), ("hst", "miri", False),
    ("jwst", "NIRSpec", True), ("jwst", "wfi", False),
    ("roman", "wfi", True), ("roman", "cos", False),
])
def test_instrument_belongs_to_the_project(tmp_path, project, instrument, ok):
    server = "int" if project == "roman" else "bit"
    msgs = messages(manifest_with(tmp_path, project=project, server=server,
                                  form__instrument=instrument))
    if ok:
        assert msgs == []
    else:
        assert msgs == [f"form.instrument: '{instrument}' is not an instrument of project "
                        f"{project} ({msgs[0].split('(')[1]}"]


@pytest.mark.parametrize("description,ok", [
    ("New darks, v2 = better/faster + fewer-hot_pixels.", True),
    ("bad; semicolon", False), ("quote's", False), ("", False), ("üñí", False),
])
def test_description_characters(tmp_path, description, ok):
    msgs = messages(manifest_with(tmp_path, form__description=description))
    assert (msgs == []) is ok


@pytest.mark.parametrize("project,server,ok", [
    ("hst", "ops", True), ("hst", "int", False), ("jwst", "cit", True),
    ("jwst", "tvac", False), ("roman", "tvac", True), ("roman", "bit", False),
    ("jwst", "https://jwst-crds-bit.stsci.edu", True), ("jwst", "http://127.0.0.1:8000/", True),
    ("jwst", "ftp://example.org", False), ("jwst", "https://user:pw@host.org/", False),
    ("jwst", "http://jwst-crds-bit.stsci.edu/", False), ("jwst", "http://localhost:8000", True),
    ("jwst", "production", False),
])
def test_server_is_a_use_case_of_the_project_or_a_url(tmp_path, project, server, ok):
    instrument = {"hst": "acs", "jwst": "miri", "roman": "wfi"}[project]
    msgs = messages(manifest_with(tmp_path, project=project, server=server,
                                  form__instrument=instrument))
    assert (msgs == []) is ok, msgs


@pytest.mark.parametrize("context,ok", [
    ("jwst-edit", True), ("jwst-operational", True), ("jwst_0123.pmap", True),
    ("jwst-2026-01-01T00:00:00", True), ("hst-edit", False), ("jwst_12.pmap", False),
])
def test_context_belongs_to_the_project(tmp_path, context, ok):
    assert (messages(manifest_with(tmp_path, context=context)) == []) is ok


@pytest.mark.parametrize("files,expected", [
    ([], "files: must hold at least 1 item"),
    ([""], "files[0]: '' must be a non-empty glob"),
    ("refs/*.fits", "files: 'refs/*.fits' is not a list"),
])
def test_files_is_a_non_empty_list_of_globs(tmp_path, files, expected):
    assert messages(manifest_with(tmp_path, files=files)) == [expected]


def test_unknown_keys_are_errors_everywhere(tmp_path):
    path = manifest_with(tmp_path, colour="red", form__deliverrer="x",
                         options={"auto_confirm": True, "autoconfirm": True})
    msgs = messages(path)
    assert "colour: unknown key (allowed here: context, files, form, options, pinned, project, " \
           "server)" in msgs
    assert "form.deliverrer: unknown key; did you mean 'deliverer'?" in msgs
    assert "options.autoconfirm: unknown key; did you mean 'auto_confirm'?" in msgs


@pytest.mark.parametrize("key", ["token", "mast_api_token", "password"])
def test_no_field_may_carry_a_secret_key(tmp_path, key):
    msgs = messages(manifest_with(tmp_path, **{f"form__{key}": "x"}))
    assert msgs == [f"form.{key}: a manifest must never hold a secret (token, password)"]


def test_a_token_shaped_value_is_refused_without_being_echoed(tmp_path):
    token = "0123456789abcdef0123456789abcdef"
    problems = load_manifest(manifest_with(tmp_path, form__additional_considerations=token))
    assert [p.field for p in problems.problems] == ["form.additional_considerations"]
    assert token not in problems.problems[0].message


def test_options_and_pinned_shapes(tmp_path):
    good = {"auto_confirm": True, "auto_rename": False, "ingest": "keep", "files_root": "/data"}
    pinned = [{"path": "refs/a.fits", "size": 10, "sha256": "a" * 64}]
    assert messages(manifest_with(tmp_path, options=good, pinned=pinned)) == []
    assert messages(manifest_with(tmp_path, options={"ingest": "merge"})) == [
        "options.ingest: 'merge' is not one of wipe, keep"]
    assert messages(manifest_with(tmp_path, pinned=[{"path": "a", "size": 1,
                                                     "sha256": "xyz"}])) == [
        "pinned[0].sha256: 'xyz' is not a sha256 hex digest"]


FOUR_FAULTS = """\
project: hst
server: ops
files:
  - refs/*.fits
form:
  instrument: nircam
  file_type: BIAS
  useafter_matches: perhaps
  compliance_verified: N/A
  calpipe_version: hstcal 3.7
  replacing_badfiles: N/A
  modes_affected: all
  correctness_testing: compared with the previous bias
  change_level: SEVERE
  description: New WFC3 biases
  colour: blue
"""


def test_four_faults_are_all_reported_on_their_lines(tmp_path):
    path = tmp_path / "four.yaml"
    path.write_text(FOUR_FAULTS)
    problems = load_manifest(path).problems
    located = [(p.line, p.column, p.message) for p in problems]
    assert located == [
        (5, 1, "form: missing required field 'deliverer'"),
        (6, 15, "form.instrument: 'nircam' is not an instrument of project hst "
                "(acs, cos, nicmos, stis, synphot, wfc3, wfpc2)"),
        (8, 21, "form.useafter_matches: 'perhaps' is not one of Yes, No, N/A (any case) or a "
                "boolean (true means Yes)"),
        (16, 3, "form.colour: unknown key (allowed here: " + ", ".join(
            sorted(f.key for f in all_fields("hst"))) + ")"),
    ]


def test_positions_of_list_items_and_nested_keys(tmp_path):
    path = tmp_path / "pos.yaml"
    path.write_text(FOUR_FAULTS.replace("  - refs/*.fits", "  - refs/*.fits\n  - ''"))
    problems = load_manifest(path).problems
    assert ("files[1]", 5, 5) in [(p.field, p.line, p.column) for p in problems]


@pytest.mark.parametrize("text,line,expected", [
    ("project: jwst\nform: [unclosed\n", 3, "YAML syntax error"),
    ("project: jwst\n  bad: indent\n", 2, "YAML syntax error"),
    ("", 1, "the manifest is empty"),
    ("# only a comment\n", 1, "the manifest is empty"),
    ("- a\n- b\n", 1, "the top level must be a mapping"),
    ("just text\n", 1, "the top level must be a mapping"),
    ("project: jwst\n---\nproject: hst\n", 3, "a manifest holds one YAML document"),
    ("project: jwst\nproject: hst\n", 2, "project: duplicate key 'project' (first defined at "
                                         "line 1)"),
    ("a: &x [1]\nb: *x\n", 2, "b: anchors and aliases are not allowed"),
    ("<<: {project: jwst}\n", 1, "only plain text keys are allowed"),
])
def test_yaml_edge_cases_are_located_problems(tmp_path, text, line, expected):
    path = tmp_path / "edge.yaml"
    path.write_text(text)
    result = load_manifest(path)
    assert result.manifest is None
    matching = [p for p in result.problems if p.message.startswith(expected)]
    assert matching, [p.message for p in result.problems]
    assert matching[0].line == line


def test_non_utf8_is_located(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"project: jwst\nform:\n  deliverer: Ren\xe9\n")
    (problem,) = load_manifest(path).problems
    assert (problem.line, problem.column) == (3, 17)
    assert problem.message == "not UTF-8 text: byte 0xe9 cannot be decoded"


def test_deep_nesting_and_huge_files_are_refused(tmp_path):
    deep = tmp_path / "deep.yaml"
    deep.write_text("a: " + "[" * 50 + "]" * 50 + "\n")
    assert any("nested deeper" in m for m in messages(deep))
    huge = tmp_path / "huge.yaml"
    huge.write_text("a: " + "x" * 2_000_000)
    assert messages(huge)[0].startswith("the file is 2000003 bytes")


def test_find_manifests_skips_result_records_and_hidden_folders(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / ".git").mkdir()
    for name in ["a/one.yaml", "a/one.result.yaml", "two.yml", ".git/x.yaml", "notes.txt"]:
        (tmp_path / name).write_text("x: 1\n")
    found = find_manifests([tmp_path])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == ["a/one.yaml", "two.yml"]


def test_schema_mirrors_the_form_fields():
    form = delivery_schema()["properties"]["form"]
    for project in ("hst", "jwst", "roman"):
        fields = all_fields(project)
        assert set(form["properties"]) == {f.key for f in fields}
        assert set(form["required"]) == {f.key for f in fields if f.required}
        for f in fields:
            prop = form["properties"][f.key]
            if f.type == "BooleanField":
                assert prop["type"] == "boolean", f.key
            if f.type == "CharField":
                assert prop["maxLength"] == (f.max_length or MAX_TEXT), f.key
