"""The CRDS developer notebook (shared/reference), step by step as written, on a fresh sandbox.

Its steps are shell lines (`crds list --status`, `crds sync ... --files <reference>`,
`crds_unique CRDSUNIQ *.fits`, `crds sync --contexts jwst-edit`) and Python cells
(`rc_submit.Submission(...).submit()`): each runs as its own process of the installed crds
package, in one notebook folder, with the environment of cells 26-27 (CRDS_SERVER_URL,
CRDS_PATH, MAST_API_TOKEN; no CRDS_USERNAME, so crds logs in as the login name). The downloaded
reference is the sandbox's bundled MIRI dark: the notebook resubmits it, so it must pass crds's
own certify, locally (`--certify-files`) and on the sandbox's side.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.installed import require

require("crds", "stdatamodels", "bs4")  # crds certifies JWST references through stdatamodels

from tests.compat.crds_programs import python_script, run  # noqa: E402
from tests.fixtures.forked_console import console_folder  # noqa: E402
from tests.fixtures.notebook import crds_submission_script  # noqa: E402

pytestmark = [pytest.mark.compat, pytest.mark.timeout(240)]

SEED_DARK = "jwst_miri_dark_0001.fits"  # the fresh sandbox's MIRI dark (the notebook's _0057)


def _notebook_env(server_url: str, token: str, cache: Path, bin_folder: Path
                  ) -> dict[str, str]:
    """Cells 26-27, with the crds programs of this interpreter first on PATH (`!crds ...`), and
    crds's garbage collection around each FITS open switched off (it changes no verdict).
    `crds` and `crds_unique` run the installed programs' code forked warm
    (tests/fixtures/forked_console.py): as fresh interpreters, the four lines took about 11 s
    of CPU, most of it importing astropy and crds."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRDS_")}
    console = console_folder(bin_folder, ("crds", "crds_unique"))
    env.update(CRDS_SERVER_URL=server_url, CRDS_PATH=str(cache), MAST_API_TOKEN=token,
               CRDS_EXPLICIT_GARBAGE_COLLECTION="False",
               PATH=os.pathsep.join([str(console), str(Path(sys.executable).parent),
                                     env.get("PATH", "")]))
    return env


def _shell(line: str, env: dict[str, str], cwd: Path) -> str:
    """One `!` line of the notebook, through a shell (it expands `*.fits`); its output."""
    done = subprocess.run(["/bin/sh", "-c", line], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=200)
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{line}\n{output}"
    return output


def test_the_notebook_resubmits_a_downloaded_seed_reference(sandbox_factory,
                                                            tmp_path: Path) -> None:
    sb = sandbox_factory("jwst", username=getpass.getuser())
    folder = tmp_path / "notebook"
    folder.mkdir()
    env = _notebook_env(sb.url, sb.token, tmp_path / "crds_cache_bit", tmp_path / "bin")

    status = _shell("crds list --status", env, folder)
    assert "Effective Context = 'jwst_0001.pmap'" in status
    assert f"CRDS_SERVER_URL = '{sb.url}'" in status

    # Cell 40: the demo reference comes through a throw-away cache, into the notebook folder.
    demo = dict(env, CRDS_PATH=str(tmp_path / "crds_cache_demo"))
    _shell(f"crds sync --output-dir=. --files {SEED_DARK} --organize=flat", demo, folder)
    downloaded = (folder / SEED_DARK).read_bytes()
    assert hashlib.sha1(downloaded).hexdigest() == sb.catalog.delivered(SEED_DARK)["sha1sum"]
    stamped = _shell("crds_unique CRDSUNIQ *.fits", env, folder)
    assert f"('{SEED_DARK}', 'CRDSUNIQ', '='" in stamped
    assert (folder / SEED_DARK).read_bytes() != downloaded  # no longer known to the server
    _shell("crds sync --contexts jwst-edit", env, folder)

    # Cells 41-43, with crds's own rc_submit: local certify, upload, ReDCaT submission.
    script = tmp_path / "cells_41_43.py"
    script.write_text(crds_submission_script(sb.url, SEED_DARK))
    done = run(python_script(script), env, folder)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "ERRORS 0" in output.splitlines(), output
    ready = next(line.split()[1] for line in output.splitlines() if line.startswith("READY "))
    assert ready.startswith(sb.url + "/display_result/")  # the real server's double slash
    assert f"FILEMAP {SEED_DARK} jwst_miri_dark_0002.fits" in output
    found = sb.catalog.result(ready.rsplit("/", 1)[-1])
    assert found is not None
    record = sb.catalog.submission(found[0])
    assert record is not None and record["state"] == "READY"
    assert [f["status"] for f in record["files"]] == ["OK"]  # the sandbox's certify agrees
    assert sb.stats.submission_posts == 1 and sb.token not in output
