"""How long validating many manifests takes, against plain YAML parsing of the same files.

Usage: python benchmarks/validate_many.py [--count 1000]

Writes COUNT copies of the example JWST manifest to a temporary folder, then in this one
process times (a) loading every file with PyYAML's fastest safe loader, the floor any
YAML-based validator pays, and (b) `load_manifest` of every file (positions and schema), and
finally the whole `crds-deliver validate FOLDER` command. Prints seconds per hundred manifests
and the ratio of (b) to (a). The schema is loaded once per process, so (b) must stay well
under a second per hundred.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from crds_deliver.manifest import load_manifest

EXAMPLE = Path(__file__).resolve().parents[1] / "manifests/jwst/miri/2026-11-imager-darks.yaml"


def timed(func) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    args = parser.parse_args()
    text = EXAMPLE.read_text()
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for i in range(args.count):
            path = Path(folder) / f"delivery-{i:05d}.yaml"
            path.write_text(text.replace("New MIRI imager darks", f"Delivery {i} of darks"))
            paths.append(path)
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        baseline = timed(lambda: [yaml.load(p.read_text(), Loader=loader) for p in paths])
        results: list = []
        ours = timed(lambda: results.extend(load_manifest(p) for p in paths))
        assert all(r.manifest is not None for r in results), "example manifest must be valid"
        command = timed(lambda: subprocess.run(
            [sys.executable, "-m", "crds_deliver", "validate", folder],
            check=True, capture_output=True))
    per_hundred = 100 / args.count
    print(f"manifests: {args.count}")
    print(f"PyYAML load only    : {baseline * per_hundred:.3f} s per hundred")
    print(f"load_manifest       : {ours * per_hundred:.3f} s per hundred")
    print(f"validate command    : {command * per_hundred:.3f} s per hundred "
          f"({command:.2f} s in all, start-up included)")
    print(f"ratio load_manifest / PyYAML load: {ours / baseline:.2f}")


if __name__ == "__main__":
    main()
