"""What the Python API costs on top of the engine it wraps (it should cost nothing).

    python benchmarks/api_overhead.py [--rounds 21] [--manifests 200]

Three paired workloads, each against its baseline in the same run:
- `import crds_deliver` in a fresh interpreter against `python -c pass` (the API loads lazily);
- `Delivery.load(p).validate()` of copies of the example JWST manifest against the engine's
  own `problems_with_record(load_manifest(p))`, in this process;
- `Delivery.load(p).plan()` of the example manifest against the engine's `make_plan(p)`.
Prints the medians and the ratio ours / baseline of each.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from paired import paired, run_process

from crds_deliver.api import Delivery
from crds_deliver.manifest import load_manifest
from crds_deliver.plan import make_plan
from crds_deliver.record import problems_with_record

EXAMPLE = Path(__file__).resolve().parents[1] / "manifests/jwst/miri/2026-11-imager-darks.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--manifests", type=int, default=200)
    args = parser.parse_args()

    imported = paired(run_process([sys.executable, "-c", "import crds_deliver"]),
                      run_process([sys.executable, "-c", "pass"]), args.rounds)
    print(imported.line("import crds_deliver vs python -c pass"))

    with tempfile.TemporaryDirectory() as folder:
        copies = []
        for index in range(args.manifests):
            copy = Path(folder) / f"delivery-{index:04d}.yaml"
            shutil.copy(EXAMPLE, copy)
            copies.append(copy)
        validated = paired(lambda: [Delivery.load(p).validate() for p in copies],
                           lambda: [problems_with_record(load_manifest(p)) for p in copies],
                           args.rounds)
        print(validated.line(f"Delivery.validate() of {args.manifests} manifests vs "
                             "problems_with_record(load_manifest())"))

    planned = paired(lambda: Delivery.load(EXAMPLE).plan(), lambda: make_plan(EXAMPLE),
                     args.rounds)
    print(planned.line("Delivery.plan() vs make_plan() of the example manifest"))


if __name__ == "__main__":
    main()
