"""What the crds client notices about a server, one test each: a failed login, server-side
certify errors (BAD FILES), lock semantics, get_build_context, /browse/ pages. HST files keep
these fast (no stdatamodels, small uploads)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import requests

from tests.fixtures.installed import require

require("crds", "bs4")

from tests.compat.crds_programs import TOKEN, USER, crds_env, crds_submit, run, sync  # noqa: E402
from tests.fixtures.fits import write_hst_ref  # noqa: E402

pytestmark = [pytest.mark.compat, pytest.mark.timeout(240)]

SUBMIT = ["--monitor-processing", "--wait-for-completion", "--wipe-existing-files",
          "--creator", "WFC3 Team", "--description", "UVIS bias for fidelity tests",
          "--change-level", "SEVERE", "--dont-auto-rename"]


@pytest.fixture
def hst(sandbox_factory, tmp_path: Path):
    sb = sandbox_factory("hst", username=USER, token=TOKEN)
    sync(sb.url, tmp_path / "cache", tmp_path, "hst")
    return sb


def test_wrong_token_is_the_clients_own_login_failure(hst, tmp_path: Path) -> None:
    bias = write_hst_ref(tmp_path / "a1b2c3d4i_bia.fits")
    env = dict(crds_env(tmp_path / "cache", hst.url, "hst"), MAST_API_TOKEN="f" * 32)
    done = run(crds_submit() + ["--files", str(bias), *SUBMIT], env, tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode != 0
    # The client's post check reads the page's error box before its login check would.
    assert "CRDS server error:  ERROR: Username or password invalid" in output
    assert "CrdsWebError: A web transaction with the CRDS server had errors." in output
    assert "JSONDecodeError" not in output and "f" * 32 not in output
    assert hst.stats.submission_posts == 0


def test_bad_files_make_crds_submit_fail_and_autoconfirm_cancel(hst, tmp_path: Path) -> None:
    bias = write_hst_ref(tmp_path / "a1b2c3d4i_bia.fits", {"USEAFTER": "someday"})
    done = run(crds_submit() + ["--files", str(bias), *SUBMIT, "--autoconfirm"],
                crds_env(tmp_path / "cache", hst.url, "hst"), tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode != 0, output  # the server's ERROR messages count as errors
    # The server's certify errors come back in crds certify's own words, file named.
    assert ("CRDS - ERROR -  >> instrument='WFC3' type='BIASFILE' data='a1b2c3d4i_bia.fits' ::"
            "  Checking 'USEAFTER'") in output
    assert "BAD FILES" in output
    assert hst.stats.submission_posts == 1
    assert hst.stats.confirms == 0 and hst.stats.cancels == 1
    assert hst.catalog.edit_context == "hst_0001.pmap"


def test_lock_stays_after_an_unconfirmed_submission_and_logout_releases_it(
        hst, tmp_path: Path) -> None:
    bias = write_hst_ref(tmp_path / "a1b2c3d4i_bia.fits")
    env = crds_env(tmp_path / "cache", hst.url, "hst")
    done = run(crds_submit() + ["--files", str(bias), *SUBMIT], env, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    status = requests.get(f"{hst.url}lock_status/{USER}/", timeout=10).json()
    assert (status["name"], status["user"], status["is_expired"]) == ("wfc3", USER, False)
    # The same user may log in again (the client's lock pre-check only warns) ...
    again = run(crds_submit() + ["--files", str(bias), "--logout"], env, tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    # ... and logging out releases the lock, as on the real server.
    status = requests.get(f"{hst.url}lock_status/{USER}/", timeout=10).json()
    assert status["name"] == "" and status["exception"] == "no lock found."


def test_get_build_context_and_browse_pages(hst, tmp_path: Path) -> None:
    code = ("from crds.client import api; "
            "print('BUILD', api.S.get_build_context('hst', '1.0.0'))")
    done = run([sys.executable, "-c", code], crds_env(tmp_path / "cache", hst.url, "hst"),
                tmp_path)
    assert "BUILD hst_0001.pmap" in done.stdout, done.stdout + done.stderr
    for name in ("hst_0001.pmap", "hst_wfc3_biasfile_0001.rmap", "41100000i_bia.fits"):
        page = requests.get(f"{hst.url}browse/{name}", timeout=10)
        assert page.status_code == 200 and name in page.text
    assert "selector = Match({" in requests.get(
        f"{hst.url}browse/hst_wfc3_biasfile_0001.rmap", timeout=10).text
    assert requests.get(f"{hst.url}browse/nothing.fits", timeout=10).status_code == 404
