"""The deep checks (crds's own certifier, offline) on real files: what the issue's JWST and Roman
users hit, the once-per-run warning when an extra is missing, and a file that breaks a
validator, which must cost that file only."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from crds_deliver.certify import certify_file
from crds_deliver.plan import Action, make_plan
from crds_deliver.problems import Severity
from tests.fixtures.fits import make_delivery, write_hst_ref, write_jwst_ref, write_roman_ref
from tests.fixtures.without_packages import blocking

REPO = Path(__file__).resolve().parents[2]


def _errors(path: Path, project: str) -> list[str]:
    return [f.message for f in certify_file(path, project).findings
            if f.severity is Severity.ERROR]


def test_a_2d_miri_dark_is_refused_with_the_datamodel_message(tmp_path: Path) -> None:
    pytest.importorskip("crds")
    pytest.importorskip("stdatamodels")
    flat = write_jwst_ref(tmp_path / "jwst_miri_dark_0001.fits")
    assert _errors(flat, "jwst") == []
    from astropy.io import fits

    with fits.open(flat) as hdus:
        hdus = fits.HDUList([hdu.copy() for hdu in hdus])
    for name in ("SCI", "DQ"):  # the example's old 2-D layout
        hdus[name].data = hdus[name].data[0, 0]
    hdus.writeto(flat, overwrite=True, checksum=True)
    errors = _errors(flat, "jwst")
    assert "crds: Checking 'SCI' : Constraint (ndim(SCI_ARRAY,4)) is not satisfied." in errors
    assert any("JWST Data Models: Array has wrong number of dimensions" in e for e in errors)


def test_roman_files_with_roman_datamodels_installed_are_read(tmp_path: Path) -> None:
    pytest.importorskip("roman_datamodels")
    pytest.importorskip("crds")
    result = certify_file(write_roman_ref(tmp_path / "roman_wfi_dark_0001.asdf"), "roman")
    assert result.findings == [] and (result.instrument, result.reftype) == ("wfi", "dark")
    bad = write_roman_ref(tmp_path / "bad" / "roman_wfi_dark_0001.asdf",
                          {"instrument": {"name": "WFI", "detector": "WFI21",
                                          "optical_element": "F158"}})
    [finding] = [f for f in certify_file(bad, "roman").findings
                 if f.severity is Severity.ERROR]
    assert finding.keyword == "DETECTOR" and "value='WFI21' is not in" in finding.message


def test_a_crds_warning_stays_a_warning(tmp_path: Path) -> None:
    """Severity parity: crds only warns about a missing Roman author."""
    pytest.importorskip("roman_datamodels")
    pytest.importorskip("crds")
    result = certify_file(write_roman_ref(tmp_path / "roman_wfi_dark_0001.asdf",
                                          {"author": None}), "roman")
    assert result.ok
    assert any(f.severity is Severity.WARNING and "AUTHOR" in f.message
               for f in result.findings)


def test_a_file_that_breaks_the_validators_costs_that_file_only(tmp_path: Path) -> None:
    pytest.importorskip("roman_datamodels")
    pytest.importorskip("crds")
    import asdf
    from asdf.tagged import TaggedList

    refs = tmp_path / "repo" / "refs"
    write_roman_ref(refs / "roman_wfi_dark_0001.asdf")
    broken = refs / "roman_wfi_dark_0002.asdf"
    tag = "asdf://stsci.edu/datamodels/roman/tags/reference_files/dark-2.0.0"
    asdf.AsdfFile({"roman": TaggedList([1, 2], tag[:-5] + "9.9.9")}).write_to(broken)
    broken.write_bytes(broken.read_bytes().replace(b"dark-9.9.9", tag.encode().split(b"/")[-1]))
    manifest = make_delivery(tmp_path / "repo", "roman", "wfi", "DARK", ["refs/*.asdf"])
    manifest.write_text(manifest.read_text().replace("server: bit", "server: int"))
    plan = make_plan(manifest)
    assert plan.action is Action.REFUSE
    good, bad = plan.files
    assert [f for f in good.findings if f.severity is Severity.ERROR] == []
    errors = [f for f in bad.findings if f.severity is Severity.ERROR]
    assert errors and all(f.file.endswith("roman_wfi_dark_0002.asdf") for f in errors)
    assert all("Traceback" not in f.message for f in errors)


def test_a_missing_extra_is_said_once_per_run_and_in_the_markdown(tmp_path: Path) -> None:
    refs = tmp_path / "repo"
    write_jwst_ref(refs / "a" / "jwst_miri_dark_0001.fits")
    write_jwst_ref(refs / "b" / "jwst_miri_dark_0001.fits", {"USEAFTER": "2026-02-01T00:00:00"})
    write_hst_ref(refs / "c" / "a1b2c3d4i_bia.fits")
    manifests = [make_delivery(refs, "jwst", "miri", "DARK", [f"{x}/*.fits"], name=f"{x}.yaml")
                 for x in "ab"]
    manifests.append(make_delivery(refs, "hst", "wfc3", "BIAS", ["c/*.fits"], name="c.yaml"))
    code = blocking(["stdatamodels"]) + "from crds_deliver.cli import main; main()"

    def plan(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", code, "plan", *args, *map(str, manifests)],
                              capture_output=True, text=True, timeout=300, cwd=REPO)

    text = plan()
    assert text.stdout.count("JWST deep checks not run") == 1, text.stdout
    assert "install the jwst extra (pip install 'crds-deliver[jwst]')" in text.stdout
    assert "HST deep checks" not in text.stdout
    markdown = plan("--format", "markdown").stdout
    assert markdown.count("**Partial plan:** JWST deep checks not run") == 1
    summary = json.loads(plan("--format", "json").stdout)["summary"]
    assert len(summary["notices"]) == 1 and "crds-deliver[jwst]" in summary["notices"][0]


def test_validators_built_once_per_type_judge_every_file_of_it(tmp_path: Path) -> None:
    """deep.py builds crds's validators once per type and process: a file checked after
    valid ones of its type is still judged on its own values, and a valid one after it is
    still clean (crds's validators keep nothing of a file)."""
    pytest.importorskip("crds")
    from crds_deliver.certify.deep import deep_findings

    def errors(path: Path) -> list[str]:
        return [f.message for f in deep_findings(path, path.name, "hst")
                if f.severity is Severity.ERROR]

    files = [write_hst_ref(tmp_path / f"a{index:07d}i_bia.fits", overrides)
             for index, overrides in enumerate([{}, {"CCDGAIN": 3.0}, {"DETECTOR": "IR"}, {}])]
    good, gain, detector, good_again = (errors(path) for path in files)
    assert good == good_again == []
    assert any("CCDGAIN" in message for message in gain)
    assert any("DETECTOR" in message for message in detector)
    assert not any("CCDGAIN" in message for message in detector)


def test_a_deep_check_here_leaves_crds_settings_as_it_found_them(tmp_path: Path) -> None:
    """This process may be a user's notebook that uses crds too: the settings a check needs
    are restored after it (only a deep-check worker, a process of ours alone, sets them for
    good)."""
    pytest.importorskip("crds")
    from crds.core import config

    from crds_deliver.certify.deep import deep_findings

    path = write_hst_ref(tmp_path / "a0000001i_bia.fits")
    verify = config.FITS_VERIFY_CHECKSUM.set("True")
    collect = config.EXPLICIT_GARBAGE_COLLECTION.set("True")
    try:
        assert deep_findings(path, path.name, "hst") == []
        assert config.FITS_VERIFY_CHECKSUM.get() is True
        assert config.EXPLICIT_GARBAGE_COLLECTION.get() is True
    finally:
        config.FITS_VERIFY_CHECKSUM.set(str(verify))
        config.EXPLICIT_GARBAGE_COLLECTION.set(str(collect))


@pytest.mark.parametrize("enabled", [True, False], ids=["collector on", "collector off"])
def test_the_import_leaves_the_garbage_collector_as_it_found_it(enabled: bool) -> None:
    """import_crds pauses the collector for the import (deep.py, _collector_paused): a user's
    process gets it back on, and one that had turned it off keeps it off."""
    pytest.importorskip("crds")
    code = ("import gc\n"
            f"gc.enable() if {enabled} else gc.disable()\n"
            "from crds_deliver.certify.deep import import_crds\n"
            "assert import_crds('hst') is not None\n"
            "print(gc.isenabled())\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=600, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(enabled)]
