"""Benchmark: what predicting the rules adds to `crds-deliver plan`.

    python benchmarks/plan_rules.py [--files 200] [--rounds 5]

Writes FILES small WFC3 biases (each its own USEAFTER) and a CRDS cache holding the sandbox's
bundled HST context, then times, as processes, `plan` with `--crds-path` (rules predicted:
every file's keywords read and placed in its rmap) against the same `plan` without it, in
paired rounds (benchmarks/paired.py). Target: ratio <= 1.3.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
from astropy.io import fits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from paired import paired, run_process  # noqa: E402

from tests.fixtures.fits import FORM  # noqa: E402
from tests.rules.cache import write_cache  # noqa: E402

KEYWORDS = {
    "TELESCOP": "HST", "INSTRUME": "WFC3", "FILETYPE": "BIAS", "DETECTOR": "UVIS",
    "CCDAMP": "ABCD", "CCDGAIN": 1.5, "BINAXIS1": 1, "BINAXIS2": 1, "APERTURE": "UVIS",
    "CHINJECT": "NONE", "PEDIGREE": "INFLIGHT 01/01/2026 31/01/2026",
    "DESCRIP": "Benchmark bias",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        refs = root / "repo" / "refs"
        refs.mkdir(parents=True)
        for n in range(args.files):
            hdu = fits.PrimaryHDU(np.zeros((64, 64), "float32"))
            hdu.header.update(KEYWORDS)
            day = 1 + n % 28
            hdu.header["USEAFTER"] = f"Jan {day:02d} {2026 + n // 28} 00:00:00"
            hdu.writeto(refs / f"b{n:07d}i_bia.fits", checksum=True)
        manifest = root / "repo" / "delivery.yaml"
        manifest.write_text("project: hst\nserver: bit\nfiles:\n  - refs/*.fits\n"
                            + FORM.format(instrument="wfc3", file_type="BIAS",
                                          calpipe="hst 1.0")
                            + "options:\n  auto_rename: false\n")
        cache = write_cache(root / "cache", "hst")
        plan = [sys.executable, "-m", "crds_deliver", "plan", str(manifest), "--format", "json"]
        result = paired(run_process([*plan, "--crds-path", str(cache)]), run_process(plan),
                        args.rounds)
    print(result.line(f"plan of {args.files} HST biases, with rules vs without", 1.3))


if __name__ == "__main__":
    main()
