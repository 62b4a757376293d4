"""apply / confirm / cancel / history end to end: the CLI against a sandbox over real HTTP, in
a real git repository with real FITS files."""

from __future__ import annotations

import json

import pytest
import yaml

from crds_deliver.gitops import GitError
from crds_deliver.record import record_path, schema_errors
from tests.fixtures.fits import write_jwst_ref


def _record(manifest):
    return yaml.safe_load(record_path(manifest).read_text())


def test_validate_plan_apply_commit_then_nothing_more(delivery_repo, sandbox, run_cli):
    repo = delivery_repo(files=2)
    assert run_cli(["validate", repo.manifest]).exit_code == 0
    assert run_cli(["plan", repo.manifest], sandbox).exit_code == 0

    result = run_cli(["apply", "--yes", repo.manifest, "--commit"], sandbox)
    assert result.exit_code == 0, result.output
    assert ">> " in result.output
    data = _record(repo.manifest)
    assert data["state"] == "READY"
    assert schema_errors(data) == []
    assert data["server"] == {"url": sandbox.url, "sandbox": False, "use_case": None}
    assert data["submission"]["results_id"] and data["submission"]["channel"] is None
    assert [t["state"] for t in data["transitions"]] == ["SUBMITTING", "SUBMITTED", "READY"]
    assert {f["official_name"] for f in data["files"]} == set(data["file_map"]["references"]
                                                               .values())
    assert any(m["type"] == "done" for m in data["messages"])
    assert data["file_map"]["mappings"]  # rmap old -> new, read from the Logical Diff
    assert repo.commits()[0].startswith("Delivery manifests/jwst/miri/darks.yaml: READY")
    assert repo.git("show", "--name-only", "--format=", "HEAD").split() == [
        "manifests/jwst/miri/darks.result.yaml"]
    assert sandbox.stats.submission_posts == 1

    again = run_cli(["apply", "--yes", repo.manifest, "--commit"], sandbox)
    assert again.exit_code == 0, again.output
    assert sandbox.stats.submission_posts == 1
    assert len(repo.commits()) == 2  # the manifest's own commit and the READY record


def test_confirm_later_maps_names_and_history(delivery_repo, sandbox, run_cli):
    repo = delivery_repo(files=1)
    assert run_cli(["apply", "--yes", repo.manifest], sandbox).exit_code == 0
    result = run_cli(["confirm", repo.manifest, "--commit"], sandbox)
    assert result.exit_code == 0, result.output
    data = _record(repo.manifest)
    assert data["state"] == "CONFIRMED" and schema_errors(data) == []
    assert sandbox.stats.confirms == 1
    mappings = data["file_map"]["mappings"]
    assert any(old.endswith(".pmap") and new.endswith(".pmap") for old, new in mappings.items())
    assert any(new.endswith(".imap") for new in mappings.values())
    assert repo.commits()[0].startswith("Delivery manifests/jwst/miri/darks.yaml: CONFIRMED")

    again = run_cli(["confirm", repo.manifest], sandbox)
    assert again.exit_code == 1 and "only a READY delivery" in again.output
    table = run_cli(["history", repo.root, "--format", "markdown"])
    assert "| CONFIRMED |" in table.output and "darks.yaml" in table.output
    official = data["files"][0]["official_name"]
    assert official in run_cli(["history", repo.root]).output
    rows = json.loads(run_cli(["history", repo.root, "--format", "json"]).output)
    assert [(r["state"], r["official"], r["results_id"]) for r in rows] == [
        ("CONFIRMED", [official], data["submission"]["results_id"])]


def test_cancel(delivery_repo, sandbox, run_cli):
    repo = delivery_repo(files=1)
    assert run_cli(["apply", "--yes", repo.manifest], sandbox).exit_code == 0
    result = run_cli(["cancel", repo.manifest], sandbox)
    assert result.exit_code == 0, result.output
    assert _record(repo.manifest)["state"] == "CANCELLED"
    assert sandbox.stats.cancels == 1 and sandbox.stats.confirms == 0


def test_auto_confirm(delivery_repo, sandbox, run_cli):
    repo = delivery_repo(files=1, options={"auto_confirm": "true"})
    result = run_cli(["apply", "--yes", repo.manifest], sandbox)
    assert result.exit_code == 0, result.output
    data = _record(repo.manifest)
    assert data["state"] == "CONFIRMED"
    assert [t["state"] for t in data["transitions"]][-2:] == ["READY", "CONFIRMED"]
    assert sandbox.stats.confirms == 1


def test_bad_files(delivery_repo, sandbox, run_cli):
    repo = delivery_repo(files=1, options={"auto_confirm": "true"})
    sandbox.faults.end_next_submission("BAD FILES")
    result = run_cli(["apply", "--yes", repo.manifest], sandbox)
    assert result.exit_code == 1
    data = _record(repo.manifest)
    assert data["state"] == "BAD_FILES" and data["error"]
    assert sandbox.stats.confirms == 0
    assert run_cli(["apply", "--yes", repo.manifest], sandbox).exit_code == 0  # terminal: skipped
    assert sandbox.stats.submission_posts == 1


