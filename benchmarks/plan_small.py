"""Benchmark: CPU per file of `crds-deliver plan` on many small reference files.

    python benchmarks/plan_small.py [--files 2000] [--rounds 3] [--project hst|jwst]

Writes FILES valid WFC3 biases of 64x64 pixels (with --project jwst: MIRI darks of
tests/fixtures/fits.py, 4-D, with their DQ_DEF table), each its own USEAFTER, and, beside
them, a delivery of one such file. Each round runs, as processes: plan of the one-file delivery and
plan of the FILES-file delivery, both with the base install (the `crds` package hidden, so
no deep checks) and with the crds extra's deep checks when it is installed, and
`sha1sum` + `sha256sum` of the same files as the floor. The cost per file is the CPU time
(user + system) of the big plan minus that of the one-file plan (start-up and imports),
divided by FILES - 1. Prints the medians over the rounds and plan's peak RSS.

Targets (HST): <= 1 ms CPU per file with the base install, <= 2 ms with the deep checks,
peak RSS under 150 MB. The JWST run has no target: it shows what a JWST file costs, most of
it in the datamodel check that crds's certifier runs through stdatamodels.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from plan_modes import LABELS, available_modes, plan_command, run_child

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.fixtures.fits import manifest_text, write_hst_ref, write_jwst_ref  # noqa: E402

KINDS = {"hst": "64x64 WFC3 biases", "jwst": "MIRI darks"}


def _write(project: str, refs: Path, index: int) -> None:
    day, minute = 1 + index // 1440, index % 1440
    if project == "hst":
        write_hst_ref(refs / f"b{index:07d}i_bia.fits", shape=(64, 64),
                      overrides={"USEAFTER": f"Jan {day:02d} 2026 "
                                             f"{minute // 60:02d}:{minute % 60:02d}:00"})
    else:
        write_jwst_ref(refs / f"jwst_miri_dark_{index:05d}.fits",
                       {"USEAFTER": f"2026-01-{day:02d}T{minute // 60:02d}:{minute % 60:02d}:00"})


def generate(folder: Path, count: int, project: str) -> None:
    """`count` files in folder/many/refs and one in folder/one/refs, each with a manifest."""
    for name, number in (("many", count), ("one", 1)):
        root = folder / name
        for index in range(number):
            _write(project, root / "refs", index)
        manifest = (manifest_text("hst", "wfc3", "BIAS", ["refs/*.fits"]) if project == "hst"
                    else manifest_text("jwst", "miri", "DARK", ["refs/*.fits"]))
        (root / "delivery.yaml").write_text(manifest)


def main() -> None:
    if sys.argv[1:2] == ["--generate"]:
        generate(Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--project", choices=sorted(KINDS), default="hst")
    args = parser.parse_args()
    modes = available_modes()
    with tempfile.TemporaryDirectory(prefix="crds-deliver-bench-") as tmp:
        folder = Path(tmp)
        print(f"writing {args.files} {KINDS[args.project]} ...", flush=True)
        # A child process: plan's RSS must not start from a big parent's.
        subprocess.run([sys.executable, __file__, "--generate", tmp, str(args.files),
                        args.project], check=True)
        files = sorted(str(p) for p in (folder / "many" / "refs").glob("*.fits"))
        size = os.path.getsize(files[0])
        per_file: dict[str, list[float]] = {mode: [] for mode in modes}
        rss: dict[str, int] = dict.fromkeys(modes, 0)
        floor: list[float] = []
        for _ in range(args.rounds):
            for mode in modes:
                one = run_child(plan_command(mode, str(folder / "one" / "delivery.yaml")))
                many = run_child(plan_command(mode, str(folder / "many" / "delivery.yaml")))
                assert one.code == 0 and many.code == 0, f"plan ({mode}) must pass: files are valid"
                per_file[mode].append((many.cpu - one.cpu) / (args.files - 1))
                rss[mode] = max(rss[mode], many.peak_kb)
            sums = 0.0
            for tool in ("sha1sum", "sha256sum"):
                if shutil.which(tool):
                    sums += run_child([tool, *files]).cpu
            floor.append(sums / args.files)
    targets = {"base": 1.0, "deep": 2.0} if args.project == "hst" else {}
    floor_ms = statistics.median(floor) * 1000
    print(f"files: {args.files} ({KINDS[args.project]}, {size} bytes each)")
    for mode in modes:
        ms = statistics.median(per_file[mode]) * 1000
        verdict = (f"target <= {targets[mode]:g}: {'met' if ms <= targets[mode] else 'MISSED'}"
                   if mode in targets else "no target")
        print(f"plan CPU per file, {LABELS[mode]}: {ms:.2f} ms ({verdict}); peak RSS "
              f"{rss[mode] / 1024:.0f} MB" + (" (target < 150)" if targets else ""))
        if floor_ms:
            print(f"  {ms / floor_ms:.1f}x the floor below (a figure the machine's speed "
                  "moves less than the milliseconds)")
    print(f"sha1sum + sha256sum CPU per file (the floor): {floor_ms:.3f} ms")
    print(f"median of {args.rounds} rounds")


if __name__ == "__main__":
    main()
