"""Benchmark: `crds-deliver plan` of a large HST delivery against hashing it with hashlib.

plan reads each file once for its size, sha1, sha256 and the FITS CHECKSUM/DATASUM sums (each
in its own thread: hashlib and numpy release the GIL; on a local disk each maps the file a
window at a time instead of sharing chunks read into buffers), then certifies the headers.
The baseline is a Python script that reads the same files and computes their sha256 with
hashlib: the floor of any tool that digests every byte. All run as
processes (start-up included), on a warm page cache, one after the other in each round, each
round starting with the next of them; the figure is the median of the per-round ratios. plan
runs with the base install and, when the crds package is installed, with the crds extra's
deep checks (benchmarks/plan_modes.py), whose import of crds alone costs about as much CPU as
hashing the 600 MB. Also prints plan's CPU time and peak RSS.

    python benchmarks/plan_large.py                  # 600 MB in 3 files, 7 rounds
    python benchmarks/plan_large.py --total-mb 60    # quick run
Target: ratio <= 1.5, peak RSS < 200 MB.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from plan_modes import LABELS, ChildRun, available_modes, plan_command, run_child

KEYWORDS = {
    "TELESCOP": "HST", "INSTRUME": "WFC3", "FILETYPE": "BIAS", "DETECTOR": "UVIS",
    "CCDAMP": "ABCD", "CCDGAIN": 1.5, "BINAXIS1": 1, "BINAXIS2": 1, "APERTURE": "UVIS",
    "CHINJECT": "NONE", "USEAFTER": "Jan 01 2026 00:00:00",
    "PEDIGREE": "INFLIGHT 01/01/2026 31/01/2026",
    "DESCRIP": "Benchmark bias",
}
FORM_FIELDS = {
    "deliverer": "Bench Mark", "other_email": '""', "instrument": "wfc3", "file_type": "Bias",
    "useafter_matches": '"N/A"', "compliance_verified": '"Yes"',
    "calpipe_version": "calwf3 3.7.2", "replacing_badfiles": '"N/A"',
    "modes_affected": "all", "correctness_testing": "benchmark only",
    "change_level": "SEVERE", "description": "Benchmark delivery of large files",
}
MANIFEST = "project: hst\nserver: bit\nfiles:\n  - refs/*.fits\nform:\n" + "".join(
    f"  {k}: {v}\n" for k, v in FORM_FIELDS.items()) + "options:\n  auto_rename: false\n"


def make_delivery(folder: Path, total_bytes: int, count: int) -> list[Path]:
    """`count` WFC3 bias files (CDBS names, CHECKSUM/DATASUM) of about total/count bytes.

    Runs in a child process: a child forked from a big parent starts with the parent's
    resident memory, which would pollute the peak RSS measured for plan.
    """
    subprocess.run([sys.executable, __file__, "--generate", str(folder), str(total_bytes),
                    str(count)], check=True)
    return sorted((folder / "refs").glob("*.fits"))


def _generate(folder: Path, total_bytes: int, count: int) -> None:
    import numpy as np
    from astropy.io import fits

    refs = folder / "refs"
    refs.mkdir(parents=True)
    (folder / "delivery.yaml").write_text(MANIFEST)
    columns = 4096
    rows = max(1, total_bytes // count // (4 * columns))
    for i in range(count):
        data = (np.arange(rows * columns, dtype=np.float32) % (997 + i)).reshape(rows, columns)
        primary = fits.PrimaryHDU()
        for key, value in KEYWORDS.items():
            primary.header[key] = value
        primary.header["USEAFTER"] = f"Jan {i + 1:02d} 2026 00:00:00"  # one rmap case each
        primary.header.add_comment("benchmark")
        primary.header.add_history("benchmark")
        path = refs / f"aab{i:04d}0i_bia.fits"
        fits.HDUList([primary, fits.ImageHDU(data, name="SCI")]).writeto(path, checksum=True)
        del data


def warm(paths: list[Path]) -> None:
    """Read every file once so both tools start from the same warm page cache."""
    buffer = bytearray(4 << 20)
    for path in paths:
        with path.open("rb", buffering=0) as handle:
            while handle.readinto(buffer):
                pass


SHA256_SCRIPT = """
import hashlib, sys
buffer = bytearray(4 << 20)
view = memoryview(buffer)
for name in sys.argv[1:]:
    digest = hashlib.sha256()
    with open(name, "rb", buffering=0) as handle:
        while count := handle.readinto(buffer):
            digest.update(view[:count])
    print(digest.hexdigest(), name)
"""


def main() -> None:
    if sys.argv[1:2] == ["--generate"]:
        _generate(Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--total-mb", type=int, default=600, help="delivery size (MB)")
    parser.add_argument("--files", type=int, default=3, help="number of files")
    parser.add_argument("--rounds", type=int, default=7, help="rounds")
    args = parser.parse_args()
    modes = available_modes()

    with tempfile.TemporaryDirectory(prefix="crds-deliver-bench-") as tmp:
        folder = Path(tmp)
        print(f"writing {args.files} files, {args.total_mb} MB in total ...", flush=True)
        paths = make_delivery(folder, args.total_mb * 1_000_000, args.files)
        total = sum(p.stat().st_size for p in paths)
        print(f"delivery: {len(paths)} HST files, {total / 1e9:.2f} GB")
        warm(paths)
        commands = {"sha256": [sys.executable, "-c", SHA256_SCRIPT, *map(str, paths)]}
        for mode in modes:
            commands[mode] = plan_command(mode, str(folder / "delivery.yaml"), "--format",
                                          "json")
        runs: dict[str, list[ChildRun]] = {name: [] for name in commands}
        for index in range(args.rounds):  # each round starts with the next command
            names = list(commands)
            for name in names[index % len(names):] + names[:index % len(names)]:
                runs[name].append(run_child(commands[name]))
        assert all(r.code == 0 for results in runs.values() for r in results), \
            "plan must pass: the files are valid"
    sha_s = statistics.median(r.seconds for r in runs["sha256"])
    print(f"hashlib sha256 script: {sha_s:6.2f} s ({total / sha_s / 1e6:5.0f} MB/s), CPU "
          f"{statistics.median(r.cpu for r in runs['sha256']):.2f} s")
    for mode in modes:
        plan_s = statistics.median(r.seconds for r in runs[mode])
        ratio = statistics.median(ours.seconds / theirs.seconds
                                  for ours, theirs in zip(runs[mode], runs["sha256"],
                                                          strict=True))
        print(f"plan, {LABELS[mode]}: {plan_s:.2f} s ({total / plan_s / 1e6:.0f} MB/s), "
              f"CPU {statistics.median(r.cpu for r in runs[mode]):.2f} s, peak RSS "
              f"{max(r.peak_kb for r in runs[mode]) / 1024:.0f} MB")
        print(f"  ratio plan / sha256 script: {ratio:.3f} (median of {args.rounds} rounds; "
              f"target <= 1.5: {'met' if ratio <= 1.5 else 'MISSED'}; peak RSS target "
              "< 200 MB)")


if __name__ == "__main__":
    main()
