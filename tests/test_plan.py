"""make_plan and `crds-deliver plan` on real delivery repositories (git repos in tmp folders,
FITS files written by astropy), the example manifests, pinning, and the plan JSON schema."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

from crds_deliver.files import ResolvedFile
from crds_deliver.manifest import load_manifest
from crds_deliver.plan import (
    MAX_WORKERS,
    SMALL_FILE,
    Action,
    make_plan,
    plan_threads,
    replace_pinned,
)
from crds_deliver.problems import Severity
from tests.fixtures.cli_process import run_command
from tests.fixtures.examples import copy_examples
from tests.fixtures.fits import make_delivery, write_hst_ref, write_jwst_ref

REPO = Path(__file__).resolve().parents[1]
PLAN_SCHEMA = json.loads((REPO / "crds_deliver/schemas/plan.schema.json").read_text())


def run_plan(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    """The real command line, in a child process (stderr is not a terminal: no progress bars)."""
    return run_command(["plan", *args], cwd=cwd)


def miri_delivery(tmp_path: Path, count: int = 2, **kw) -> Path:
    for i in range(1, count + 1):
        write_jwst_ref(tmp_path / "repo" / "refs" / f"jwst_miri_dark_{i:04d}.fits",
                       {"SUBARRAY": ("SUB128", "SUB64", "MASK1065")[i - 1]})
    return make_delivery(tmp_path / "repo", "jwst", kw.pop("instrument", "miri"),
                         kw.pop("file_type", "DARK"), ["refs/*.fits"], **kw)


def test_small_files_on_local_disks_are_planned_in_one_thread(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A small file's plan is mostly Python holding the GIL: one thread for small files (by
    the median size) on a local disk; larger files, or any on a network file system, a
    thread a core, at most MAX_WORKERS and no more than the files."""
    monkeypatch.setattr(os, "cpu_count", lambda: 8)

    def files(*sizes: int) -> list[ResolvedFile]:
        return [ResolvedFile(Path("/refs") / f"f{i}", f"f{i}", size)
                for i, size in enumerate(sizes)]

    assert plan_threads([], local=True) == 1
    assert plan_threads(files(*[43_200] * 2000), local=True) == 1
    assert plan_threads(files(*[43_200] * 2000), local=False) == MAX_WORKERS
    assert plan_threads(files(SMALL_FILE, SMALL_FILE + 1, 10**9, 0), local=True) == 1
    assert plan_threads(files(*[SMALL_FILE + 1] * 10), local=True) == MAX_WORKERS
    assert plan_threads(files(1, 10**6, 10**6), local=True) == 3
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert plan_threads(files(*[10**6] * 200), local=True) == 2


