"""Benchmark: `crds-deliver apply --sandbox` of 200 HST files of 1 MB, end to end.

    python benchmarks/apply_sandbox.py [--files 200] [--rounds 3]

Each round writes a fresh delivery repository (FILES valid WFC3 biases of about 1 MB, each its
own USEAFTER), then times, back to back: `crds-deliver apply --sandbox --yes` of it (plan,
certification, a sandbox started in the process, upload, the sandbox's certification and
rules, the result record), and, as the floor, a Python process that reads every file and
computes its sha256. Prints the medians and their ratio (benchmarks/paired.py).

Target: apply under 6 s (absolute, on an idle 2-core machine).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.fixtures.fits import make_delivery, write_hst_ref  # noqa: E402

SHA256_SCRIPT = """
import hashlib, sys
from pathlib import Path
for path in sorted(Path(sys.argv[1]).glob("*.fits")):
    hashlib.sha256(path.read_bytes()).hexdigest()
"""


def write_repository(root: Path, count: int, round_index: int) -> Path:
    for index in range(count):
        minute = index + round_index * count  # never the same rmap case twice
        write_hst_ref(root / "refs" / f"r{round_index}{index:06d}i_bia.fits", shape=(360, 360),
                      overrides={"USEAFTER": f"Feb {1 + minute // 1440:02d} 2026 "
                                             f"{minute % 1440 // 60:02d}:{minute % 60:02d}:00"})
    return make_delivery(root, "hst", "wfc3", "BIAS", ["refs/*.fits"])


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{command[3:5]} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    env = {**os.environ, "CI": "true"}
    ours, floor = [], []
    with tempfile.TemporaryDirectory(prefix="crds-deliver-bench-") as tmp:
        for index in range(args.rounds):
            root = Path(tmp) / f"repo{index}"
            manifest = write_repository(root, args.files, index)
            apply = [sys.executable, "-m", "crds_deliver", "apply", str(manifest), "--sandbox",
                     "--yes", "--sandbox-data", str(Path(tmp) / f"sandbox{index}")]
            hashing = [sys.executable, "-c", SHA256_SCRIPT, str(root / "refs")]
            pair = [(ours, apply), (floor, hashing)]
            for results, command in pair if index % 2 == 0 else pair[::-1]:
                results.append(timed(command, env))
    ours.sort()
    floor.sort()
    apply_s, floor_s = ours[len(ours) // 2], floor[len(floor) // 2]
    print(f"apply --sandbox of {args.files} HST files of ~1 MB: {apply_s:.1f} s "
          f"(target < 6 s: {'met' if apply_s < 6 else 'MISSED'})")
    print(f"floor (read and sha256 every file, one process): {floor_s:.2f} s; "
          f"ratio {apply_s / floor_s:.1f} (median of {args.rounds} rounds)")


if __name__ == "__main__":
    main()
