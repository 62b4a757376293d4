"""Pinning astropy's configuration (certify/pinned_config.py) keeps every value astropy gave,
and headers read after it are the headers read before. It changes the process for good, so it
runs in a fresh interpreter."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.fixtures.fits import write_hst_ref

SCRIPT = """
import json, sys
from astropy.config import ConfigItem, ConfigNamespace
import astropy.io.fits as fits
from crds_deliver.certify.pinned_config import pin_astropy_config

def values():
    return {f"{m}.{k}": repr(getattr(mod.conf, k)) for m, mod in list(sys.modules.items())
            if isinstance(getattr(mod, "conf", None), ConfigNamespace)
            for k, v in vars(type(mod.conf)).items() if not k.startswith("_")}

def header(path):
    with fits.open(path) as hdus:
        return [[tuple(card) for card in hdu.header.cards] for hdu in hdus]

before, read_before = values(), header(sys.argv[1])
pinned = pin_astropy_config()
live = [k for k, v in vars(type(fits.conf)).items() if isinstance(v, ConfigItem)]
print(json.dumps({"pinned": pinned, "live": live, "same": values() == before,
                  "same_header": header(sys.argv[1]) == read_before}))
"""


def test_pinned_values_are_the_values_astropy_gave(tmp_path: Path) -> None:
    path = write_hst_ref(tmp_path / "w0000001i_bia.fits")
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(path)], capture_output=True,
                          text=True, check=True)
    outcome = json.loads(done.stdout)
    assert outcome["pinned"] >= 10  # astropy.io.fits alone has a dozen items
    assert outcome["live"] == []
    assert outcome["same"] and outcome["same_header"]
