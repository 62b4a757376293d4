"""Stamping a reference for a re-delivery rehearsal, as the CRDS notebook's `crds_unique` does.

The server refuses a file whose SHA-1 it already holds. Rehearsing the delivery of a file
downloaded from CRDS therefore needs new bytes: a CRDSUNIQ keyword in the primary header with
a timestamp (ten days later for each further file of one call, like crds_unique). CRDS gives
the keyword no meaning. FITS checksums (CHECKSUM/DATASUM) are rewritten, so the stamped file
still passes certification; the file is replaced atomically.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from crds_deliver.errors import CrdsDeliverError

KEYWORD = "CRDSUNIQ"


class StampError(CrdsDeliverError):
    """A file cannot be stamped; the message names it."""


@dataclass(frozen=True)
class Stamped:
    path: Path
    value: str


def stamp_file(path: Path, when: dt.datetime) -> Stamped:
    """Write CRDSUNIQ=`when` into `path`'s primary header and refresh its checksums."""
    from astropy.io import fits

    if path.suffix.lower() != ".fits":
        raise StampError(f"{path}: only FITS files can be stamped (a CRDSUNIQ header keyword)")
    value = when.replace(microsecond=0).isoformat()
    try:
        with fits.open(path, memmap=False) as hdus:
            hdus[0].header[KEYWORD] = (value, "makes the file unique for a rehearsal")
            handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".fits",
                                            dir=path.parent)
            os.close(handle)
            try:
                hdus.writeto(temp, overwrite=True, checksum=True, output_verify="silentfix")
                os.chmod(temp, path.stat().st_mode & 0o777)
                os.replace(temp, path)
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
    except OSError as exc:
        raise StampError(f"{path}: cannot stamp: {exc.strerror or exc}") from None
    except (ValueError, TypeError) as exc:  # astropy's answers to a damaged FITS file
        raise StampError(f"{path}: not a readable FITS file: {exc}") from None
    return Stamped(path, value)


def stamp_files(paths: list[Path], now: dt.datetime) -> list[Stamped]:
    """Stamp each file, ten days apart from `now` on, as crds_unique does."""
    missing = [p for p in paths if not p.is_file()]
    if missing:
        raise StampError(f"{missing[0]}: no such file")
    return [stamp_file(path, now + dt.timedelta(days=10 * index))
            for index, path in enumerate(paths)]
