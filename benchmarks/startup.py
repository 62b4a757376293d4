"""Start-up cost of the command line against importing what it cannot do without.

    python benchmarks/startup.py [--rounds 21]

Every round runs, back to back, `python -c "import yaml, jsonschema"` (the baseline: the two
libraries validate needs) and one of: `crds-deliver --help`, `--version`, and `validate` of the
example manifests (all as `python -m crds_deliver`). Prints the medians and the ratio of each
to the baseline. Target: `--help` at most 2x the baseline.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from paired import paired, run_process

EXAMPLES = Path(__file__).resolve().parents[1] / "manifests"
TARGETS = {"--help": 2.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=21)
    args = parser.parse_args()
    baseline = run_process([sys.executable, "-c", "import yaml, jsonschema"])
    cli = [sys.executable, "-m", "crds_deliver"]
    with tempfile.TemporaryDirectory() as folder:
        manifests = Path(folder) / "manifests"
        shutil.copytree(EXAMPLES, manifests)
        cases = {"--help": [*cli, "--help"], "--version": [*cli, "--version"],
                 "validate (3 manifests)": [*cli, "validate", str(manifests)]}
        print(f"baseline: {sys.executable} -c 'import yaml, jsonschema'")
        for name, argv in cases.items():
            result = paired(run_process(argv), baseline, args.rounds)
            print(result.line(f"crds-deliver {name}", TARGETS.get(name)))


if __name__ == "__main__":
    main()
