"""Many files: crds's certifier runs in worker processes (deep_pool.py), and its verdicts are
the ones it gives in this process, file by file, errors included; a worker that dies costs
time, not verdicts; and a user's script that plans without a `__main__` guard runs once."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from crds_deliver.certify.deep import deep_findings
from crds_deliver.certify.deep_pool import (
    POOL_MIN_FILES,
    QUEUE_DEPTH,
    WorkerDied,
    WorkerPool,
    deep_checker,
    worker_count,
)
from crds_deliver.certify.worker_messages import read_message, write_message
from crds_deliver.plan import make_plan
from tests.fixtures.fits import make_delivery, write_hst_ref
from tests.fixtures.fits_mutants import with_value
from tests.fixtures.installed import require

require("crds")

ROOT = Path(__file__).resolve().parents[2]


def _biases(folder: Path, count: int) -> list[Path]:
    """`count` WFC3 biases, each its own USEAFTER; every third with a DETECTOR crds refuses."""
    return [write_hst_ref(folder / f"w{index:07d}i_bia.fits", overrides={
        "USEAFTER": f"Mar 01 2026 {index // 60:02d}:{index % 60:02d}:00",
        **({"DETECTOR": "NOPE"} if index % 3 == 0 else {})}) for index in range(count)]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_the_workers_end_cleanly_with_the_plan(tmp_path: Path) -> None:
    """A worker ends without the interpreter's teardown (deep_worker.py): its exit handlers
    run, and it exits with status 0 once its forked copy has ended."""
    files = _biases(tmp_path, 3)
    pool = WorkerPool("hst", 2)
    try:
        for path in files:
            pool(path, path.name, "hst")
        copy = pool.pids[1]
    finally:
        pool.close()
    assert pool.process.returncode == 0
    assert not _alive(copy)


def test_workers_give_the_findings_this_process_gives(tmp_path: Path) -> None:
    [good, bad] = _biases(tmp_path, 2)[::-1]
    with deep_checker("hst", POOL_MIN_FILES) as check:
        assert isinstance(check, WorkerPool)
        remote = [check(path, path.name, "hst") for path in (good, bad)]
        pids = check.pids
        assert pids and all(_alive(pid) for pid in pids)
    assert remote == [deep_findings(path, path.name, "hst") for path in (good, bad)]
    assert remote[0] == [] and remote[1]
    assert not any(_alive(pid) for pid in pids)  # ended with the plan


def test_a_worker_judges_the_reading_plan_sends_it(tmp_path: Path) -> None:
    """The strict reading crosses the pipe as a message and comes back the same (strings,
    booleans, integers, floats, an infinite one too, tuples as tuples), and the worker
    judges it, not a reading of its own."""
    from crds_deliver.certify.plain_fits import plain_reading

    [path] = _biases(tmp_path, 2)[1:]
    reading = plain_reading(path)
    assert reading is not None
    odd = [(name, [*cards, ("INFINITE", float("inf")), ("FLAG", True), ("BIG", 2**62)])
           for name, cards in reading]
    pipe = io.BytesIO()
    write_message(pipe, {"plain": odd})
    pipe.seek(0)
    assert read_message(pipe) == {"plain": odd}
    refused = with_value(reading, "DETECTOR", "NOPE")
    with deep_checker("hst", POOL_MIN_FILES) as check:
        assert isinstance(check, WorkerPool)
        verdicts = [check(path, path.name, "hst", given) for given in (reading, refused)]
    assert verdicts == [deep_findings(path, path.name, "hst", given)
                        for given in (reading, refused)]
    assert verdicts[0] == [] and [f.keyword for f in verdicts[1]] == ["DETECTOR"]


def test_a_message_cut_short_ends_the_reading() -> None:
    pipe = io.BytesIO()
    write_message(pipe, ["answer"])
    whole = pipe.getvalue()
    for cut in (whole[:2], whole[:-1]):
        with pytest.raises(EOFError):
            read_message(io.BytesIO(cut))


def test_requests_queue_at_the_first_worker_until_it_holds_two(tmp_path: Path) -> None:
    """Requests sent while the workers still import crds wait in their pipes: the first
    worker takes QUEUE_DEPTH of them before the second gets one, and every answer reaches
    the request it answers."""
    files = _biases(tmp_path, 5)
    pool = WorkerPool("hst", 2)
    try:
        assert QUEUE_DEPTH == 2
        futures = [pool._submit(path, path.name, None) for path in files[:2]]
        assert [worker.waiting for worker in pool.workers] == [2, 0]
        futures += [pool._submit(path, path.name, None) for path in files[2:]]
        assert [worker.waiting for worker in pool.workers] == [3, 2]
        verdicts = [future.result() for future in futures]
    finally:
        pool.close()
    assert verdicts == [deep_findings(path, path.name, "hst") for path in files]
    assert [bool(found) for found in verdicts] == [True, False, False, True, False]


def test_plan_keeps_one_core_for_itself_where_crds_checks_cost_about_what_it_does() -> None:
    assert [worker_count("hst", cores) for cores in (1, 2, 4, 16)] == [1, 1, 3, 4]
    assert [worker_count("roman", cores) for cores in (2, 4)] == [1, 3]
    assert [worker_count("jwst", cores) for cores in (1, 2, 4, 16)] == [1, 2, 4, 4]


def test_jwst_workers_give_the_findings_this_process_gives(tmp_path: Path) -> None:
    """A JWST worker keeps asdf's parsed schemas (asdf_schemas.py) and this process does
    not: valid files and a datamodel error alternate, and each verdict is this process's."""
    require("stdatamodels")
    from tests.fixtures.fits import write_jwst_ref

    files = [write_jwst_ref(tmp_path / f"jwst_miri_dark_{index:04d}.fits",
                            {"USEAFTER": f"2026-03-01T00:0{index}:00"},
                            **({"shape": (1, 8, 8)} if index % 2 else {}))
             for index in range(4)]
    with deep_checker("jwst", POOL_MIN_FILES) as check:
        assert isinstance(check, WorkerPool)
        remote = [check(path, path.name, "jwst") for path in files]
    assert remote == [deep_findings(path, path.name, "jwst") for path in files]
    assert remote[0] == remote[2] == []
    assert all(any("JWST Data Models" in f.message for f in found) for found in remote[1::2])


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def test_crds_is_imported_once_and_the_other_workers_are_its_forks() -> None:
    pool = WorkerPool("hst", 3)
    try:
        first, *copies = pool.pids
        assert len(copies) == 2
        assert _parent(first) == os.getpid()
        assert all(_parent(pid) == first for pid in copies)
    finally:
        pool.close()


