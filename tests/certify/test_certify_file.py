"""certify_file on real files written by astropy/asdf: good references pass, every defect is
reported as a located finding (file, HDU, keyword) with the expected severity."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

from crds_deliver.certify import CertifyResult, Finding, certify_file, identify
from crds_deliver.certify.extras import deep_checks_available
from crds_deliver.problems import Severity
from tests.fixtures.fits import write_hst_ref, write_jwst_ref, write_roman_ref
from tests.fixtures.without_packages import run_without

HST_NAME = "a1b2c3d4i_bia.fits"
JWST_NAME = "jwst_miri_dark_0001.fits"


def errors(result: CertifyResult) -> list[Finding]:
    return [f for f in result.findings if f.severity is Severity.ERROR]


def test_good_hst_reference_passes(tmp_path: Path) -> None:
    result = certify_file(write_hst_ref(tmp_path / HST_NAME), "hst")
    assert (result.instrument, result.reftype) == ("wfc3", "biasfile")
    assert result.findings == []
    assert result.ok


def test_good_jwst_reference_passes(tmp_path: Path) -> None:
    result = certify_file(write_jwst_ref(tmp_path / JWST_NAME), "jwst")
    assert (result.instrument, result.reftype) == ("miri", "dark")
    assert result.findings == []


def test_good_roman_reference_passes(tmp_path: Path) -> None:
    pytest.importorskip("asdf")
    result = certify_file(write_roman_ref(tmp_path / "roman_wfi_dark_0001.asdf"), "roman")
    assert (result.instrument, result.reftype) == ("wfi", "dark")
    assert result.findings == []


def test_identify_from_header_when_the_name_says_nothing(tmp_path: Path) -> None:
    assert identify(write_jwst_ref(tmp_path / "my_dark.fits"), "jwst") == ("miri", "dark")
    assert identify(write_hst_ref(tmp_path / "plain.fits"), "hst") == ("wfc3", "biasfile")
    assert identify(tmp_path / "missing.fits", "hst") == (None, None)


def _hst(overrides: dict, name: str = HST_NAME) -> Callable[[Path], Path]:
    return lambda folder: write_hst_ref(folder / name, overrides)


def _jwst(overrides: dict, name: str = JWST_NAME) -> Callable[[Path], Path]:
    return lambda folder: write_jwst_ref(folder / name, overrides)


def _roman(meta: dict) -> Callable[[Path], Path]:
    return lambda folder: write_roman_ref(folder / "roman_wfi_dark_0001.asdf", meta)


def _flip_data_byte(folder: Path) -> Path:
    path = write_jwst_ref(folder / JWST_NAME)
    data = bytearray(path.read_bytes())
    data[2880 * 2 + 100] ^= 0xFF  # inside the SCI data (after the primary and SCI headers)
    path.write_bytes(bytes(data))
    return path


def _truncate(folder: Path) -> Path:
    path = write_hst_ref(folder / HST_NAME)
    path.write_bytes(path.read_bytes()[:-1000])
    return path


def _not_fits(folder: Path) -> Path:
    path = folder / JWST_NAME
    path.write_text("this is a text file pretending to be FITS\n" * 100)
    return path


def _patch_card(keyword: bytes, replacement: bytes) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = write_hst_ref(folder / HST_NAME, checksum=False)
        data = path.read_bytes()
        at = data.index(keyword.ljust(8))
        card = replacement.ljust(80)
        path.write_bytes(data[:at] + card + data[at + 80:])
        return path
    return make


def _asdf_hdu(folder: Path) -> Path:
    extra = fits.ImageHDU(np.zeros(4, dtype="uint8"), name="ASDF")
    return write_jwst_ref(folder / JWST_NAME, extra_hdus=[extra])


# (writer, project, severity, hdu, keyword, words in the message)
CASES = {
    "hst missing USEAFTER": (_hst({"USEAFTER": None}), "hst", "error", None, "USEAFTER",
                             "missing required keyword USEAFTER"),
    "hst ISO USEAFTER": (_hst({"USEAFTER": "2026-01-01T00:00:00"}), "hst", "error", 0,
                         "USEAFTER", "Sybase"),
    "hst impossible USEAFTER": (_hst({"USEAFTER": "Feb 30 2026 00:00:00"}), "hst", "error", 0,
                                "USEAFTER", "day is out of range"),
    "hst USEAFTER trailing junk": (_hst({"USEAFTER": "Mar 21 2001 junk"}), "hst", "error", 0,
                                   "USEAFTER", "Sybase"),
    "hst PEDIGREE US date order": (_hst({"PEDIGREE": "INFLIGHT 02/25/2017 03/01/2017"}), "hst",
                                   "error", 0, "PEDIGREE", "month must be in 1..12"),
    "hst PEDIGREE start after stop": (_hst({"PEDIGREE": "INFLIGHT 2017-01-02 2017-01-01"}),
                                      "hst", "error", 0, "PEDIGREE", "after stop date"),
    "hst PEDIGREE INFLIGHT alone": (_hst({"PEDIGREE": "INFLIGHT"}), "hst", "error", 0,
                                    "PEDIGREE", "needs a start and a stop date"),
    "hst wrong telescope": (_hst({"TELESCOP": "JWST"}), "hst", ("error", "warning"), 0,
                            "TELESCOP", "not HST"),
    "hst name says wfc3, header says acs": (_hst({"INSTRUME": "ACS"}), "hst", "error", 0,
                                            "INSTRUME", "says acs"),
    "hst name says bias, FILETYPE says dark": (_hst({"FILETYPE": "DARK"}), "hst", "error", 0,
                                               "FILETYPE", "'DARK'"),
    "hst unknown instrument": (_hst({"INSTRUME": "HRS2"}, name="plain_ref.fits"), "hst",
                               "error", 0, "INSTRUME", "not a HST instrument"),
    "hst unknown FILETYPE": (_hst({"FILETYPE": "DEAD TABLE"}, name="plain_ref.fits"), "hst",
                             "error", 0, "FILETYPE", "not a reference type"),
    "hst missing INSTRUME": (_hst({"INSTRUME": None}, name="plain_ref.fits"), "hst", "error",
                             None, "INSTRUME", "cannot determine the instrument"),
    "hst value not allowed by CRDS rules": (_hst({"DETECTOR": "IR"}), "hst", "error", 0,
                                            "DETECTOR", "not one of"),
    "hst blank DESCRIP counts as missing": (_hst({"DESCRIP": "   "}), "hst", "warning", None,
                                            "DESCRIP", "missing suggested keyword"),
    "broken DATASUM": (_flip_data_byte, "jwst", "error", 1, "DATASUM", "does not match"),
    "broken CHECKSUM": (_flip_data_byte, "jwst", "error", 1, "CHECKSUM", "does not match"),
    "truncated file": (_truncate, "hst", "error", None, None, "truncated"),
    "not a FITS file": (_not_fits, "jwst", "error", None, None, "not a FITS file"),
    "illegal keyword name": (_patch_card(b"CHINJECT", b"VCAL$OS = 'NONE'"), "hst", "error",
                             None, None, "not FITS standard"),
    "unterminated string": (_patch_card(b"CHINJECT", b"CHINJECT= 'NONE"), "hst", "error",
                            None, None, "not FITS standard"),
    "no END card": (_patch_card(b"END", b""), "hst", "error", None, None, "END"),
    "ASDF extension in FITS": (_asdf_hdu, "jwst", "error", 4, None, "ASDF extension"),
    "jwst missing AUTHOR": (_jwst({"AUTHOR": None}), "jwst", "error", None, "AUTHOR",
                            "missing required keyword AUTHOR"),
    "jwst UNDEFINED DESCRIP": (_jwst({"DESCRIP": "UNDEFINED"}), "jwst", "error", None,
                               "DESCRIP", "missing required keyword DESCRIP"),
    "jwst missing HISTORY": (_jwst({"HISTORY": None}), "jwst", "error", None, "HISTORY",
                             "missing required keyword HISTORY"),
    "jwst USEAFTER with fraction": (_jwst({"USEAFTER": "2026-01-01T00:00:00.000"}), "jwst",
                                    "error", 0, "USEAFTER", "YYYY-MM-DDTHH:MM:SS"),
    "jwst USEAFTER with a space": (_jwst({"USEAFTER": "2026-01-01 00:00:00"}), "jwst",
                                   "warning", 0, "USEAFTER", "non-compliant"),
    "jwst PEDIGREE GROUND with dates": (_jwst({"PEDIGREE": "GROUND 2022-01-01 2022-02-01"}),
                                        "jwst", "error", 0, "PEDIGREE", "cannot be given"),
    "jwst PEDIGREE slash dates": (_jwst({"PEDIGREE": "INFLIGHT 01/01/2022 02/01/2022"}),
                                  "jwst", "error", 0, "PEDIGREE", "YYYY-MM-DD"),
    "jwst wrong telescope": (_jwst({"TELESCOP": "HST"}), "jwst", "error", 0, "TELESCOP",
                             "not JWST"),
    "jwst missing DATAMODL": (_jwst({"DATAMODL": None}), "jwst", "warning", None, "DATAMODL",
                              "missing suggested keyword DATAMODL"),
    "jwst REFTYPE disagrees with name": (_jwst({"REFTYPE": "FLAT"}), "jwst", "error", 0,
                                         "REFTYPE", "'FLAT'"),
    "jwst unknown instrument": (_jwst({"INSTRUME": "ACS"}, name="my_dark.fits"), "jwst",
                                "error", 0, "INSTRUME", "not a JWST instrument"),
    "hst file in a jwst delivery": (_hst({}, name="hst_wfc3_biasfile_0001.fits"), "jwst",
                                    "error", None, None, "HST reference"),
    # crds certify accepts these two (docs/certification.md): with the deep checks, warnings.
    "roman missing origin": (_roman({"origin": None}), "roman", ("error", "warning"), None,
                             "ROMAN.META.ORIGIN", "missing required keyword"),
    "roman bad useafter": (_roman({"useafter": "2026-13-01T00:00:00"}), "roman", "error",
                           None, "ROMAN.META.USEAFTER", "not a real date"),
    "roman wrong telescope": (_roman({"telescope": "JWST"}), "roman", ("error", "warning"), None,
                              "ROMAN.META.TELESCOPE", "not ROMAN"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_file_gives_a_located_finding(case: str, tmp_path: Path) -> None:
    make, project, severity, hdu, keyword, words = CASES[case]
    if project == "roman":
        pytest.importorskip("asdf")
    path = make(tmp_path)
    result = certify_file(path, project)
    # With the deep checks, crds's own finding on the keyword replaces ours (its words).
    deep = deep_checks_available(project)
    if isinstance(severity, tuple):
        severity = severity[deep]
    matching = [f for f in result.findings
                if f.severity.value == severity and f.keyword in (keyword, _short(keyword))
                and (words in f.message or (deep and f.message.startswith("crds: ")))]
    assert matching, f"no {severity} on {keyword} with {words!r} in {result.findings}"
    finding = matching[0]
    assert finding.file == str(path)
    assert finding.hdu == hdu or (deep and hdu is None)  # crds's findings are located too
    if severity == "error":
        assert not result.ok


def _short(keyword: str | None) -> str | None:
    """The FITS name crds reports a keyword under (ROMAN.META.ORIGIN -> ORIGIN)."""
    return keyword.rsplit(".", 1)[-1] if keyword else None


def test_findings_are_frozen_values(tmp_path: Path) -> None:
    finding = Finding(Severity.ERROR, "x.fits", "bad", hdu=1, keyword="USEAFTER")
    with pytest.raises(AttributeError):
        finding.message = "changed"  # type: ignore[misc]
    assert finding.location() == "x.fits[1] USEAFTER"


def test_roman_useafter_stored_as_time_is_read_as_crds_does(tmp_path: Path) -> None:
    pytest.importorskip("asdf_astropy")
    from astropy.time import Time

    path = write_roman_ref(tmp_path / "roman_wfi_dark_0001.asdf",
                           {"useafter": Time("2026-01-01T00:00:00.000", format="isot")})
    assert certify_file(path, "roman").findings == []


def test_without_asdf_roman_files_get_a_needs_the_extra_warning(tmp_path: Path) -> None:
    pytest.importorskip("asdf")
    path = write_roman_ref(tmp_path / "roman_wfi_dark_0001.asdf")
    (instrument, reftype, findings), _stderr = run_without(["asdf"], (
        "from pathlib import Path\n"
        "from crds_deliver.certify import certify_file\n"
        f"r = certify_file(Path({str(path)!r}), 'roman')\n"
        "result = [r.instrument, r.reftype, [f.to_dict() for f in r.findings]]"))
    assert (instrument, reftype) == ("wfi", "dark")
    assert [(f["severity"], "roman extra" in f["message"]) for f in findings] == [
        ("warning", True)]


def test_with_asdf_alone_a_roman_useafter_time_is_read_as_with_the_extra(tmp_path: Path) -> None:
    """asdf without asdf-astropy and roman_datamodels (what the sandbox extra installs) hands
    the time back as the tagged text `2026-01-01T00:00:00.000`: it must give the same
    USEAFTER as an astropy Time does, not an error for its fraction."""
    pytest.importorskip("asdf_astropy")
    from astropy.time import Time

    path = write_roman_ref(tmp_path / "roman_wfi_dark_0001.asdf",
                           {"useafter": Time("2026-01-01T00:00:00.000", format="isot")})
    read, _stderr = run_without(["asdf_astropy", "roman_datamodels"], (
        "import warnings; warnings.simplefilter('ignore')\n"
        "from pathlib import Path\n"
        "from crds_deliver.certify.asdffile import read_asdf\n"
        f"header, findings = read_asdf(Path({str(path)!r}), 'x')\n"
        "result = [header.get('ROMAN.META.USEAFTER'), len(findings)]"))
    assert read == ["2026-01-01T00:00:00", 0]
