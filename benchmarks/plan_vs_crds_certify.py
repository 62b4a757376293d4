"""How long `crds-deliver plan` takes against the real `crds certify` on the same 50 files.

Usage: python benchmarks/plan_vs_crds_certify.py [--count 50] [--per-file N]

Writes the first COUNT files of the parity corpus (tests/parity/corpus.py: HST, JWST and Roman,
valid and defective) into one delivery folder per project with a manifest each, then times, in
this one command:
  (a) `crds-deliver plan` of the three manifests, one process (deep checks on, all extras);
  (b) `crds certify FILE... --comparison-context CTX --dump-provenance`, one process per project
      on all its files at once: the fastest way to run crds certify (offline, rules from the
      specs, as the parity suite does);
  (c) with --per-file N, `crds certify` as one process per file on the first N files, the way
      a person certifies files before a delivery; its time is extrapolated to COUNT files.
Prints the seconds of each and the ratios (b)/(a) and (c)/(a): how many times faster plan is.
Needs the all and compat extras (crds, stdatamodels, roman_datamodels).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from crds_deliver.certify import identify  # noqa: E402
from tests.fixtures.fits import manifest_text  # noqa: E402
from tests.parity.corpus import CASES  # noqa: E402
from tests.parity.crds_context import write_context  # noqa: E402
from tests.parity.crds_run import environment  # noqa: E402

INSTRUMENTS = {"hst": None, "jwst": None, "roman": "wfi"}


def timed(command: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, capture_output=True, check=False, cwd=REPO)
    return time.perf_counter() - start


def _write(folder: Path, count: int) -> dict[str, list[Path]]:
    """COUNT corpus files, each in its own sub-folder of its project's delivery."""
    files: dict[str, list[Path]] = {}
    for index, case in enumerate(CASES[:count]):
        path = case.write(folder / case.project / "refs" / f"{index:02d}")
        files.setdefault(case.project, []).append(path)
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--per-file", type=int, default=0, metavar="N")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        files = _write(root / "repo", args.count)
        manifests = []
        contexts = {}
        for project, paths in files.items():
            types = {identify(p, project) for p in paths}
            known = {t for t in types if t[0] and t[1]}
            contexts[project] = write_context(root / "cache", project, known)  # type: ignore[arg-type]
            instrument = sorted(t[0] for t in known)[0]  # type: ignore[type-var]
            manifest = root / "repo" / project / "delivery.yaml"
            manifest.write_text(manifest_text(project, instrument, "DARK", ["refs/**/*.*"]))
            manifests.append(str(manifest))
        count = sum(len(p) for p in files.values())
        plan = timed([sys.executable, "-m", "crds_deliver", "plan", *manifests])
        env = environment(root / "cache", dict(os.environ))
        crds = [sys.executable, "-m", "crds.certify"]
        batch = sum(timed([*crds, *map(str, paths), "--comparison-context", contexts[project],
                           "--dump-provenance"], env) for project, paths in files.items())
        print(f"files: {count} ({', '.join(f'{p} {len(v)}' for p, v in files.items())})")
        print(f"crds-deliver plan, one process          : {plan:7.1f} s")
        print(f"crds certify, one process per project   : {batch:7.1f} s")
        print(f"ratio crds certify (batch) / plan       : {batch / plan:7.1f}")
        if args.per_file:
            sample = [(p, path) for p, paths in files.items() for path in paths][:args.per_file]
            each = sum(timed([*crds, str(path), "--comparison-context", contexts[project],
                              "--dump-provenance"], env) for project, path in sample)
            per_file = each / len(sample) * count
            print(f"crds certify, one process per file      : {per_file:7.1f} s "
                  f"(extrapolated from {len(sample)} files, {each / len(sample):.1f} s each)")
            print(f"ratio crds certify (per file) / plan    : {per_file / plan:7.1f}")


if __name__ == "__main__":
    main()
