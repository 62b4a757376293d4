"""Fixtures of the Python API tests: a form that passes, reference files written by astropy
into a folder that is the current directory (as in a notebook), and a sandbox pool."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from crds_deliver.connections import SandboxPool
from tests.fixtures.examples import copy_examples
from tests.fixtures.fits import write_jwst_ref

EXAMPLE = Path(__file__).resolve().parents[2] / "manifests/jwst/miri/2026-11-imager-darks.yaml"


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """The example JWST manifest, in a copy of manifests/ without what earlier runs wrote."""
    return copy_examples(tmp_path / "examples") / EXAMPLE.relative_to(EXAMPLE.parents[2])


@pytest.fixture
def form() -> dict[str, object]:
    """The example manifest's form: every field filled in as a deliverer would."""
    return dict(yaml.safe_load(EXAMPLE.read_text())["form"])


@pytest.fixture
def notebook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A notebook's folder (the current directory) holding two MIRI darks it just built."""
    folder = tmp_path / "notebook"
    for index in (1, 2):
        write_jwst_ref(folder / f"jwst_miri_dark_{index:04d}.fits",
                       {"DESCRIP": f"MIRI imager dark {index} from 2026 flight data"})
    monkeypatch.chdir(folder)
    return folder


@pytest.fixture
def pool(tmp_path: Path) -> Iterator[SandboxPool]:
    """Sandboxes started on demand on free ports, their state in tmp_path, stopped after."""
    started = SandboxPool(tmp_path / "sandbox")
    yield started
    started.stop()
