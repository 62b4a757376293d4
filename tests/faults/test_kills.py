"""`python -m crds_deliver apply` killed (SIGKILL) at each step a crash could hit; the re-run
converges and the server never gets a second submission post. The server holds one request
(a sandbox delay on its path) so the test can see where the run is, then kills it there.

Kills while the post is held and after SUBMITTED are in tests/apply/test_resume.py.
"""

from __future__ import annotations

import time

import pytest

from crds_deliver.lock import lock_path
from crds_deliver.record import record_path
from tests.faults.helpers import (
    local_files,
    record_data,
    record_state,
    server_has_exactly,
    start_apply,
    wait_until,
)

# (name, held path, record state expected when killed, manifest options)
POINTS = [
    ("uploading", "/upload/chunked/", None, None),
    ("channel-opening", "/jpoll/open_channel", None, None),
    ("reading-results", "/display_result/", "SUBMITTED", None),  # the post's redirect too
    ("confirming", "/submit_confirm/", "READY", {"auto_confirm": "true"}),
]


@pytest.mark.parametrize("point,held,state,options", POINTS, ids=[p[0] for p in POINTS])
def test_killed_at_each_step_converges_with_one_post(point, held, state, options,
                                                      delivery_repo, sandbox, run_cli,
                                                      ledger):
    repo = delivery_repo(files=2, options=options)
    sandbox.faults.delay(2.0, count=2 if point == "reading-results" else 1, path_prefix=held)
    before = sandbox.stats.requests
    proc = start_apply(repo.manifest, sandbox)
    wait_until(lambda: record_state(repo.manifest) == state and sandbox.stats.requests > before
               and lock_path(repo.manifest).exists(), proc, what=f"{point} ({state})")
    time.sleep(0.6)  # the held request is in the server now
    proc.kill()
    proc.wait()
    kept = record_state(repo.manifest) == state
    ledger.record_kept(kept)
    assert kept, record_state(repo.manifest)
    time.sleep(1.6)  # the held request completes on the server side

    result = run_cli(["apply", "--yes", repo.manifest], sandbox)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    ledger.posts(1, sandbox.stats.submission_posts)
    assert sandbox.stats.submission_posts == 1
    final = "CONFIRMED" if options else "READY"
    data = record_data(repo.manifest)
    ledger.record_kept(data["state"] == final)
    assert data["state"] == final, result.output
    assert all(f["official_name"] for f in data["files"])
    assert server_has_exactly(sandbox, local_files(repo.manifest))
    assert not lock_path(repo.manifest).exists()
    assert not any(p.name.endswith(".tmp") for p in record_path(repo.manifest).parent.iterdir())
    again = run_cli(["apply", "--yes", repo.manifest], sandbox)
    assert again.exit_code == 0, again.output
    assert record_data(repo.manifest)["state"] == final
    assert sandbox.stats.submission_posts == 1
