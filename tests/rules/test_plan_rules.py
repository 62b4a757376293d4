"""`plan` with a readable context: each file's rules in JSON, a short diff per rmap in text and
Markdown, conflicts and known duplicates as errors, and a note when rules are not predicted."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import subprocess
from pathlib import Path

import jsonschema

from crds_deliver.plan import RulesSource, make_plan
from crds_deliver.problems import Severity
from crds_deliver.rules.refkeys import match_values, read_keys
from tests.fixtures.cli_process import run_command
from tests.fixtures.fits import make_delivery, write_hst_ref
from tests.rules.cache import write_cache

REPO = Path(__file__).resolve().parents[2]
PLAN_SCHEMA = json.loads((REPO / "crds_deliver/schemas/plan.schema.json").read_text())
RMAP = "hst_wfc3_biasfile_0001.rmap"


def _plan_cli(*args: str) -> subprocess.CompletedProcess:
    return run_command(["plan", *args], cwd=REPO)


def _bias_delivery(tmp_path: Path, overrides: list[dict]) -> Path:
    refs = tmp_path / "repo" / "refs"
    for n, changes in enumerate(overrides):
        write_hst_ref(refs / f"a1b2c3d{n}i_bia.fits", changes)
    return make_delivery(tmp_path / "repo", "hst", "wfc3", "BIAS", ["refs/*.fits"])


def _cache(tmp_path: Path, held: dict[str, str] | None = None) -> Path:
    """A cache whose WFC3 bias rmap holds old_bia.fits at the fixture bias's case."""
    probe = write_hst_ref(tmp_path / "probe" / "x_bia.fits")
    keys = match_values(read_keys(probe), ("DETECTOR", "CCDAMP", "CCDGAIN", "BINAXIS1",
                                           "BINAXIS2", "APERTURE", "CHINJECT"))
    cache = write_cache(tmp_path / "cache", "hst",
                        {RMAP: {keys: {"2026-01-01 00:00:00": "old_bia.fits"}}})
    if held:
        payload = base64.b64encode(gzip.compress(json.dumps(
            {name: {"sha1sum": sha, "size": "1"} for name, sha in held.items()}).encode()))
        config = cache / "config" / "hst" / "server_config"
        config.write_text(repr({"edit_context": "hst_0001.pmap",
                                "download_metadata": {"crds_encoded": "1.0",
                                                      "crds_payload": payload.decode()}}))
    return cache


def test_json_text_and_markdown_show_the_rules_change(tmp_path: Path) -> None:
    manifest = _bias_delivery(tmp_path, [{}, {"CCDAMP": "A"},
                                         {"USEAFTER": "Feb 01 2026 00:00:00"}])
    cache = _cache(tmp_path)
    out = _plan_cli(str(manifest), "--format", "json", "--crds-path", str(cache))
    assert out.returncode == 0, out.stdout + out.stderr
    data = json.loads(out.stdout)
    jsonschema.validate(data, PLAN_SCHEMA)
    (plan,) = data["manifests"]
    assert plan["rules_context"] == "hst_0001.pmap" and plan["rules_note"] is None
    rules = {f["path"]: f["rules"] for f in plan["files"]}
    same, amp, later = (rules[f"refs/a1b2c3d{n}i_bia.fits"] for n in range(3))
    assert same["rmap"] == RMAP and same["replaces"] == "old_bia.fits"
    assert same["match"]["DETECTOR"] == "UVIS" and same["useafter"] == "2026-01-01 00:00:00"
    assert amp["match"]["CCDAMP"] == "A" and amp["replaces"] is None
    assert later["useafter"] == "2026-02-01 00:00:00" and later["replaces"] is None

    text = _plan_cli(str(manifest), "--crds-path", str(cache)).stdout
    assert "rules in hst_0001.pmap:" in text and f"  {RMAP}" in text
    assert "UVIS ABCD 1.5 1.0 1.0 UVIS NONE 2026-01-01 00:00:00 → " \
           "refs/a1b2c3d0i_bia.fits, replaces old_bia.fits" in text
    assert "→ refs/a1b2c3d1i_bia.fits, added" in text
    markdown = _plan_cli(str(manifest), "--format", "markdown", "--crds-path", str(cache)).stdout
    assert "```diff" in markdown and f"@@ {RMAP} @@" in markdown
    assert "+ UVIS A 1.5" in markdown


def test_crds_path_comes_from_the_environment(tmp_path: Path, monkeypatch) -> None:
    manifest = _bias_delivery(tmp_path, [{}])
    monkeypatch.setenv("CRDS_PATH", str(_cache(tmp_path)))
    out = _plan_cli(str(manifest), "--format", "json")
    assert json.loads(out.stdout)["manifests"][0]["files"][0]["rules"]["replaces"] == \
        "old_bia.fits"


def test_without_a_cache_rules_are_not_predicted_and_plan_says_why(tmp_path: Path) -> None:
    manifest = _bias_delivery(tmp_path, [{}])
    plan = make_plan(manifest)
    assert plan.rules_context is None and "no CRDS cache" in plan.rules_note
    assert plan.files[0].rules is None and not plan.has_errors
    text = _plan_cli(str(manifest)).stdout
    assert "rules: not predicted, because no CRDS cache was given" in text
    out = _plan_cli(str(manifest), "--crds-path", str(tmp_path / "nowhere"))
    assert out.returncode == 0
    assert f"rules: not predicted, because {tmp_path / 'nowhere'}: no such folder" in out.stdout


def test_files_that_would_replace_each_other_are_an_error(tmp_path: Path) -> None:
    manifest = _bias_delivery(tmp_path, [{}, {"DESCRIP": "the same case, other bytes"}])
    plan = make_plan(manifest, rules=RulesSource(_cache(tmp_path)))
    errors = [f.message for f in plan.all_findings() if f.severity is Severity.ERROR]
    assert len(errors) == 1 and "each would replace the other" in errors[0]
    assert plan.action.value == "REFUSE"


def test_a_file_the_context_holds_is_explained(tmp_path: Path) -> None:
    manifest = _bias_delivery(tmp_path, [{}])
    sha1 = hashlib.sha1((manifest.parent / "refs" / "a1b2c3d0i_bia.fits").read_bytes())
    plan = make_plan(manifest, rules=RulesSource(_cache(tmp_path, {"abu0020ki_bia.fits":
                                                                   sha1.hexdigest()})))
    (error,) = [f.message for f in plan.all_findings() if f.severity is Severity.ERROR]
    assert "identical to abu0020ki_bia.fits, which CRDS already holds" in error
    assert "crds-deliver stamp refs/a1b2c3d0i_bia.fits" in error


def test_sync_fetches_the_context_from_the_server(tmp_path: Path, sandbox_factory,
                                                  run_cli) -> None:
    sb = sandbox_factory("hst")
    manifest = _bias_delivery(tmp_path, [{}])
    cache = tmp_path / "synced"
    result = run_cli(["plan", manifest, "--format", "json", "--sync", "--crds-path", cache],
                     sb)
    data = json.loads(result.output[result.output.index("{"):])  # after crds's log lines
    rules = data["manifests"][0]["files"][0]["rules"]
    assert rules["context"] == "hst_0001.pmap" and rules["rmap"] == RMAP
    assert rules["replaces"] is None  # the seed's case is all N/A
    assert (cache / "mappings" / "hst" / RMAP).is_file()
    assert (cache / "config" / "hst" / "server_config").is_file()
    again = _plan_cli(str(manifest), "--sync")
    assert again.returncode == 2 and "--sync needs a cache folder" in again.stderr
