"""Many files: crds's certifier runs in worker processes (deep.deep_checker), and its verdicts
are the ones it gives in this process, file by file, errors included."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from crds_deliver.certify.deep import POOL_MIN_FILES, deep_checker, deep_findings
from crds_deliver.plan import make_plan
from tests.fixtures.fits import make_delivery, write_hst_ref

pytest.importorskip("crds")


def _biases(folder: Path, count: int) -> list[Path]:
    """`count` WFC3 biases, each its own USEAFTER; every third with a DETECTOR crds refuses."""
    return [write_hst_ref(folder / f"w{index:07d}i_bia.fits", overrides={
        "USEAFTER": f"Mar 01 2026 {index // 60:02d}:{index % 60:02d}:00",
        **({"DETECTOR": "NOPE"} if index % 3 == 0 else {})}) for index in range(count)]


def test_workers_give_the_findings_this_process_gives(tmp_path: Path) -> None:
    [good, bad] = _biases(tmp_path, 2)[::-1]
    with deep_checker("hst", POOL_MIN_FILES) as check:
        remote = [check(path, path.name, "hst") for path in (good, bad)]
        assert multiprocessing.active_children()  # the checks ran in worker processes
    assert remote == [deep_findings(path, path.name, "hst") for path in (good, bad)]
    assert remote[0] == [] and remote[1]


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
