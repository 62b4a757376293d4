"""The crds package's own clients, unchanged, complete deliveries against the sandbox.

Both run as their own processes (tests/compat/crds_programs.py), after a
`crds sync --contexts <obs>-edit` of the sandbox's rules into a temporary CRDS cache, as the
CRDS developer notebook does before submitting: the client certifies locally against them.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.fixtures.installed import require

require("crds", "bs4")

from tests.compat.crds_programs import (  # noqa: E402
    TOKEN,
    USER,
    crds_env,
    crds_submit,
    python_script,
    run,
    sync,
)
from tests.compat.crds_refs import write_miri_dark  # noqa: E402
from tests.fixtures.fits import write_hst_ref  # noqa: E402
from tests.fixtures.notebook import crds_submission_script  # noqa: E402

pytestmark = [pytest.mark.compat, pytest.mark.timeout(240)]


def _needs_stdatamodels() -> None:
    """The crds client certifies JWST files through stdatamodels (the compat extra has it)."""
    pytest.importorskip("stdatamodels")


def test_crds_submit_command_line_batch(sandbox_factory, tmp_path: Path) -> None:
    _needs_stdatamodels()
    sb = sandbox_factory("jwst", username=USER, token=TOKEN)
    cache = tmp_path / "cache"
    sync(sb.url, cache, tmp_path)
    dark = write_miri_dark(tmp_path / "my_miri_dark.fits")
    args = crds_submit() + [
        "--files", str(dark), "--monitor-processing", "--wait-for-completion",
        "--wipe-existing-files", "--certify-files", "--creator", "MIRI Team",
        "--description", "MIRI imager dark for compatibility tests",
        "--change-level", "SEVERE", "--autoconfirm"]
    done = run(args, crds_env(cache, sb.url), tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert ">> COMPLETED:" in output and "//display_result/" in output
    assert sb.stats.submission_posts == 1
    assert sb.stats.chunk_posts == 2  # 3.2 MB in 2 MB chunks
    assert sb.stats.confirms == 1
    info = sb.catalog.delivered("jwst_miri_dark_0002.fits")  # the seed holds 0001
    assert info is not None and info["uploaded_as"] == "my_miri_dark.fits"
    assert info["sha1sum"] == hashlib.sha1(dark.read_bytes()).hexdigest()
    assert sb.catalog.edit_context == "jwst_0002.pmap"
    assert TOKEN not in output

    # The same bytes again: the client's own certify finds the sha1 known to the server.
    again = run(args, crds_env(cache, sb.url), tmp_path)
    assert again.returncode != 0
    assert "identical" in (again.stdout + again.stderr)
    assert sb.stats.submission_posts == 1


def test_crds_submit_command_line_hst_keeps_name(sandbox_factory, tmp_path: Path) -> None:
    sb = sandbox_factory("hst", username=USER, token=TOKEN)
    cache = tmp_path / "cache"
    sync(sb.url, cache, tmp_path, "hst")
    bias = write_hst_ref(tmp_path / "a1b2c3d4i_bia.fits")
    done = run(crds_submit() + [
        "--files", str(bias), "--monitor-processing", "--wait-for-completion",
        "--wipe-existing-files", "--certify-files", "--creator", "WFC3 Team",
        "--description", "UVIS bias for compatibility tests", "--change-level", "SEVERE",
        "--dont-auto-rename", "--autoconfirm"], crds_env(cache, sb.url, "hst"), tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert sb.catalog.delivered("a1b2c3d4i_bia.fits") is not None
    assert sb.catalog.edit_context == "hst_0002.pmap"
    assert sb.stats.submission_posts == 1 and sb.stats.confirms == 1
    assert sb.stats.chunk_posts == 0  # a small file goes in one POST


def test_crds_submit_certify_kind(sandbox_factory, tmp_path: Path) -> None:
    sb = sandbox_factory("hst", username=USER, token=TOKEN)
    cache = tmp_path / "cache"
    sync(sb.url, cache, tmp_path, "hst")
    bias = write_hst_ref(tmp_path / "a1b2c3d4i_bia.fits")
    done = run(crds_submit() + [
        "--files", str(bias), "--submission-kind", "certify", "--monitor-processing",
        "--wait-for-completion", "--wipe-existing-files"], crds_env(cache, sb.url, "hst"), tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert ">> Certifying 'a1b2c3d4i_bia.fits'" in output and ">> COMPLETED:" in output
    assert sb.stats.submission_posts == 0 and sb.catalog.edit_context == "hst_0001.pmap"


def test_rc_submit_programmatic_redcat(sandbox_factory, tmp_path: Path) -> None:
    _needs_stdatamodels()
    sb = sandbox_factory("jwst", username=USER, token=TOKEN)
    cache = tmp_path / "cache"
    sync(sb.url, cache, tmp_path)
    dark = write_miri_dark(tmp_path / "second_dark.fits", useafter="2026-02-01T00:00:00")
    script = tmp_path / "notebook.py"
    script.write_text(crds_submission_script(sb.url, str(dark)))
    done = run(python_script(script), crds_env(cache, None), tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "ERRORS 0" in output
    ready = [line for line in output.splitlines() if line.startswith("READY ")][0].split()[1]
    assert ready.startswith(sb.url + "/display_result/")
    assert "FILEMAP second_dark.fits jwst_miri_dark_0002.fits" in output
    assert sb.stats.submission_posts == 1
    record = sb.catalog.submission(sb.catalog.result(ready.rsplit("/", 1)[-1])[0])
    assert record["state"] == "READY"
    assert record["kind"] == "redcat"
    assert record["values"]["useafter_matches"] == "Yes"
    assert record["values"]["instrument"] == "miri"
