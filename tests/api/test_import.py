"""`import crds_deliver` stays light: the API's heavy parts load when first used."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HEAVY = ("astropy", "requests", "numpy", "jsonschema", "crds_deliver.crds.client")


def _loaded_after(code: str) -> list[str]:
    probe = f"{code}; import sys; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True, timeout=120)
    return done.stdout.split()


def test_import_crds_deliver_loads_no_astropy_nor_requests() -> None:
    assert _loaded_after("import crds_deliver") == []


def test_the_api_loads_the_engine_when_it_is_used(example: Path) -> None:
    load = f"from crds_deliver import Delivery; delivery = Delivery.load({str(example)!r})"
    # A valid manifest passes the compiled checks (conformance.py): jsonschema, which says
    # where an invalid one breaks the schema, is not loaded.
    assert _loaded_after(f"{load}; delivery.validate()") == []
    planned = _loaded_after(f"{load}; delivery.plan()")
    # The deep checks' crds package brings requests itself; our CRDS client must stay unloaded.
    assert "astropy" in planned and "crds_deliver.crds.client" not in planned


def test_unknown_names_are_attribute_errors() -> None:
    done = subprocess.run([sys.executable, "-c", "import crds_deliver; crds_deliver.Nope"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "AttributeError: module 'crds_deliver' has no attribute 'Nope'" in done.stderr
