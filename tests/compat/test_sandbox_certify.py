"""The sandbox certifies on the server side like the real server: a file CRDS rejects, submitted
by the crds package's own `crds submit` without local certification, ends BAD FILES, with the
certify errors on the progress channel where the crds client counts them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.fixtures.installed import require

require("crds", "stdatamodels", "bs4")

from tests.compat.crds_programs import TOKEN, USER, crds_env, crds_submit, run, sync  # noqa: E402
from tests.fixtures.fits import write_nircam_dark  # noqa: E402

pytestmark = [pytest.mark.compat, pytest.mark.timeout(240)]


def test_a_2d_nircam_dark_submitted_without_local_certify_ends_bad_files(
        sandbox_factory, tmp_path: Path) -> None:
    sb = sandbox_factory("jwst", username=USER, token=TOKEN)
    env = crds_env(tmp_path / "cache", sb.url)
    sync(sb.url, tmp_path / "cache", tmp_path)
    dark = write_nircam_dark(tmp_path / "my_nircam_dark.fits", shape=(64, 64))
    done = run(crds_submit() + [
        "--files", str(dark), "--monitor-processing", "--wait-for-completion",
        "--wipe-existing-files", "--creator", "NIRCam Team",
        "--description", "A 2-D NIRCam dark the server must refuse", "--change-level",
        "SEVERE"], env, tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    # The server-side certify errors reached the client as errors, in the server's words.
    assert "instrument='NIRCAM' type='DARK' data='my_nircam_dark.fits' ::" in output
    assert "Constraint (ndim(SCI_ARRAY,3)) is not satisfied" in output or \
        "wrong number of dimensions" in output
    assert sb.stats.submission_posts == 1
    result_id = re.search(r"/display_result/([0-9a-f-]+)", output)
    assert result_id, output
    found = sb.catalog.result(result_id[1])
    assert found is not None
    record = sb.catalog.submission(found[0])
    assert record is not None and record["state"] == "BAD FILES"
    assert record["files"][0]["status"] == "ERRORS"
    assert sb.catalog.edit_context == "jwst_0001.pmap"  # nothing was added
    assert TOKEN not in output
