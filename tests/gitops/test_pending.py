"""`apply --pending`, what CI runs on the default branch: decision files (<manifest>.confirm or
.cancel) finish READY deliveries, READY ones without a decision wait untouched, and the plan
says which file to add. Real git repositories, the sandbox, the real command line."""

from __future__ import annotations

import json
from pathlib import Path

from tests.fixtures.fits import make_delivery, write_jwst_ref


def _repo(tmp_path: Path, names: tuple[str, ...]) -> Path:
    repo = tmp_path / "repo"
    for number, name in enumerate(names, start=1):
        (repo / f"manifests/{name}").mkdir(parents=True)
        make_delivery(repo, "jwst", "miri", "DARK", ["refs/*.fits"],
                      name=f"manifests/{name}/delivery.yaml")
        write_jwst_ref(repo / f"manifests/{name}/refs/jwst_miri_dark_{number:04d}.fits",
                       {"SUBARRAY": ("SUB128", "SUB64", "MASK1065")[number - 1]})
    return repo


def _states(cli, repo: Path) -> dict[str, str | None]:
    plans = json.loads(cli("plan", "--format", "json", "manifests", cwd=repo).stdout)
    return {Path(p["manifest"]).parent.name: p["state"] for p in plans["manifests"]}


def test_decision_files_finish_ready_deliveries_and_others_wait(cli, tmp_path: Path) -> None:
    repo = _repo(tmp_path, ("first", "second"))
    data = str(tmp_path / "sandbox")
    pending = ("apply", "--pending", "--sandbox", "--sandbox-data", data, "--yes", "manifests")
    assert cli(*pending, cwd=repo).exit_code == 0
    assert _states(cli, repo) == {"first": "READY", "second": "READY"}

    plans = json.loads(cli("plan", "--format", "json", "manifests", cwd=repo).stdout)
    first = next(p for p in plans["manifests"] if "/first/" in p["manifest"])
    assert "manifests/first/delivery.confirm to confirm" in first["reason"]
    assert "manifests/first/delivery.cancel to cancel" in first["reason"]
    assert "/display_result/" in first["reason"]  # the results page to review

    (repo / "manifests/first/delivery.confirm").write_text("looked at the results page\n")
    second_record = (repo / "manifests/second/delivery.result.yaml").read_bytes()
    planned = json.loads(cli("plan", "--format", "json", "manifests", cwd=repo).stdout)
    assert "apply --pending will confirm" in planned["manifests"][0]["reason"]

    again = cli(*pending, cwd=repo)
    assert again.exit_code == 0, again.stdout + again.stderr
    assert _states(cli, repo) == {"first": "CONFIRMED", "second": "READY"}
    assert "manifests/second/delivery.confirm to confirm" in again.stdout
    # no decision: the waiting delivery's record is not touched
    assert (repo / "manifests/second/delivery.result.yaml").read_bytes() == second_record

    (repo / "manifests/second/delivery.cancel").write_text("wrong darks\n")
    assert cli(*pending, cwd=repo).exit_code == 0
    assert _states(cli, repo) == {"first": "CONFIRMED", "second": "CANCELLED"}


def test_decision_merged_with_its_manifest_is_honoured(cli, tmp_path: Path) -> None:
    repo = _repo(tmp_path, ("darks",))
    (repo / "manifests/darks/delivery.confirm").write_text("trusted: same as last month\n")
    summary = tmp_path / "step_summary.md"
    result = cli("apply", "--pending", "--sandbox", "--sandbox-data", str(tmp_path / "sb"),
                 "--yes", "manifests", cwd=repo,
                 env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)})
    assert result.exit_code == 0, result.stdout + result.stderr
    assert _states(cli, repo) == {"darks": "CONFIRMED"}
    # the run's page says what apply did
    assert summary.read_text().startswith("### crds-deliver apply\n")
    assert "| `manifests/darks/delivery.yaml` | CONFIRMED |" in summary.read_text()


def test_two_contradicting_decisions_are_refused(cli, tmp_path: Path) -> None:
    repo = _repo(tmp_path, ("darks",))
    data = str(tmp_path / "sb")
    assert cli("apply", "--sandbox", "--sandbox-data", data, "--yes", "manifests",
               cwd=repo).exit_code == 0
    for decision in ("confirm", "cancel"):
        (repo / f"manifests/darks/delivery.{decision}").write_text("\n")
    result = cli("apply", "--pending", "--sandbox", "--sandbox-data", data, "--yes",
                 "manifests", cwd=repo)
    assert result.exit_code == 1
    assert "both delivery.confirm and delivery.cancel exist" in result.stderr
    assert _states(cli, repo) == {"darks": "READY"}
