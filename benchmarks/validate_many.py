"""How long validating many manifests takes, against plain YAML parsing of the same files.

    python benchmarks/validate_many.py [--count 10000] [--rounds 5]

Writes COUNT copies of the example JWST manifest (each with its own description) to a
temporary folder. Each round then times, back to back:

- in this process: `load_manifest` of every file (positions, schema, normalised form) against
  loading every file with PyYAML's CSafeLoader, the floor any YAML-based validator pays;
- as processes: `crds-deliver validate FOLDER` against a Python process that finds the same
  files and loads each with CSafeLoader (start-up included on both sides).

Prints the medians and the ratios (benchmarks/paired.py). Target: validate at most 2x the
CSafeLoader load.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import yaml
from paired import paired, run_process

from crds_deliver.manifest import load_manifest

EXAMPLE = Path(__file__).resolve().parents[1] / "manifests/jwst/miri/2026-11-imager-darks.yaml"
YAML_ONLY = """
import sys, yaml
from pathlib import Path
for path in sorted(Path(sys.argv[1]).rglob("*.yaml")):
    yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    text = EXAMPLE.read_text()
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for i in range(args.count):
            path = Path(folder) / f"delivery-{i:05d}.yaml"
            path.write_text(text.replace("New MIRI imager darks", f"Delivery {i} of darks"))
            paths.append(path)
        assert all(load_manifest(p).manifest is not None for p in paths[:10]), "must be valid"

        def ours() -> None:
            for path in paths:
                load_manifest(path)

        def baseline() -> None:
            for path in paths:
                yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)

        in_process = paired(ours, baseline, args.rounds)
        command = paired(run_process([sys.executable, "-m", "crds_deliver", "validate", folder]),
                         run_process([sys.executable, "-c", YAML_ONLY, folder]), args.rounds)
    per_manifest = 1000 / args.count
    print(f"manifests: {args.count}")
    print(in_process.line("load_manifest vs CSafeLoader load, in process", 2.0))
    print(f"  per manifest: ours {in_process.ours * per_manifest:.3f} ms, "
          f"CSafeLoader {in_process.baseline * per_manifest:.3f} ms")
    print(command.line("crds-deliver validate vs a CSafeLoader script, as processes", 2.0))


if __name__ == "__main__":
    main()
