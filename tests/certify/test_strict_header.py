"""The plain-header reading (certify/strict_header.py) against astropy's: whenever it accepts a
file, astropy opens and verifies that file without a word, and both give the same keywords,
values (types included), HDUs and HDU names. Checked on every file the test corpora write
(valid and defective, HST, JWST and Roman) and on thousands of single-card mutations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from crds_deliver.certify.strict_header import strict_header
from crds_deliver.certify.structure import Header, astropy_structure, check_structure, union_of
from tests.fixtures.fits import write_hst_ref
from tests.fixtures.fits_mutants import VARIANTS, corpus_files, mutants

MUTATIONS = 3000


def _typed(header: Header) -> dict[str, Any]:
    """Values with their types (1 == 1.0 == True would hide a difference)."""
    return {key: (type(value).__name__, value, hdu)
            for key, (value, hdu) in header.values.items()}


def _agrees(path: Path) -> bool | None:
    """True when the strict reading accepted the file and agrees with astropy, None when it
    left the file to astropy; fails the test on a disagreement."""
    plain = strict_header(path)
    if plain is None:
        return None
    header, findings = astropy_structure(path, path.name)
    assert header is not None and findings == [], (path, findings)
    strict = union_of(plain)
    assert strict.hdu_names == header.hdu_names
    assert _typed(strict) == _typed(header)
    return True


def test_every_corpus_file_is_read_as_astropy_reads_it(tmp_path: Path) -> None:
    verdicts = [_agrees(path) for path in corpus_files(tmp_path)]
    assert verdicts.count(True) >= 10  # the plain reading is the common case...
    assert verdicts.count(None) >= 10  # ...and the defective files are left to astropy


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_mutated_cards_are_read_as_astropy_reads_them_or_left_to_it(tmp_path: Path,
                                                                    variant: str) -> None:
    accepted = left = 0
    for path in mutants(tmp_path, variant, MUTATIONS // len(VARIANTS), seed=20261130):
        if _agrees(path):
            accepted += 1
        else:
            left += 1
    assert accepted > 50 and left > 50  # both sides of the line were exercised


def test_check_structure_takes_the_strict_reading_when_it_applies(tmp_path: Path) -> None:
    path = write_hst_ref(tmp_path / "w0000001i_bia.fits")
    assert strict_header(path) is not None
    header, findings = check_structure(path, path.name)
    assert findings == [] and header is not None
    assert _typed(header) == _typed(astropy_structure(path, path.name)[0])


def test_a_keyword_that_begins_with_end_is_an_ordinary_card(tmp_path: Path) -> None:
    path = write_hst_ref(tmp_path / "w0000001i_bia.fits", overrides={"ENDTIME": 12.5})
    plain = strict_header(path)
    assert plain is not None and ("ENDTIME", 12.5) in plain[0][1]
    assert _agrees(path)