def test_examples_plan_offline_with_no_errors_and_valid_json(tmp_path: Path) -> None:
    pytest.importorskip("asdf")
    copy_examples(tmp_path / "manifests")
    out = run_plan("manifests/", "--format", "json", cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    data = json.loads(out.stdout)
    jsonschema.validate(data, PLAN_SCHEMA)
    assert data["summary"]["errors"] == 0
    assert {m["project"] for m in data["manifests"]} == {"hst", "jwst", "roman"}
    assert all(m["action"] == "DELIVER" and m["files"] for m in data["manifests"])


def test_good_delivery_is_delivered(tmp_path: Path) -> None:
    plan = make_plan(miri_delivery(tmp_path))
    assert plan.action is Action.DELIVER
    assert [f.path for f in plan.files] == ["refs/jwst_miri_dark_0001.fits",
                                            "refs/jwst_miri_dark_0002.fits"]
    assert all(len(f.sha256) == 64 and len(f.sha1) == 40 and f.size for f in plan.files)
    assert plan.count(Severity.ERROR) == plan.count(Severity.WARNING) == 0


def test_instrument_mismatch_with_the_form_is_refused(tmp_path: Path) -> None:
    manifest = miri_delivery(tmp_path, instrument="nircam")
    plan = make_plan(manifest)
    assert plan.action is Action.REFUSE
    assert any(f.severity is Severity.ERROR and "form.instrument is nircam" in f.message
               and f.file == str(manifest.parent / "refs/jwst_miri_dark_0001.fits")
               for f in plan.findings)


def test_file_type_mismatch_is_only_a_warning(tmp_path: Path) -> None:
    plan = make_plan(miri_delivery(tmp_path, file_type="FLAT"))
    assert plan.action is Action.DELIVER
    assert [f.severity for f in plan.findings] == [Severity.WARNING] * 2


def test_bit_identical_files_are_refused(tmp_path: Path) -> None:
    manifest = miri_delivery(tmp_path, count=1)
    refs = manifest.parent / "refs"
    shutil.copy(refs / "jwst_miri_dark_0001.fits", refs / "jwst_miri_dark_0002.fits")
    plan = make_plan(manifest)
    assert plan.action is Action.REFUSE
    [dup] = [f for f in plan.findings if "bit-identical" in f.message]
    assert dup.file == str(refs / "jwst_miri_dark_0002.fits")


def test_empty_glob_is_refused_with_its_line(tmp_path: Path) -> None:
    manifest = make_delivery(tmp_path / "repo", "jwst", "miri", "DARK", ["refs/*.fits"])
    plan = make_plan(manifest)
    assert plan.action is Action.REFUSE
    [problem] = plan.problems
    assert (problem.line, problem.field) == (4, "files[0]")


def test_invalid_manifest_is_refused_with_its_problems(tmp_path: Path) -> None:
    manifest = tmp_path / "bad.yaml"
    manifest.write_text("project: kepler\n")
    plan = make_plan(manifest)
    assert plan.action is Action.REFUSE and plan.problems and plan.files == []


@pytest.mark.parametrize(("state", "action"), [("CONFIRMED", Action.SKIP),
                                               ("CANCELLED", Action.SKIP),
                                               ("SUBMITTED", Action.RESUME)])
def test_result_record_decides_skip_or_resume(tmp_path: Path, state: str,
                                              action: Action) -> None:
    manifest = miri_delivery(tmp_path)
    when = "2026-11-30T00:00:00+00:00"
    record = {  # the least a valid record holds (a bare `state:` is refused as forged)
        "format": "crds-deliver-result/1", "state": state,
        "manifest": {"path": manifest.name, "digest": load_manifest(manifest).manifest.digest},
        "tool": {"name": "crds-deliver", "version": "0"}, "project": "jwst",
        "server": {"url": "https://jwst-crds-bit.stsci.edu/", "sandbox": False},
        "context": {"requested": "jwst-edit"}, "files": [],
        "transitions": [{"state": state, "time": when}], "created": when, "updated": when}
    manifest.with_name("delivery.result.yaml").write_text(yaml.safe_dump(record))
    plan = make_plan(manifest)
    assert (plan.action, plan.state) == (action, state)


def test_pin_writes_digests_keeps_the_rest_and_detects_changes(tmp_path: Path) -> None:
    manifest = miri_delivery(tmp_path)
    manifest.write_text("# reviewed by the calibration team\n" + manifest.read_text()
                        + "# trailing comment\n")
    before = manifest.read_text()
    out = run_plan(str(manifest), "--pin", cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    after = manifest.read_text()
    assert after.startswith(before) and after.count("pinned:") == 1
    loaded = load_manifest(manifest).manifest
    assert loaded is not None and [p.path for p in loaded.pinned] == [
        "refs/jwst_miri_dark_0001.fits", "refs/jwst_miri_dark_0002.fits"]
    assert make_plan(manifest).action is Action.DELIVER

    write_jwst_ref(manifest.parent / "refs" / "jwst_miri_dark_0002.fits", {"AUTHOR": "Someone"})
    changed = make_plan(manifest)
    assert changed.action is Action.REFUSE
    [problem] = changed.problems
    assert problem.field == "pinned[1]" and problem.line is not None
    assert "changed since it was pinned" in problem.message
    refused = run_plan(str(manifest), cwd=tmp_path)
    assert refused.returncode == 1 and "changed since it was pinned" in refused.stdout

    assert run_plan(str(manifest), "--pin", cwd=tmp_path).returncode == 0
    repinned = manifest.read_text()
    assert repinned.count("pinned:") == 1 and repinned.startswith(before)
    assert make_plan(manifest).action is Action.DELIVER


def test_replace_pinned_keeps_following_keys_and_comments() -> None:
    text = ("project: jwst\npinned:\n- path: old\n  size: 1\n  sha256: x\n"
            "# about options\noptions:\n  auto_rename: true\n")
    new = replace_pinned(text, "pinned:\n  - path: new\n")
    assert new == ("project: jwst\npinned:\n  - path: new\n"
                   "# about options\noptions:\n  auto_rename: true\n")
    assert replace_pinned("a: 1", "pinned: []\n") == "a: 1\npinned: []\n"


def test_errors_exit_1_and_markdown_lists_them(tmp_path: Path) -> None:
    manifest = miri_delivery(tmp_path, instrument="nircam")
    out = run_plan(str(manifest), "--format", "markdown", cwd=tmp_path)
    assert out.returncode == 1
    assert "| manifest | action |" in out.stdout and "**REFUSE**" in out.stdout
    assert "form.instrument is nircam" in out.stdout
    text = run_plan(str(manifest), cwd=tmp_path)
    assert text.returncode == 1 and "REFUSE" in text.stdout and "Traceback" not in text.stderr


def test_two_files_for_the_same_rmap_case_are_flagged(tmp_path: Path) -> None:
    manifest = miri_delivery(tmp_path, count=1)
    write_jwst_ref(manifest.parent / "refs" / "jwst_miri_dark_0002.fits",
                   {"SUBARRAY": "SUB128", "DESCRIP": "another dark for the same case"})
    plan = make_plan(manifest)
    [finding] = plan.findings
    assert finding.severity is Severity.WARNING
    assert finding.file == str(manifest.parent / "refs" / "jwst_miri_dark_0002.fits")
    assert "same rmap case as" in finding.message and "SUBARRAY=SUB128" in finding.message
    assert "USEAFTER=2026-01-01T00:00:00" in finding.message


def test_in_github_actions_findings_become_annotations_and_a_step_summary(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    manifest = miri_delivery(tmp_path, instrument="nircam")
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    out = run_plan(str(manifest), cwd=tmp_path)
    assert out.returncode == 1
    assert "::error file=" in out.stdout and "form.instrument is nircam" in out.stdout
    assert summary.read_text().startswith("## crds-deliver plan")


def test_text_plan_keeps_brackets_and_long_paths_on_one_line(tmp_path: Path) -> None:
    """A path is printed as it is: not read as markup (`[bold]`), not wrapped, however long."""
    deep = "refs/" + "/".join(["a_rather_long_folder_name"] * 6)
    write_hst_ref(tmp_path / "repo" / deep / "a1b2c3d4i_bia.fits")
    write_hst_ref(tmp_path / "repo" / "refs" / "b1b2c3d4i_bia.fits", {"USEAFTER": "someday"})
    make_delivery(tmp_path / "repo", "hst", "wfc3", "BIAS", ["refs/**/*.fits"],
                  name="[bold]wfc3.yaml")
    out = run_plan("[bold]wfc3.yaml", cwd=tmp_path / "repo")
    assert out.returncode == 1, out.stdout + out.stderr  # the bad USEAFTER
    lines = out.stdout.splitlines()
    assert lines[0] == "[bold]wfc3.yaml: REFUSE hst wfc3 → bit"
    head = lines.index(next(line for line in lines if line.startswith("file ")))
    table = lines[head:head + 3]
    assert [row.split()[0] for row in table] == [
        "file", f"{deep}/a1b2c3d4i_bia.fits", "refs/b1b2c3d4i_bia.fits"]
    # Aligned columns: each row's error count ends where the header's "errors" does.
    end = table[0].index("errors") + len("errors")
    assert [row[end - 1] for row in table[1:]] == ["0", "1"]
    assert all(len(row) == len(table[0]) for row in table)
