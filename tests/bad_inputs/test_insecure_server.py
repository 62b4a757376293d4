"""A server URL that would send the token in clear text (plain http to another machine), from
the manifest or from CRDS_SERVER_URL: apply refuses before any request, with a clear error."""

from __future__ import annotations

import pytest

from crds_deliver.record import record_path
from tests.fixtures.fits import manifest_text


@pytest.mark.parametrize("where", ["manifest", "environment"])
def test_plain_http_to_another_host_is_refused(where, delivery_repo, run_cli, ledger):
    repo = delivery_repo(files=1)
    url = "http://crds.example.org/"
    env = {"MAST_API_TOKEN": "0123456789abcdef0123456789abcdef", "CRDS_USERNAME": "jane",
           "CI": "true", "CRDS_INI_FILE": "/nonexistent"}
    if where == "manifest":
        text = manifest_text("jwst", "miri", "DARK", ["refs-a/jwst_miri_dark_*.fits"])
        repo.manifest.write_text(text.replace("server: bit", f"server: {url}"))
    else:
        env["CRDS_SERVER_URL"] = url
    result = run_cli(["apply", "--yes", repo.manifest], env=env)
    assert result.exit_code == 1, result.output
    if where == "manifest":  # the schema refuses it, located, before anything runs
        assert "server: 'http://crds.example.org/' is not a server of project jwst" in \
            result.output
        assert "plain http only for this machine" in result.output
    else:
        assert "refusing plain http to crds.example.org" in result.output
    assert "Traceback" not in result.output
    ledger.record_kept(not record_path(repo.manifest).exists())
    assert not record_path(repo.manifest).exists()
    assert env["MAST_API_TOKEN"] not in result.output
