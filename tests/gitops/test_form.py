"""`crds-deliver form` (live and bundled) and `crds-deliver schema check` (drift found, or none)."""

from __future__ import annotations

import json

import pytest

from crds_deliver.formspec import page_fields, redcat_fields
from tests.gitops.formserver import closed_port_url, form_server


def _entries(project: str = "jwst") -> list[dict]:
    return [f.description_entry() for f in redcat_fields(project)]


def test_form_offline_shows_every_bundled_field(cli) -> None:
    result = cli("form", "--project", "hst", "--offline")
    assert result.exit_code == 0
    out = result.stdout
    assert out.startswith("Submission form for hst: bundled form knowledge (no server asked)")
    for spec in redcat_fields("hst") + page_fields():
        assert f"\n{spec.key}  ({'required' if spec.required else 'optional'}, " in out
        assert spec.label in out
    assert "choices: acs, cos, nicmos, stis, synphot, wfc3, wfpc2" in out
    assert "choices: N/A, No, Yes (true/false are read as Yes/No)" in out
    assert "help: N/A for ETC files only" in out


def test_form_unreachable_server_falls_back_to_bundled(cli) -> None:
    url = closed_port_url()
    result = cli("form", "--server", url, "--timeout", "2", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["live"] is False
    assert "server not reachable" in data["source"]
    assert f"warning: server not reachable: {url}submission_form/redcat_description.yml" in \
        result.stderr
    assert [f["key"] for f in data["fields"]][:3] == ["deliverer", "other_email", "instrument"]


def test_form_live_shows_what_the_server_publishes(cli) -> None:
    entries = _entries()
    entries[0]["label"] = "Who delivers (live label)"
    entries.append({"key": "new_field", "type": "CharField", "label": "A live-only field",
                    "required": False, "help_text": "only the server knows"})
    with form_server(entries) as url:
        result = cli("form", "--server", url)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(
        f"Submission form for jwst: live form description from "
        f"{url}submission_form/redcat_description.yml")
    assert "deliverer  (required, text)\n    Who delivers (live label)" in result.stdout
    assert "new_field  (optional, text)\n    A live-only field\n    help: only the server " \
           "knows" in result.stdout
    # The page's own fields are not in the description; they are still shown.
    assert "change_level  (required, choice)" in result.stdout


def test_schema_check_in_step(cli) -> None:
    with form_server(_entries("roman")) as url:
        result = cli("schema", "check", "--server", url, "--project", "roman")
    assert result.exit_code == 0
    assert result.stdout == f"the bundled schema is in step with the live form of {url}\n"


def test_schema_check_reports_every_kind_of_drift(cli) -> None:
    entries = {e["key"]: e for e in _entries()}
    entries["instrument"]["choices"] = ["fgs", "miri", "nircam", "niriss", "nirspec", "newcam"]
    entries["useafter_matches"]["choices"] = ["N/A", "No", "Yes", "Maybe"]
    entries["jira_issue"]["required"] = True
    entries["jwst_etc"] = {"key": "jwst_etc", "type": "TypedChoiceField", "label": "ETC?",
                           "required": True, "initial": "N/A", "choices": ["N/A", "No", "Yes"]}
    del entries["table_rows_changed"]
    entries["pipeline_ticket"] = {"key": "pipeline_ticket", "type": "CharField",
                                  "label": "Ticket", "required": True}
    with form_server(list(entries.values())) as url:
        result = cli("schema", "check", "-s", url, "--format", "json")
    assert result.exit_code == 1
    drift = {(d["field"], d["kind"]): d["message"] for d in json.loads(result.stdout)["drift"]}
    assert drift == {
        ("pipeline_ticket", "added"): "pipeline_ticket: the server's form has this required "
                                      "field; the bundled schema does not know it",
        ("table_rows_changed", "removed"): "table_rows_changed: in the bundled schema, gone "
                                           "from the server's form",
        ("instrument", "instruments"): "instrument: instrument list changed: the server offers "
                                       "newcam, refused by the bundled schema; the bundled "
                                       "schema accepts system, no longer offered",
        ("useafter_matches", "choices"): "useafter_matches: choices changed: the server offers "
                                         "Maybe, refused by the bundled schema",
        ("jira_issue", "required"): "jira_issue: now required on the server, optional in the "
                                    "bundled schema",
        ("jwst_etc", "type"): "jwst_etc: type TypedChoiceField on the server, BooleanField in "
                              "the bundled schema",
        ("jwst_etc", "required"): "jwst_etc: now required on the server, optional in the "
                                  "bundled schema",
    }


def test_schema_check_text_output_and_unreachable_server(cli) -> None:
    entries = _entries()
    entries[3]["required"] = False  # file_type
    with form_server(entries) as url:
        result = cli("schema", "check", "-s", url)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "drift: file_type: now optional on the server, required in the bundled schema",
        f"1 difference(s) between the live form of {url} and the bundled schema: update "
        "crds-deliver, or report the change",
    ]
    url = closed_port_url()
    result = cli("schema", "check", "-s", url, "--timeout", "2")
    assert result.exit_code == 4  # no answer: the server exit code, not a drift
    assert "cannot compare" in result.stderr and "no answer" in result.stderr


@pytest.mark.parametrize(("body", "reason"), [
    ("deliverer: [", "not YAML"),
    ("{a: 1}", "expected a list of form fields"),
    ("- {key: deliverer, type: CharField}", "field 1 lacks key, type or required"),
])
def test_schema_check_refuses_a_malformed_description(cli, body: str, reason: str) -> None:
    with form_server(body) as url:
        result = cli("schema", "check", "-s", url)
    assert result.exit_code == 1
    assert reason in result.stderr


def test_schema_check_needs_a_server(cli) -> None:
    assert cli("schema", "check").exit_code == 2
