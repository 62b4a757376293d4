"""`crds-deliver status`: settings in effect with their sources, token source but never the
token, and whether the server answers."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.gitops.conftest import write_manifest
from tests.gitops.formserver import closed_port_url, form_server

TOKEN = "0123456789abcdef0123456789abcdef"


def _ini(tmp_path: Path, mode: int, text: str) -> Path:
    path = tmp_path / "crds.ini"
    path.write_text(text)
    os.chmod(path, mode)
    return path


def test_status_unreachable_server(cli) -> None:
    url = closed_port_url()
    result = cli("status", "--server", url, "--timeout", "2",
                 env={"MAST_API_TOKEN": TOKEN, "CRDS_USERNAME": "jdoe"})
    assert result.exit_code == 4  # as every command that cannot reach the server
    lines = result.stdout.splitlines()
    assert lines[0].startswith("crds-deliver ")
    assert lines[1:5] == [
        "project:  jwst  (default)",
        f"server:   {url}  (--server)",
        "token:    MAST_API_TOKEN (environment)",
        "user:     jdoe  (CRDS_USERNAME (environment))",
    ]
    assert lines[5].startswith("server answers: no (POST ")
    assert "no answer from the server" in lines[5]
    assert lines[6].startswith("python:   3.")
    assert lines[7].startswith("packages: astropy ")
    assert "typer " in lines[7] and "PyYAML " in lines[7]
    assert TOKEN not in result.stdout + result.stderr


def test_status_reachable_server_reports_contexts(cli) -> None:
    info = {"observatory": "jwst", "edit_context": "jwst_0101.pmap",
            "operational_context": "jwst_0100.pmap", "crds_version": {"str": "13.2.4"},
            "bad_files_list": []}
    with form_server([], info) as url:
        result = cli("status", "-s", url, "--format", "json",
                     env={"MAST_API_TOKEN": TOKEN})
    assert result.exit_code == 0, result.stdout
    data = json.loads(result.stdout)
    assert data["check"] == {"url": url, "reachable": True, "crds_version": "13.2.4",
                             "error": None,
                             "contexts": {"observatory": "jwst",
                                          "edit_context": "jwst_0101.pmap",
                                          "operational_context": "jwst_0100.pmap"}}
    assert data["token_source"] == "MAST_API_TOKEN (environment)"
    assert TOKEN not in result.stdout


def test_status_without_token_and_with_ini(cli, tmp_path: Path) -> None:
    result = cli("status", "--no-check")
    assert result.exit_code == 0
    assert "token:    none\n" in result.stdout
    assert "server answers: not checked (--no-check)" in result.stdout
    assert "warning: no MAST token found" in result.stdout
    ini = _ini(tmp_path, 0o600, f"[authentication]\nMAST_API_TOKEN = {TOKEN}\n"
                                "CRDS_USERNAME = inifolk\n")
    result = cli("status", "--no-check", env={"CRDS_INI_FILE": str(ini)})
    assert f"token:    {ini} ([authentication] section)" in result.stdout
    assert f"user:     inifolk  ({ini} ([authentication] section))" in result.stdout
    os.chmod(ini, 0o644)
    result = cli("status", "--no-check", env={"CRDS_INI_FILE": str(ini)})
    assert "token:    none" in result.stdout
    assert f"warning: ignoring {ini}: it may be read by others" in result.stdout
    assert TOKEN not in result.stdout + result.stderr


def test_settings_sources_flag_env_manifest_default(cli, tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path / "m")  # project jwst, server bit
    result = cli("status", str(manifest), "--no-check", "--format", "json")
    data = json.loads(result.stdout)
    assert data["project"] == {"value": "jwst", "source": f"manifest {manifest}"}
    assert data["server"] == {"value": "https://jwst-crds-bit.stsci.edu/",
                              "source": f"manifest {manifest}"}
    result = cli("status", str(manifest), "--no-check", "--format", "json",
                 env={"CRDS_SERVER_URL": "http://127.0.0.1:8123"})
    assert json.loads(result.stdout)["server"] == {"value": "http://127.0.0.1:8123/",
                                                   "source": "CRDS_SERVER_URL (environment)"}
    result = cli("status", "--no-check", "--format", "json", "-p", "roman", "-s", "tvac",
                 env={"CRDS_SERVER_URL": "http://127.0.0.1:8123"})
    data = json.loads(result.stdout)
    assert data["project"] == {"value": "roman", "source": "--project"}
    assert data["server"] == {"value": "https://roman-crds-tvac.stsci.edu/",
                              "source": "--server tvac"}
    assert "CRDS_SERVER_URL is set: apply, confirm and cancel would use " \
           "http://127.0.0.1:8123/, not --server" in data["warnings"]
    result = cli("status", "--no-check", "--format", "json",
                 env={"CRDS_OBSERVATORY": "hst"})
    data = json.loads(result.stdout)
    assert data["project"] == {"value": "hst", "source": "CRDS_OBSERVATORY"}
    assert data["server"] == {"value": "https://hst-crds.stsci.edu/",
                              "source": "default (ops server of hst)"}


def test_status_bad_input_is_a_located_error(cli, tmp_path: Path) -> None:
    result = cli("status", "-p", "euclid", "--no-check")
    assert result.exit_code == 2 and "unknown project 'euclid'" in result.stderr
    result = cli("status", "-p", "hst", "-s", "tvac", "--no-check")
    assert result.exit_code == 2 and "project hst has no 'tvac' server" in result.stderr
    result = cli("status", "--no-check", env={"CRDS_SERVER_URL": "ftp://x"})
    assert result.exit_code == 2
    assert "CRDS_SERVER_URL: not an http(s) server URL: 'ftp://x'" in result.stderr
    bad = write_manifest(tmp_path / "m", replace={"instrument: miri": "instrument: mirri"})
    result = cli("status", str(bad), "--no-check")
    assert result.exit_code == 1
    assert f"invalid manifest: {bad}:11:15: form.instrument" in result.stderr
