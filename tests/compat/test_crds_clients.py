"""The crds package's own clients, unchanged, complete deliveries against the sandbox.

Both run as subprocesses (the crds client keeps global state and writes os.environ), after a
`crds sync --contexts <obs>-edit` of the sandbox's rules into a temporary CRDS cache, as the
CRDS developer notebook does before submitting: the client certifies locally against them.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("crds")
pytest.importorskip("bs4")

from tests.compat.crds_refs import write_miri_dark  # noqa: E402
from tests.fixtures.fits import write_hst_ref  # noqa: E402
from tests.fixtures.notebook import crds_submission_script  # noqa: E402

pytestmark = [pytest.mark.compat, pytest.mark.timeout(240)]


def _needs_stdatamodels() -> None:
    """The crds client certifies JWST files through stdatamodels (the compat extra has it)."""
    pytest.importorskip("stdatamodels")

TOKEN = "0123456789abcdef0123456789abcdef"
USER = "jdoe"


def _env(cache: Path, server_url: str | None, project: str = "jwst") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRDS_")}
    env.update(CRDS_OBSERVATORY=project, MAST_API_TOKEN=TOKEN, CRDS_USERNAME=USER,
               CRDS_PATH=str(cache))
    if server_url:
        env["CRDS_SERVER_URL"] = server_url
    return env


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=200)


def _sync(url: str, cache: Path, cwd: Path, project: str = "jwst") -> None:
    done = _run([sys.executable, "-m", "crds.sync", "--contexts", f"{project}-edit"],
                _env(cache, url, project), cwd)
    assert done.returncode == 0, done.stdout + done.stderr


def _crds_submit() -> list[str]:
    """`crds submit` through the installed wrapper, else the same program as a module."""
    wrapper = Path(sys.executable).parent / "crds"
    return [str(wrapper), "submit"] if wrapper.exists() else [sys.executable, "-m", "crds.submit"]


def test_crds_submit_command_line_batch(sandbox_factory, tmp_path: Path) -> None:
    _needs_stdatamodels()
    sb = sandbox_factory("jwst", username=USER, token=TOKEN)
    cache = tmp_path / "cache"
    _sync(sb.url, cache, tmp_path)
    dark = write_miri_dark(tmp_path / "my_miri_dark.fits")
    args = _crds_submit() + [
        "--files", str(dark), "--monitor-processing", "--wait-for-completion",
        "--wipe-existing-files", "--certify-files", "--creator", "MIRI Team",
        "--description", "MIRI imager dark for compatibility tests",
        "--change-level", "SEVERE", "--autoconfirm"]
    done = _run(args, _env(cache, sb.url), tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert ">> COMPLETED:" in output and "//display_result/" in output
    assert sb.stats.submission_posts == 1
    assert sb.stats.chunk_posts == 7  # 12.7 MB in 2 MB chunks
    assert sb.stats.confirms == 1
    info = sb.catalog.delivered("jwst_miri_dark_0002.fits")  # the seed holds 0001
    assert info is not None and info["uploaded_as"] == "my_miri_dark.fits"
    assert info["sha1sum"] == hashlib.sha1(dark.read_bytes()).hexdigest()
    assert sb.catalog.edit_context == "jwst_0002.pmap"
    assert TOKEN not in output

    # The same bytes again: the client's own certify finds the sha1 known to the server.
    again = _run(args, _env(cache, sb.url), tmp_path)
    assert again.returncode != 0
    assert "identical" in (again.stdout + again.stderr)
    assert sb.stats.submission_posts == 1


def test_crds_submit_command_line_hst_keeps_name(sandbox_factory, tmp_path: Path) -> None:
    sb = sandbox_factory("hst", username=USER, token=TOKEN)
    cache = tmp_path / "cache"
    _sync(sb.url, cache, tmp_path, "hst")
    bias = write_hst_ref(tmp_path / "a1b2c3d4i_bia.fits")
    done = _run(_crds_submit() + [
        "--files", str(bias), "--monitor-processing", "--wait-for-completion",
        "--wipe-existing-files", "--certify-files", "--creator", "WFC3 Team",
        "--description", "UVIS bias for compatibility tests", "--change-level", "SEVERE",
        "--dont-auto-rename", "--autoconfirm"], _env(cache, sb.url, "hst"), tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert sb.catalog.delivered("a1b2c3d4i_bia.fits") is not None
    assert sb.catalog.edit_context == "hst_0002.pmap"
    assert sb.stats.submission_posts == 1 and sb.stats.confirms == 1
    assert sb.stats.chunk_posts == 0  # a small file goes in one POST


def test_crds_submit_certify_kind(sandbox_factory, tmp_path: Path) -> None:
    sb = sandbox_factory("hst", username=USER, token=TOKEN)
    cache = tmp_path / "cache"
    _sync(sb.url, cache, tmp_path, "hst")
    bias = write_hst_ref(tmp_path / "a1b2c3d4i_bia.fits")
    done = _run(_crds_submit() + [
        "--files", str(bias), "--submission-kind", "certify", "--monitor-processing",
        "--wait-for-completion", "--wipe-existing-files"], _env(cache, sb.url, "hst"), tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert ">> Certifying 'a1b2c3d4i_bia.fits'" in output and ">> COMPLETED:" in output
    assert sb.stats.submission_posts == 0 and sb.catalog.edit_context == "hst_0001.pmap"


def test_rc_submit_programmatic_redcat(sandbox_factory, tmp_path: Path) -> None:
    _needs_stdatamodels()
    sb = sandbox_factory("jwst", username=USER, token=TOKEN)
    cache = tmp_path / "cache"
    _sync(sb.url, cache, tmp_path)
    dark = write_miri_dark(tmp_path / "second_dark.fits", useafter="2026-02-01T00:00:00")
    script = tmp_path / "notebook.py"
    script.write_text(crds_submission_script(sb.url, str(dark)))
    done = _run([sys.executable, str(script)], _env(cache, None), tmp_path)
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
