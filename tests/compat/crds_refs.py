"""Reference files that pass the crds package's own certify (its JWST MIRI DARK validators and
stdatamodels' DarkMIRIModel): 4-D arrays of the BRIGHTSKY subarray, so the file is about 3 MB
and the crds client uploads it in two 2 MB chunks, which exercises the sandbox's chunk assembly
too (full frame would be 12.7 MB, slower to write, upload and certify, and exercise no more).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from astropy.io import fits

MIRI_DARK_HEADER = {
    "TELESCOP": "JWST", "INSTRUME": "MIRI", "DETECTOR": "MIRIMAGE", "REFTYPE": "DARK",
    "DATAMODL": "DarkMIRIModel", "USEAFTER": "2026-01-01T00:00:00",
    "PEDIGREE": "INFLIGHT 2025-01-01 2025-06-30", "AUTHOR": "Jane Doe",
    "DESCRIP": "MIRI imager dark for compatibility tests", "SUBARRAY": "BRIGHTSKY",
    "FILTER": "N/A", "READPATT": "FASTR1", "GROUPGAP": 0, "NFRAMES": 1, "NGROUPS": 1,
    "FASTAXIS": 1, "SLOWAXIS": 2, "SUBSIZE1": 512, "SUBSIZE2": 512, "SUBSTRT1": 457,
    "SUBSTRT2": 51,
}


def write_miri_dark(path: Path, useafter: str = "2026-01-01T00:00:00") -> Path:
    """A BRIGHTSKY MIRI imager dark with SCI, ERR, DQ (4-D) and DQ_DEF."""
    primary = fits.PrimaryHDU()
    for key, value in {**MIRI_DARK_HEADER, "USEAFTER": useafter}.items():
        primary.header[key] = value
    primary.header.add_history("Made by the crds-deliver compatibility tests")
    shape = (1, 1, 512, 512)
    dq_def = fits.BinTableHDU.from_columns([
        fits.Column("BIT", "J", array=[0]), fits.Column("VALUE", "J", array=[1]),
        fits.Column("NAME", "20A", array=["DO_NOT_USE"]),
        fits.Column("DESCRIPTION", "40A", array=["Bad pixel"])], name="DQ_DEF")
    hdus = fits.HDUList([
        primary, fits.ImageHDU(np.zeros(shape, "float32"), name="SCI"),
        fits.ImageHDU(np.zeros(shape, "float32"), name="ERR"),
        fits.ImageHDU(np.zeros(shape, "uint32"), name="DQ"), dq_def])
    hdus.writeto(path, overwrite=True, checksum=True)
    return path
