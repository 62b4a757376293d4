"""Seed references with real data, for the types a rehearsal downloads and submits again.

The CRDS developer notebook downloads a delivered reference (a MIRI dark), stamps it with
`crds_unique` and submits it; `crds submit --certify-files` certifies it locally with crds's own
certifier first, and the sandbox certifies it again on its side. A header-only seed fails both
(crds wants the type's arrays and keywords), so these types get small but complete files:
sub-array sized arrays of zeros, the keywords crds's rules and the datamodels require, and
CHECKSUM/DATASUM as delivered references carry. Every other type keeps the header-only stub of
seed.py: it can be downloaded and selected, not resubmitted as is.

The files are made with astropy, which the sandbox has loaded already (the certify engine needs
it), once per process (seed.seed_files is cached), and byte for byte the same every time: the
checksum comments carry a fixed date, so a seed's sha1 never changes between sandboxes.
"""

from __future__ import annotations

import io
from collections.abc import Callable

_CHECKSUM_WHEN = "sandbox seed"  # the checksum comment (astropy writes the current time)
_HISTORY = "Made by the crds-deliver sandbox as a seed reference (zeros)"


def _hdus_bytes(primary_keywords: dict[str, object], images: list[tuple[str, object]],
                tables: list[object]) -> bytes:
    """A FITS file: a primary header, image extensions (name, array), then table HDUs."""
    from astropy.io import fits

    primary = fits.PrimaryHDU()
    for key, value in primary_keywords.items():
        primary.header[key] = value
    primary.header.add_history(_HISTORY)
    hdus = fits.HDUList([primary, *(fits.ImageHDU(data, name=name) for name, data in images),
                         *tables])
    for hdu in hdus:
        hdu.add_checksum(when=_CHECKSUM_WHEN)
    out = io.BytesIO()
    hdus.writeto(out)
    return out.getvalue()


def _dq_def() -> object:
    """The DQ_DEF table of JWST references: which DQ bit means what.

    Made from a FITS_rec and set as the data of an empty table HDU: BinTableHDU.from_columns
    (or data= in its constructor) imports astropy.table, and with it asdf, which would add
    0.6 s to the start of every sandbox process.
    """
    from astropy.io import fits

    table = fits.BinTableHDU(name="DQ_DEF")
    table.data = fits.FITS_rec.from_columns(fits.ColDefs([
        fits.Column("BIT", "J", array=[0]), fits.Column("VALUE", "J", array=[1]),
        fits.Column("NAME", "20A", array=["DO_NOT_USE"]),
        fits.Column("DESCRIPTION", "40A", array=["Bad pixel"])]))
    return table


def _miri_dark(identity: dict[str, object]) -> bytes:
    """A MIRI imager dark on SUB64 (72 x 64 pixels, 2 groups): what crds's MIRI DARK rules
    and stdatamodels' DarkMIRIModel accept, 89 KB instead of a full frame's 12.7 MB."""
    import numpy as np

    shape = (1, 2, 64, 72)  # integrations, groups, rows (SUBSIZE2), columns (SUBSIZE1)
    keywords = {**identity, "DETECTOR": "MIRIMAGE", "FILTER": "N/A", "READPATT": "FASTR1",
                "SUBARRAY": "SUB64", "SUBSTRT1": 1, "SUBSIZE1": 72, "SUBSTRT2": 779,
                "SUBSIZE2": 64, "FASTAXIS": 1, "SLOWAXIS": 2, "NFRAMES": 1, "GROUPGAP": 0,
                "NGROUPS": 2, "DATAMODL": "DarkMIRIModel"}
    return _hdus_bytes(keywords, [("SCI", np.zeros(shape, "float32")),
                                  ("DQ", np.zeros(shape, "uint32"))], [_dq_def()])


def _wfc3_bias(identity: dict[str, object]) -> bytes:
    """A WFC3 UVIS bias (8 x 8 pixels) with the match keywords crds's WFC3 rules check."""
    import numpy as np

    keywords = {**identity, "DETECTOR": "UVIS", "CCDAMP": "ABCD", "CCDGAIN": 1.5,
                "BINAXIS1": 1, "BINAXIS2": 1, "APERTURE": "UVIS", "CHINJECT": "NONE"}
    return _hdus_bytes(keywords, [("SCI", np.zeros((8, 8), "float32")),
                                  ("DQ", np.zeros((8, 8), "int16"))], [])


# (project, instrument, reference type) -> writer of the file from its identity keywords.
_WRITERS: dict[tuple[str, str, str], Callable[[dict[str, object]], bytes]] = {
    ("jwst", "miri", "dark"): _miri_dark,
    ("hst", "wfc3", "biasfile"): _wfc3_bias,
}


def real_reference(project: str, instrument: str, kind: str,
                   identity: dict[str, object]) -> bytes | None:
    """The bytes of a complete seed reference of this type, or None (header-only seed).

    `identity` is the seed's common keywords (telescope, instrument, type, USEAFTER, pedigree,
    author, description); the writer adds the type's own keywords and data.
    """
    writer = _WRITERS.get((project, instrument, kind))
    return writer(identity) if writer else None
