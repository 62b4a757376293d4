"""Randomized kills: `crds-deliver apply` SIGKILLed at a random moment of a delivery (after a
random number of the server's requests, plus a random few milliseconds), then re-run until its
record is terminal or READY. Each killed apply is a separate process forked warm
(tests/fixtures/cli_process.py): a fresh interpreter would spend most of each run importing
and warming crds. Each of RUNS deliveries (new files every time) must end with exactly one
submission post on the sandbox, a record that says what the server shows, and its files on
the server bit for bit, once.

Split into CHUNKS parametrized cases so pytest-xdist spreads them over its workers; each
chunk has its own sandbox. The seed is printed, so a failing run can be replayed
(CRDS_DELIVER_KILL_SEED)."""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

import pytest

from crds_deliver.record import load_record
from tests.faults.helpers import local_files, server_has_exactly
from tests.fixtures.cli_process import CliProcess
from tests.fixtures.fits import manifest_text, write_hst_ref
from tests.fixtures.repo import git, init_repo, sandbox_env

RUNS = 100
CHUNKS = 10
# The kills spread over this many requests: one HST delivery asks the sandbox 17 (21 before
# apply stopped repeating four; tests/apply/test_round_trips.py), and about one run in ten
# finishes before its kill, as a delivery never killed must end well too.
REQUESTS_PER_DELIVERY = 19
FINAL = {"READY", "CONFIRMED"}
# A re-run after a kill during the post watches this long for a sign of it before posting
# anew. The sandbox shows one within milliseconds of the whole form arriving (its first progress
# message), and the re-run starts watching only after the kill: 4 s leaves a wide margin on a
# loaded machine, where the default (60 s) would make each such case a minute long.
QUIET_SECONDS = "4"
SEED = int(os.environ.get("CRDS_DELIVER_KILL_SEED") or random.SystemRandom().randrange(10**6))


def _new_delivery(root: Path, chunk: int, run: int) -> Path:
    """Run `run`'s manifest, committed: one new WFC3 bias. What the kills exercise (the
    delivery's steps and its record) is the same for every project, and crds certifies a
    small HST file in about a tenth of the CPU of a JWST one, a hundred times over."""
    folder = root / "manifests" / "hst" / "wfc3"
    write_hst_ref(folder / f"refs-{run}" / f"kill{run:04d}i_bia.fits",
                  {"DESCRIP": f"UVIS bias of kill run {chunk}.{run} from 2026 flight data"})
    manifest = folder / f"run-{run}.yaml"
    manifest.write_text(manifest_text("hst", "wfc3", "BIAS", [f"refs-{run}/*_bia.fits"]))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", f"Add {manifest.name}")
    return manifest


def _kill_at_random(manifest, sb, env, rng: random.Random) -> str:
    """Start apply, kill it after a random number of server requests (or let it finish)."""
    target = sb.stats.requests + rng.randrange(REQUESTS_PER_DELIVERY)
    proc = CliProcess(["apply", "--yes", manifest], env={**os.environ, **env})
    while proc.poll() is None and sb.stats.requests < target:
        time.sleep(0.002)
    time.sleep(rng.random() * 0.02)
    proc.kill()
    proc.wait()
    return f"killed at request {sb.stats.requests - target + 1} of the target's"


def _rerun_until_done(manifest, sb, run_cli, env, ledger, attempts: int = 5):
    """Re-run apply until the record is READY (or terminal); (record data or None, outputs)."""
    outputs = []
    for _attempt in range(attempts + 1):
        data = load_record(manifest)  # valid against the schema, whatever the kill left
        if data is not None and data["state"] in FINAL:
            return data, outputs
        if _attempt == attempts:
            break
        result = run_cli(["apply", "--yes", manifest], sb, env=env)
        ledger.output(result.output)
        assert "Traceback" not in result.output, result.output
        outputs.append(result.output)
    return None, outputs


@pytest.mark.slow
@pytest.mark.timeout(900)  # ten deliveries with re-runs; minutes on a loaded two-core machine
@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_random_sigkill_then_rerun_converges_with_one_post(chunk, sandbox_factory, run_cli,
                                                           tmp_path, ledger):
    sandbox = sandbox_factory("hst")
    rng = random.Random(SEED * 1000 + chunk)
    env = {"CRDS_DELIVER_LOCK_DIR": str(tmp_path / "locks"),
           "CRDS_DELIVER_QUIET_SECONDS": QUIET_SECONDS}
    full_env = {**sandbox_env(sandbox), **env}
    root = tmp_path / "repo"
    init_repo(root)
    for run in range(RUNS // CHUNKS):
        manifest = _new_delivery(root, chunk, run)
        posts_before = sandbox.stats.submission_posts
        how = _kill_at_random(manifest, sandbox, full_env, rng)
        data, outputs = _rerun_until_done(manifest, sandbox, run_cli, env, ledger)
        if data is None:
            ledger.stuck(1)
            pytest.fail(f"seed {SEED}, run {run} ({how}): not converged: {outputs}")
        posts = sandbox.stats.submission_posts - posts_before
        ledger.posts(1, posts)
        assert posts == 1, f"seed {SEED}, run {run} ({how}): {posts} posts"
        consistent = (data["state"] == "READY" and bool(data["submission"]["results_id"])
                      and all(f["official_name"] for f in data["files"])
                      and server_has_exactly(sandbox, local_files(manifest)))
        ledger.record_kept(consistent)
        assert consistent, f"seed {SEED}, run {run} ({how}): {data}"
