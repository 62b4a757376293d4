"""status, form and schema check against the sandbox CRDS server (the real protocol on
127.0.0.1). The sandbox has no hook to serve a changed form, so drift itself is tested with a
tiny local server in test_form.py."""

from __future__ import annotations

import json

import pytest

from crds_deliver.formspec import page_fields, redcat_fields

TOKEN_HINT = "MAST_API_TOKEN (environment)"


def test_status_against_the_sandbox(cli, sandbox) -> None:
    result = cli("status", "--server", sandbox.url, "--format", "json",
                 env={"MAST_API_TOKEN": sandbox.token, "CRDS_USERNAME": sandbox.username})
    assert result.exit_code == 0, result.stdout
    data = json.loads(result.stdout)
    assert data["server"] == {"value": sandbox.url, "source": "--server"}
    assert data["token_source"] == TOKEN_HINT
    assert data["user"] == {"value": sandbox.username,
                            "source": "CRDS_USERNAME (environment)"}
    check = data["check"]
    assert check["reachable"] is True and check["error"] is None
    assert check["contexts"]["observatory"] == "jwst"
    assert check["contexts"]["edit_context"].endswith(".pmap")
    assert check["contexts"]["operational_context"].endswith(".pmap")
    assert data["warnings"] == []
    assert sandbox.token not in result.stdout + result.stderr


def test_status_text_and_observatory_mismatch(cli, sandbox_factory) -> None:
    hst = sandbox_factory("hst")
    result = cli("status", "-p", "jwst", "-s", hst.url)
    assert result.exit_code == 0
    assert "server answers: yes" in result.stdout
    assert "  edit context: hst_" in result.stdout
    assert "warning: the server reports observatory 'hst', not 'jwst'" in result.stdout


def test_form_live_from_the_sandbox(cli, sandbox) -> None:
    result = cli("form", "--server", sandbox.url, "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["live"] is True
    assert data["url"] == sandbox.url + "submission_form/redcat_description.yml"
    assert data["fields"] == [f.description_entry() for f in redcat_fields("jwst")
                              + page_fields()]
    assert result.stderr == ""


@pytest.mark.parametrize("project", ["hst", "jwst", "roman"])
def test_schema_in_step_with_each_sandbox(cli, sandbox_factory, project: str) -> None:
    server = sandbox_factory(project)
    result = cli("schema", "check", "-s", server.url, "-p", project)
    assert result.exit_code == 0, result.stdout
    assert "in step" in result.stdout