def test_fail(delivery_repo, sandbox, run_cli):
    repo = delivery_repo(files=1)
    sandbox.faults.end_next_submission("FAIL")
    result = run_cli(["apply", "--yes", repo.manifest], sandbox)
    assert result.exit_code == 1
    assert _record(repo.manifest)["state"] == "FAILED"


def test_trapped_error_page_fails_without_done(delivery_repo, sandbox, run_cli):
    repo = delivery_repo(files=1)
    sandbox.faults.trap_next_submission("something broke")
    result = run_cli(["apply", "--yes", repo.manifest], sandbox)
    assert result.exit_code == 1
    data = _record(repo.manifest)
    assert data["state"] == "FAILED" and "something broke" in data["error"]


def test_duplicate_refused_before_upload(delivery_repo, sandbox, run_cli, tmp_path):
    repo = delivery_repo(files=1, options={"auto_confirm": "true"})
    assert run_cli(["apply", "--yes", repo.manifest], sandbox).exit_code == 0
    uploads = sandbox.stats.uploads
    second = repo.add_manifest("manifests/jwst/miri/again.yaml", tag="a", reuse=True)
    # one file CRDS has, one it does not: neither posted again nor adoptable
    write_jwst_ref(repo.manifest.parent / "refs-a" / "jwst_miri_dark_0002.fits",
                   {"DESCRIP": "MIRI imager dark a2 from 2026 flight data"})
    result = run_cli(["apply", "--yes", second], sandbox)
    assert result.exit_code == 4
    assert "identical to" in result.output and "1 other file(s) of the delivery are new" \
        in result.output
    assert sandbox.stats.uploads == uploads and sandbox.stats.submission_posts == 1
    assert not record_path(second).exists()


def test_large_file_goes_in_chunks(delivery_repo, sandbox, run_cli):
    repo = delivery_repo(files=1, shape=(800, 800))  # ~5.1 MB: three 2 MB chunks
    size = next(repo.manifest.parent.glob("refs-a/*.fits")).stat().st_size
    result = run_cli(["apply", "--yes", repo.manifest], sandbox)
    assert result.exit_code == 0, result.output
    assert sandbox.stats.chunk_posts == -(-size // 2_000_000)
    assert _record(repo.manifest)["files"][0]["size"] == size


def test_edited_after_delivery_is_reported(delivery_repo, sandbox, run_cli):
    repo = delivery_repo(files=1, options={"auto_confirm": "true"})
    assert run_cli(["apply", "--yes", repo.manifest], sandbox).exit_code == 0
    repo.manifest.write_text(repo.manifest.read_text().replace("SEVERE", "MODERATE"))
    for command in (["validate"], ["plan"], ["apply", "--yes"]):
        result = run_cli([*command, repo.manifest], sandbox)
        assert result.exit_code == 1
        assert "edited after its delivery ended in CONFIRMED" in result.output
    assert sandbox.stats.submission_posts == 1


def test_commit_outside_git_fails_clearly(tmp_path, sandbox, run_cli):
    from tests.fixtures.fits import make_delivery

    manifest = make_delivery(tmp_path / "plain", "jwst", "miri", "DARK", ["*.fits"], git=False)
    write_jwst_ref(manifest.parent / "jwst_miri_dark_0001.fits")
    with pytest.raises(GitError, match="not inside a git repository"):
        run_cli(["apply", "--yes", manifest, "--commit"], sandbox)  # main() prints it, exit 1
    assert sandbox.stats.requests == 0
    assert not record_path(manifest).exists()


def test_changed_pinned_file_is_refused_before_the_server(delivery_repo, sandbox, run_cli):
    from tests.fixtures.fits import write_jwst_ref

    repo = delivery_repo(files=1)
    assert run_cli(["plan", repo.manifest, "--pin"], sandbox).exit_code == 0
    target = next(repo.manifest.parent.glob("refs-a/*.fits"))
    write_jwst_ref(target, {"DESCRIP": "changed after review"})
    result = run_cli(["apply", "--yes", repo.manifest], sandbox)
    assert result.exit_code == 1
    assert "changed since it was pinned" in result.output and "refused" in result.output
    assert sandbox.stats.requests == 0
    assert not record_path(repo.manifest).exists()


def test_many_renames_are_summarised_and_the_record_keeps_them_all(delivery_repo, sandbox,
                                                                   run_cli):
    """A delivery of hundreds of files must not end on one line naming every rename: the
    summary names a few, the record all of them."""
    repo = delivery_repo(files=7)
    result = run_cli(["apply", "--yes", repo.manifest], sandbox)
    assert result.exit_code == 0, result.output
    data = _record(repo.manifest)
    renames = [f"{f['name']} -> {f['official_name']}" for f in data["files"]]
    assert len(renames) == 7 and all(f["official_name"] for f in data["files"])
    [line] = [line for line in result.output.splitlines() if ": READY (results " in line]
    assert line.endswith(", ".join(renames[:4]) + ", and 3 more (darks.result.yaml lists all)")
    assert renames[4] not in result.output.split(": READY (results ", 1)[1]
