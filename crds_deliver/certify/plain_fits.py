"""crds's FITS certifier without its three astropy reads of a plainly standard file.

crds's `FitsCertifier` opens a FITS reference with astropy three times: to verify it
(`verify("exception")`), to read the union of its headers, and to dump its provenance
keywords. On a small reference that is three quarters of a deep check (a 64x64 WFC3 bias:
about 15 ms of CPU, 4 ms without them). For a file that strict_header.py reads, which astropy
opens and verifies without a word (tests/certify/test_strict_header.py), those reads tell
nothing the strict reading does not, so for such a file:

- the verification is skipped (it passes), and the check for an `ASDF` extension is made on
  the HDU names;
- the header union is made by crds's own code (its FITS file object's `get_header`) from the
  (keyword, text of the value) pairs that crds's `get_raw_header` would have read, and put in
  crds's header cache, where the certifier and the rmap insertion (deep.py) look it up;
- the provenance dump is given the keywords present (what it logs besides the warnings for
  missing keywords is information, not a finding).

The TPN validators, the array checks, the project's check and the rmap insertion are crds's,
untouched; so is every file the strict reading leaves to astropy.
tests/certify/test_plain_fits.py compares the pairs and the header with crds's own reads, on
every file of the test corpora and on mutated ones; the parity suite (tests/parity) compares
the findings with the real `crds certify`'s.
"""

from __future__ import annotations

from pathlib import Path

from crds_deliver.certify.strict_header import PlainHdus, strict_header


def plain_reading(path: Path, stripped: PlainHdus | None = None) -> PlainHdus | None:
    """The strict reading of `path` with astropy's current whitespace setting (crds reads
    through astropy, so the strings must be stripped as astropy would), or None.

    `stripped`: the strict reading plan's preflight made of the same file (structure.py,
    which strips as astropy does by default). It is the answer when astropy strips here too:
    reading and parsing the headers again was a fifth of a small file's deep check."""
    from astropy.io import fits

    strip = bool(fits.conf.strip_header_whitespace)
    if stripped is not None and strip:
        return stripped
    return strict_header(path, strip=strip)


def crds_raw_header(hdus: PlainHdus) -> list[tuple[str, str]]:
    """What crds's `FitsFile.get_raw_header` returns for the file: every card with a keyword,
    in file order over all HDUs, as (keyword, str(value))."""
    return [(keyword, str(value)) for _name, cards in hdus for keyword, value in cards
            if keyword]


def cache_crds_header(filename: str, original_name: str, observatory: str,
                      raw: list[tuple[str, str]]) -> None:
    """Put the header that crds's `get_header` makes of `raw` where crds's cached header read
    (`data_file.get_free_header`, keyed by its arguments) finds it for this file."""
    from crds import data_file

    reader = data_file.file_factory(filename, original_name, observatory)
    reader.get_raw_header = lambda needed_keys=(), **keys: raw  # noqa: ARG005
    cached = data_file.get_free_header
    key = cached.cache_key(filename, (), original_name, observatory)
    cached.cache[key] = reader.get_header((), checksum=False)


class PlainFitsReads:
    """Mixed in before crds's `FitsCertifier` (deep.py): `plain` is the file's strict reading,
    set before `certify()`, or None to let crds read the file itself."""

    plain: PlainHdus | None = None
    # crds's own attributes, which the overrides read.
    filename: str
    original_name: str
    observatory: str

    def load(self) -> dict | None:  # crds's interface: the conditioned header
        """FitsCertifier.load without its astropy verification, for a plain file."""
        from crds.certify.certify import FitsCertifier

        if self.plain is None or not self.filename.endswith(".fits"):
            return super().load()  # type: ignore[misc]
        if any(name.strip().upper() == "ASDF" for name, _cards in self.plain):
            self.log_and_track_error(  # type: ignore[attr-defined]  (crds's)
                "FITS files must not include an ASDF extension")
        cache_crds_header(self.filename, self.original_name, self.observatory,
                          crds_raw_header(self.plain))
        return super(FitsCertifier, self).load()  # type: ignore[misc]

    def _dump_provenance_core(self, dump_keys: list[str]) -> set[str]:
        """The keywords of `dump_keys` that no HDU has (FitsCertifier's answer), then crds's
        generic look-up in the header."""
        from crds.certify.certify import FitsCertifier

        if self.plain is None:
            return super()._dump_provenance_core(dump_keys)  # type: ignore[misc]
        present = {keyword for _name, cards in self.plain for keyword, _value in cards}
        return super(FitsCertifier, self)._dump_provenance_core(  # type: ignore[misc]
            set(dump_keys) - present)