def test_importing_crds_starts_no_thread() -> None:
    """deep_worker.py forks after the import: safe only while the process has one thread."""
    code = ("import threading\n"
            "from crds_deliver.certify.deep import import_crds\n"
            "from crds_deliver.certify.pinned_config import pin_astropy_config\n"
            "for project in ('hst', 'jwst', 'roman'):\n"
            "    import_crds(project)\n"
            "pin_astropy_config()\n"
            "print([thread.name for thread in threading.enumerate()])\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=600, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "['MainThread']"


def test_a_dead_worker_costs_time_not_verdicts(tmp_path: Path) -> None:
    files = _biases(tmp_path, 4)
    with deep_checker("hst", POOL_MIN_FILES) as check:
        first = check(files[0], files[0].name, "hst")
        for pid in check.pids:
            os.kill(pid, signal.SIGKILL)
        rest = [check(path, path.name, "hst") for path in files[1:]]
    assert [first, *rest] == [deep_findings(path, path.name, "hst") for path in files]


def test_requests_in_flight_when_the_workers_die_are_checked_here(tmp_path: Path) -> None:
    files = _biases(tmp_path, 4)
    pool = WorkerPool("hst", 2)
    try:
        in_flight = [pool._submit(path, path.name, None) for path in files]
        pool.process.kill()  # still importing crds: no answer given, no copy forked
        for future in in_flight:
            with pytest.raises(WorkerDied):
                future.result()
        verdicts = [pool(path, path.name, "hst") for path in files]
    finally:
        pool.close()
    assert verdicts == [deep_findings(path, path.name, "hst") for path in files]


def test_a_plan_of_many_files_has_crds_verdicts_file_by_file(tmp_path: Path) -> None:
    """plan's findings from crds (worker processes) are those crds gives each file here."""
    files = _biases(tmp_path / "repo" / "refs", POOL_MIN_FILES + 2)
    manifest = make_delivery(tmp_path / "repo", "hst", "wfc3", "BIAS", ["refs/*.fits"])
    planned = {Path(f.path).name: sorted(x.message for x in f.result.findings
                                         if x.message.startswith("crds: "))
               for f in make_plan(manifest).files}
    here = {path.name: sorted(x.message for x in deep_findings(path, str(path), "hst"))
            for path in files}
    assert planned == here
    assert sum(1 for messages in planned.values() if messages) == len(range(0, len(files), 3))


SCRIPT = """
import sys
import crds_deliver
print("script body", flush=True)
plan = crds_deliver.Delivery.load(sys.argv[1]).plan()
print("files", len(plan.manifest_plan.files), flush=True)
"""


def test_a_script_without_a_main_guard_runs_once(tmp_path: Path) -> None:
    """multiprocessing's workers ran the parent's main script again; ours never import it."""
    _biases(tmp_path / "repo" / "refs", POOL_MIN_FILES)
    manifest = make_delivery(tmp_path / "repo", "hst", "wfc3", "BIAS", ["refs/*.fits"])
    script = tmp_path / "deliver.py"
    script.write_text(SCRIPT)
    done = subprocess.run([sys.executable, str(script), str(manifest)], capture_output=True,
                          text=True, timeout=600, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["script body", f"files {POOL_MIN_FILES}"]
    assert "Traceback" not in done.stderr


def test_no_interpreter_to_start_means_checks_in_this_process(tmp_path: Path, monkeypatch):
    [path] = _biases(tmp_path, 1)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-such-python"))
    with deep_checker("hst", POOL_MIN_FILES) as check:
        assert check is deep_findings
        assert check(path, path.name, "hst") != []  # index 0: the refused DETECTOR
