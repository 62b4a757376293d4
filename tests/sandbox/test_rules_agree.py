"""plan's rules prediction and the sandbox's outcome after apply agree, file by file, for a
delivery that replaces, inserts and adds at once; the results page shows the same change."""

from __future__ import annotations

import json
from pathlib import Path

import requests
import yaml
from bs4 import BeautifulSoup

from tests.fixtures.fits import make_delivery, write_hst_ref


def _json(output: str) -> dict:
    return json.loads(output[output.index("{"):])  # after any log lines of crds


def test_plan_predicts_what_the_sandbox_does(tmp_path: Path, sandbox_factory, run_cli) -> None:
    sb = sandbox_factory("hst")
    first_repo = tmp_path / "first"
    write_hst_ref(first_repo / "refs" / "a1b2c3d0i_bia.fits")
    first = make_delivery(first_repo, "hst", "wfc3", "BIAS", ["refs/*.fits"],
                          options={"auto_confirm": "true"})
    done = run_cli(["apply", "--yes", first], sb)
    assert done.exit_code == 0, done.output
    delivered = sb.catalog.edit_context
    assert delivered == "hst_0002.pmap"

    repo = tmp_path / "second"
    write_hst_ref(repo / "refs" / "a1b2c3d1i_bia.fits", {"DESCRIP": "a better UVIS bias"})
    write_hst_ref(repo / "refs" / "a1b2c3d2i_bia.fits", {"CCDAMP": "A"})
    write_hst_ref(repo / "refs" / "a1b2c3d3i_bia.fits", {"USEAFTER": "Feb 01 2026 00:00:00"})
    manifest = make_delivery(repo, "hst", "wfc3", "BIAS", ["refs/*.fits"])
    cache = tmp_path / "cache"
    planned = run_cli(["plan", manifest, "--format", "json", "--sync", "--crds-path", cache], sb)
    assert planned.exit_code == 0, planned.output
    predicted = {Path(f["path"]).name: f["rules"]
                 for f in _json(planned.output)["manifests"][0]["files"]}
    old_name = next(iter(set(sb.catalog.references_of(delivered))
                         & {i["name"] for i in sb.catalog.delivered_files("reference")
                            if i["uploaded_as"] == "a1b2c3d0i_bia.fits"}))
    assert predicted["a1b2c3d1i_bia.fits"]["replaces"] == old_name
    assert predicted["a1b2c3d2i_bia.fits"]["replaces"] is None
    assert predicted["a1b2c3d3i_bia.fits"]["replaces"] is None
    assert {r["context"] for r in predicted.values()} == {delivered}

    applied = run_cli(["apply", "--yes", manifest], sb)
    assert applied.exit_code == 0, applied.output
    record = yaml.safe_load((repo / "delivery.result.yaml").read_text())
    page = requests.get(f"{sb.url}display_result/{record['submission']['results_id']}",
                        timeout=30)
    soup = BeautifulSoup(page.text, "html.parser")
    outcome = json.loads(soup.find(id="rules_json").string)
    assert outcome == predicted
    change = soup.find(id="rules_change").string
    assert f"replaces {old_name}" in change and change.count(", added") == 2
