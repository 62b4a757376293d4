"""crds's array checks of a FITS file from one astropy open instead of two per array.

crds's certifier reads the properties of every array its rules check (shape, data type,
table columns; the data itself for rules on values) with `data_file.get_array_properties`,
which opens the file with astropy twice per array: once to find the HDU's number, once to
read it. A JWST MIRI dark has four such arrays (SCI, ERR, DQ, DQ_DEF): eight of the sixteen
opens of its deep check, which now opens it nine times (in one process, 59 files, four
alternating runs: 44-54 ms a file with crds's reads, 39-46 ms with one open).

While crds adds those properties to the header (`add_array_keywords`), its FITS module's
`fits_open` hands out the file opened once, with crds's own settings: the same astropy call
on the same bytes, so the same HDUs and the same properties. Any other open (another file,
other options) goes through crds's own. The deep checks run one at a time (deep.py's lock),
so no other check sees the substitution. tests/certify/test_fits_arrays.py compares the
findings with crds's own reads, on valid files and on array defects.

A file of more than SHARED_MAX_BYTES keeps crds's reads: with one open, every array read
stays in memory until the last is read (crds's reads free each in turn, which matters for
scaled integer arrays, read whole into floats), and against reading big arrays the opens
cost little. So does a crds whose FITS module has no `fits_open` to stand in for (another
crds version).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

SHARED_MAX_BYTES = 64 * 1024 * 1024


class SharedArrayReads:
    """Mixed in before crds's `FitsCertifier` (deep.py)."""

    # crds's own attributes, which the override reads.
    filename: str
    array_validators: list

    def add_array_keywords(self, header: dict) -> dict:  # crds's interface
        """crds's `add_array_keywords`, its array reads served from one open of the file."""
        from crds.io import fits as crds_fits

        own_open = getattr(crds_fits, "fits_open", None)
        if (own_open is None or not self.array_validators
                or os.path.getsize(self.filename) > SHARED_MAX_BYTES):
            return super().add_array_keywords(header)  # type: ignore[misc]
        with own_open(self.filename) as hdus:

            @contextlib.contextmanager
            def opened_once(filename: str, **keys: object) -> Iterator[object]:
                if filename == self.filename and not keys:
                    yield hdus
                else:
                    with own_open(filename, **keys) as other:
                        yield other

            crds_fits.fits_open = opened_once
            try:
                return super().add_array_keywords(header)  # type: ignore[misc]
            finally:
                crds_fits.fits_open = own_open
