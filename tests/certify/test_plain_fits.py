"""crds's FITS certifier on a plainly standard file without its own astropy reads
(certify/plain_fits.py): the header pairs and the header that crds would have read, compared
with crds's own reads of every plain file of the test corpora and of mutated ones; and the
deep check of a plain file, which must then not open it with astropy at all. (The findings
are compared with the real `crds certify` by the parity suite, tests/parity.)"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from crds_deliver.certify.deep import deep_findings, import_crds
from crds_deliver.certify.plain_fits import cache_crds_header, crds_raw_header, plain_reading
from crds_deliver.problems import Severity
from tests.fixtures.fits import write_hst_ref
from tests.fixtures.fits_mutants import VARIANTS, corpus_files, mutants, with_value

pytestmark = pytest.mark.skipif(importlib.util.find_spec("crds") is None,
                                reason="the crds package is not installed")

MUTANTS = 200


def _project(path: Path) -> str:
    return path.name.split("_")[0] if path.name.startswith(("jwst_", "roman_")) else "hst"


def _read_as_crds_does(path: Path) -> bool:
    """False when the strict reading leaves `path` to astropy; else asserts that crds's own
    reads give the raw pairs and the header that plain_fits.py gives crds."""
    from crds import data_file

    plain = plain_reading(path)
    if plain is None:
        return False
    project = _project(path)
    reader = data_file.file_factory(str(path), path.name, project)
    assert crds_raw_header(plain) == reader.get_raw_header(checksum=False), path
    crds_header = data_file.get_free_header.uncached(str(path), (), path.name, project)
    cache_crds_header(str(path), path.name, project, crds_raw_header(plain))
    try:
        assert data_file.get_free_header(str(path), (), path.name, project) == crds_header
    finally:
        data_file.clear_header_cache()
    return True


def test_every_plain_corpus_file_gives_crds_what_crds_reads(tmp_path: Path) -> None:
    import_crds("hst")
    verdicts = [_read_as_crds_does(path) for path in corpus_files(tmp_path)]
    assert verdicts.count(True) >= 10 and verdicts.count(False) >= 10


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_mutated_plain_files_give_crds_what_crds_reads(tmp_path: Path, variant: str) -> None:
    import_crds("hst")
    plain = sum(_read_as_crds_does(path)
                for path in mutants(tmp_path, variant, MUTANTS // len(VARIANTS), seed=20261201))
    assert plain > 15


def test_the_deep_check_of_a_plain_file_does_not_open_it_with_astropy(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import_crds("hst")
    from astropy.io import fits

    def refused(*args: object, **kwargs: object) -> None:
        raise RuntimeError("opened with astropy")

    plain = write_hst_ref(tmp_path / "w0000001i_bia.fits")
    # A HIERARCH card: a header the strict reading leaves to astropy (and so to crds).
    left = write_hst_ref(tmp_path / "w0000002i_bia.fits",
                         overrides={"HIERARCH LONG KEYWORD NAME": 1})
    assert plain_reading(plain) is not None and plain_reading(left) is None
    monkeypatch.setattr(fits, "open", refused)
    assert deep_findings(plain, plain.name, "hst") == []
    errors = [f.message for f in deep_findings(left, left.name, "hst")
              if f.severity is Severity.ERROR]
    assert any("opened with astropy" in message for message in errors)


def test_the_deep_check_judges_the_reading_it_is_given(tmp_path: Path) -> None:
    """plan passes the reading its preflight made: crds judges that one and reads no header
    of its own, unless astropy here would keep trailing blanks (the reading strips them)."""
    import_crds("hst")
    from astropy.io import fits

    path = write_hst_ref(tmp_path / "w0000001i_bia.fits")
    reading = plain_reading(path)
    assert reading is not None
    assert deep_findings(path, path.name, "hst", reading) == []
    refused = with_value(reading, "DETECTOR", "NOPE")
    errors = [f for f in deep_findings(path, path.name, "hst", refused)
              if f.severity is Severity.ERROR]
    assert [f.keyword for f in errors] == ["DETECTOR"], errors
    with fits.conf.set_temp("strip_header_whitespace", False):
        assert deep_findings(path, path.name, "hst", refused) == []
