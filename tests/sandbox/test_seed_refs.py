"""The seed references a rehearsal downloads and submits again are complete files.

The certify engine (crds's own certifier too, when installed) finds no error in them, they are
the same bytes in every process (a seed's sha1 must not change between sandboxes), and building
them does not drag astropy (or asdf) into the start of every sandbox.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from crds_deliver.certify import certify_file
from crds_deliver.sandbox import seed, seed_refs

REAL = [("jwst", "miri", "dark"), ("hst", "wfc3", "biasfile")]


def _seed_reference(project: str, instrument: str, kind: str) -> seed.SeedFile:
    return next(item for item in seed.seed_files(project) if item.body is None
                and (item.instrument, item.filekind) == (instrument, kind))


@pytest.mark.parametrize(("project", "instrument", "kind"), REAL)
def test_real_seed_references_certify_without_errors(tmp_path: Path, project: str,
                                                     instrument: str, kind: str) -> None:
    item = _seed_reference(project, instrument, kind)
    path = tmp_path / item.name
    path.write_bytes(item.data)
    result = certify_file(path, project)
    assert (result.instrument, result.reftype) == (instrument, kind)
    assert result.ok, [f.message for f in result.findings]
    assert len(item.data) < 100_000  # small: the whole seed is copied into every sandbox


def test_real_seed_references_are_the_same_bytes_every_time() -> None:
    identity = {"TELESCOP": "JWST", "INSTRUME": "MIRI", "REFTYPE": "DARK"}
    first = seed_refs.real_reference("jwst", "miri", "dark", identity)
    assert first is not None and first == seed_refs.real_reference("jwst", "miri", "dark",
                                                                   identity)
    assert seed_refs.real_reference("jwst", "miri", "flat", identity) is None


def test_building_the_seed_does_not_import_astropy() -> None:
    probe = ("import sys; from crds_deliver.sandbox import seed; "
             "[seed.seed_files(p) for p in ('hst', 'jwst', 'roman')]; "
             "print('astropy' in sys.modules, 'asdf' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120)
    assert done.stdout.split() == ["False", "False"], done.stderr
