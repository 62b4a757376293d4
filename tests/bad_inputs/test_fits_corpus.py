"""Broken reference files through the real CLI (`plan`, then `apply`): each is refused with an
error naming the file, exit 1, no traceback, nothing sent, no record written."""

from __future__ import annotations

from pathlib import Path

import pytest

from crds_deliver.record import record_path
from tests.fixtures.fits import manifest_text, write_jwst_ref

NAME = "jwst_miri_dark_0001.fits"


def _good(path: Path) -> bytes:
    write_jwst_ref(path)
    return path.read_bytes()


def truncated(path: Path) -> None:
    data = _good(path)
    path.write_bytes(data[: len(data) - 4000])


def zero_length(path: Path) -> None:
    path.write_bytes(b"")


def wrong_magic(path: Path) -> None:
    data = _good(path)
    path.write_bytes(b"SIMPLY  = " + data[10:])


def not_fits_at_all(path: Path) -> None:
    path.write_bytes(b"%PDF-1.7\n" + b"\x00\xff" * 3000)


def huge_header(path: Path) -> None:
    """A header that never ends: 20 000 cards and no END."""
    data = _good(path)
    cards = b"".join(f"HISTORY  filler card {i:08d}".ljust(80).encode() for i in range(20000))
    path.write_bytes(data[:2880].replace(b"END" + b" " * 77, b" " * 80) + cards)


def bad_checksum(path: Path) -> None:
    data = bytearray(_good(path))
    data[-100] ^= 0xFF  # one byte of data changed after CHECKSUM/DATASUM were written
    path.write_bytes(bytes(data))


def wrong_bitpix(path: Path) -> None:
    data = _good(path)
    start = data.index(b"BITPIX  =", 2880)  # the SCI extension's BITPIX
    path.write_bytes(data[:start] + b"BITPIX  =                   13".ljust(80)
                     + data[start + 80:])


def non_ascii_card(path: Path) -> None:
    data = _good(path)
    start = data.index(b"DESCRIP =")
    card = "DESCRIP = 'MIRI dark: température élevée'".encode().ljust(80)[:80]
    path.write_bytes(data[:start] + card + data[start + 80:])


CORPUS = {f.__name__.replace("_", "-"): f for f in (
    truncated, zero_length, wrong_magic, not_fits_at_all, huge_header, bad_checksum,
    wrong_bitpix, non_ascii_card)}


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_broken_fits_is_refused_naming_the_file(case, delivery_repo, sandbox, run_cli,
                                                ledger):
    repo = delivery_repo(files=0)
    refs = repo.manifest.parent / "refs-x"
    refs.mkdir()
    CORPUS[case](refs / NAME)
    repo.manifest.write_text(manifest_text("jwst", "miri", "DARK", ["refs-x/*.fits"]))
    before = sorted(p.name for p in repo.manifest.parent.rglob("*"))
    for command in (["plan"], ["apply", "--yes"]):
        result = run_cli([*command, repo.manifest], sandbox)
        output = result.output
        assert result.exit_code == 1, output
        assert "Traceback" not in output
        assert NAME in output, output
        assert "error" in output.lower()
    ledger.posts(0, sandbox.stats.submission_posts)
    assert sandbox.stats.requests == 0
    ledger.record_kept(not record_path(repo.manifest).exists())
    assert not record_path(repo.manifest).exists()
    assert sorted(p.name for p in repo.manifest.parent.rglob("*")) == before
