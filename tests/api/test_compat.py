"""`crds_deliver.compat.rc_submit`: the seed notebook's submission cells (from the CRDS "CRDS
For Developers" notebook, shared/reference) run unchanged but for the import line, against a
sandbox named by CRDS_SERVER_URL."""

from __future__ import annotations

import getpass
import os
from pathlib import Path

import pytest
import yaml

from crds_deliver.api import DeliveryError, DeliveryRefused
from crds_deliver.compat import rc_submit
from crds_deliver.record import record_path
from tests.fixtures.fits import write_jwst_ref
from tests.fixtures.notebook import submission_cells

# The notebook's cells 41-43, as users run them, with only the import line changed.
SEED_CELLS = submission_cells("crds_deliver.compat", "jwst_miri_dark_0057.fits")


@pytest.fixture
def seeded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sandbox_factory):
    """The notebook's setup: its folder holds the dark, the environment names the server
    and the token (cells 26-27), and the sandbox knows the user by their login name."""
    sandbox = sandbox_factory("jwst", username=getpass.getuser())
    folder = tmp_path / "notebook"
    write_jwst_ref(folder / "jwst_miri_dark_0057.fits")
    monkeypatch.chdir(folder)
    monkeypatch.setenv("CRDS_SERVER_URL", sandbox.url)
    monkeypatch.setenv("MAST_API_TOKEN", sandbox.token)
    monkeypatch.setenv("CRDS_INI_FILE", str(tmp_path / "no-such.ini"))
    return sandbox, folder


def test_the_seed_notebook_submits_to_the_sandbox(seeded) -> None:
    sandbox, folder = seeded
    cells: dict[str, object] = {"PROJECT": "jwst", "USECASE": "bit"}
    exec(compile(SEED_CELLS, "seed-notebook", "exec"), cells)  # noqa: S102 - the cells under test
    result = cells["result"]
    script = cells["script"]
    assert isinstance(result, rc_submit.SubmissionResult)
    assert result.error_count == 0 and result.warning_count == 0
    assert result.ready_url.startswith(sandbox.url) and "/display_result/" in result.ready_url
    assert result.state == "READY" and script.ready_url == result.ready_url
    official = script.file_map["jwst_miri_dark_0057.fits"]  # the sandbox names files anew
    assert official.startswith("jwst_miri_dark_") and result.file_map == script.file_map
    assert script.results_id == result.ready_url.rstrip("/").split("/")[-1]
    error_count, warning_count, ready_url = result  # still the crds namedtuple
    assert ready_url == result.ready_url
    manifests = sorted((folder / "crds-deliveries").glob("*-miri-dark.yaml"))
    assert len(manifests) == 1 and result.record_path == record_path(manifests[0])
    record = yaml.safe_load(result.record_path.read_text())
    assert record["state"] == "READY"
    assert record["manifest"]["path"] == manifests[0].name
    assert script.delivery.form["useafter_matches"] == "Yes"  # True, as crds maps it
    assert script.delivery.form["instrument"] == "miri"
    assert sandbox.stats.submission_posts == 1

    again = script.submit()  # exactly once: the same delivery, followed up, not posted again
    assert again.ready_url == result.ready_url and sandbox.stats.submission_posts == 1


def test_server_comes_from_the_use_case_without_crds_server_url(
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert rc_submit.Submission("jwst", "bit").base_url == "https://jwst-crds-bit.stsci.edu/"
    assert rc_submit.Submission("hst", "ops").base_url == "https://hst-crds.stsci.edu/"
    monkeypatch.setenv("CRDS_SERVER_URL", "http://127.0.0.1:1/")
    assert rc_submit.Submission("jwst", "bit").base_url == "http://127.0.0.1:1/"
    assert "CRDS_SERVER_URL" in os.environ  # read, never written


def test_field_errors_are_typed_and_name_their_field(tmp_path: Path) -> None:
    script = rc_submit.Submission("jwst", "bit", folder=tmp_path)
    with pytest.raises(rc_submit.UnknownField) as unknown:
        script["colour"] = "blue"
    assert isinstance(unknown.value, KeyError) and isinstance(unknown.value, DeliveryError)
    assert [p.field for p in unknown.value.problems] == ["colour"]
    assert "colour: not a field of the submission form" in str(unknown.value)
    with pytest.raises(rc_submit.FieldError, match="instrument: 'MIRIX' must be a valid"):
        script["instrument"] = "MIRIX"
    with pytest.raises(ValueError, match="history_updated: 'yes' must be of type bool"):
        script["history_updated"] = "yes"
    with pytest.raises(ValueError, match="deliverer: cannot be empty"):
        script["deliverer"] = ""
    script["instrument"] = "NIRCam"
    assert script["instrument"] == "nircam"
    del script["instrument"]
    assert script["instrument"] == "fgs"


def test_submit_without_files_says_so_with_every_empty_field(tmp_path: Path) -> None:
    script = rc_submit.Submission("jwst", "bit", folder=tmp_path)
    with pytest.raises(rc_submit.NoFilesSelected) as raised:
        script.submit()
    fields = [p.field for p in raised.value.problems]
    assert fields[-1] == "files" and "deliverer" in fields and "description" in fields
    assert "use add_file()" in str(raised.value)
    assert not list(tmp_path.iterdir())  # nothing written


def test_description_characters_and_missing_files(tmp_path: Path) -> None:
    script = rc_submit.Submission("jwst", "bit", folder=tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist or is not readable"):
        script.add_file(tmp_path / "missing.fits")
    script["description"] = "darks; new!"
    with pytest.raises(rc_submit.NoFilesSelected) as raised:
        script.validate()
    assert any(p.field == "description" and "invalid character(s) '!;'" in p.message
               for p in raised.value.problems)


def test_preflight_refuses_before_anything_is_uploaded(seeded) -> None:
    sandbox, folder = seeded
    write_jwst_ref(folder / "jwst_miri_dark_0058.fits", {"REFTYPE": "FLAT"})
    cells: dict[str, object] = {"PROJECT": "jwst", "USECASE": "bit"}
    code = submission_cells("crds_deliver.compat", "jwst_miri_dark_0058.fits")
    with pytest.raises(DeliveryRefused) as refused:
        exec(compile(code, "seed-notebook", "exec"), cells)  # noqa: S102
    assert refused.value.plan.has_errors
    assert sandbox.stats.requests == 0
