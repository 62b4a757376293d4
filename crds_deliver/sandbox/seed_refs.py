"""Seed references with real data, for the types a rehearsal downloads and submits again.

The CRDS developer notebook downloads a delivered reference (a MIRI dark), stamps it with
`crds_unique` and submits it; `crds submit --certify-files` certifies it locally with crds's own
certifier first, and the sandbox certifies it again on its side. A header-only seed fails both
(crds wants the type's arrays and keywords), so these types get small but complete files:
sub-array sized arrays of zeros, the keywords crds's rules and the datamodels require, and
CHECKSUM/DATASUM as delivered references carry. Every other type keeps the header-only stub of
seed.py: it can be downloaded and selected, not resubmitted as is.

The files are written by fits_writer.py (astropy would cost a sandbox most of its start), once
per process (seed.seed_files is cached), and byte for byte the same every time: the checksum
cards carry no date, so a seed's sha1 never changes between sandboxes.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from crds_deliver.sandbox.fits_writer import Column, Value, image_hdu, primary_hdu, table_hdu

_HISTORY = "Made by the crds-deliver sandbox as a seed reference (zeros)"


def _hdus_bytes(primary_keywords: dict[str, Value],
                images: list[tuple[str, np.ndarray]], tables: list[bytes]) -> bytes:
    """A FITS file: a primary header, image extensions (name, array), then table HDUs."""
    return b"".join([primary_hdu(primary_keywords, _HISTORY),
                     *(image_hdu(name, data) for name, data in images), *tables])


def _dq_def() -> bytes:
    """The DQ_DEF table of JWST references: which DQ bit means what."""
    return table_hdu("DQ_DEF", [Column("BIT", "J", [0]), Column("VALUE", "J", [1]),
                                Column("NAME", "20A", ["DO_NOT_USE"]),
                                Column("DESCRIPTION", "40A", ["Bad pixel"])])


def _miri_dark(identity: dict[str, Value]) -> bytes:
    """A MIRI imager dark on SUB64 (72 x 64 pixels, 2 groups): what crds's MIRI DARK rules
    and stdatamodels' DarkMIRIModel accept, 89 KB instead of a full frame's 12.7 MB."""
    shape = (1, 2, 64, 72)  # integrations, groups, rows (SUBSIZE2), columns (SUBSIZE1)
    keywords = {**identity, "DETECTOR": "MIRIMAGE", "FILTER": "N/A", "READPATT": "FASTR1",
                "SUBARRAY": "SUB64", "SUBSTRT1": 1, "SUBSIZE1": 72, "SUBSTRT2": 779,
                "SUBSIZE2": 64, "FASTAXIS": 1, "SLOWAXIS": 2, "NFRAMES": 1, "GROUPGAP": 0,
                "NGROUPS": 2, "DATAMODL": "DarkMIRIModel"}
    return _hdus_bytes(keywords, [("SCI", np.zeros(shape, "float32")),
                                  ("DQ", np.zeros(shape, "uint32"))], [_dq_def()])


def _wfc3_bias(identity: dict[str, Value]) -> bytes:
    """A WFC3 UVIS bias (8 x 8 pixels) with the match keywords crds's WFC3 rules check."""
    keywords = {**identity, "DETECTOR": "UVIS", "CCDAMP": "ABCD", "CCDGAIN": 1.5,
                "BINAXIS1": 1, "BINAXIS2": 1, "APERTURE": "UVIS", "CHINJECT": "NONE"}
    return _hdus_bytes(keywords, [("SCI", np.zeros((8, 8), "float32")),
                                  ("DQ", np.zeros((8, 8), "int16"))], [])


# (project, instrument, reference type) -> writer of the file from its identity keywords.
_WRITERS: dict[tuple[str, str, str], Callable[[dict[str, Value]], bytes]] = {
    ("jwst", "miri", "dark"): _miri_dark,
    ("hst", "wfc3", "biasfile"): _wfc3_bias,
}


def real_reference(project: str, instrument: str, kind: str,
                   identity: dict[str, Value]) -> bytes | None:
    """The bytes of a complete seed reference of this type, or None (header-only seed).

    `identity` is the seed's common keywords (telescope, instrument, type, USEAFTER, pedigree,
    author, description); the writer adds the type's own keywords and data.
    """
    writer = _WRITERS.get((project, instrument, kind))
    return writer(identity) if writer else None
