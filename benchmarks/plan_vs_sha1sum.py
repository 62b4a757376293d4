"""Benchmark: `crds-deliver plan` on a large delivery against `sha1sum` of the same files.

plan reads each file once (size, sha1, sha256 and the FITS CHECKSUM/DATASUM from the same
chunks) and certifies the headers; sha1sum is the floor any tool that looks at every byte
pays. Both run on a warm page cache, in the same run, best of --repeat. Also prints the peak
RSS of plan for the large delivery and for a delivery 10x smaller (it must not grow with file
size), and, when the `crds` package is installed, the time of `crds certify` on the same files.

    python benchmarks/plan_vs_sha1sum.py                 # ~1.2 GB in 4 files
    python benchmarks/plan_vs_sha1sum.py --total-mb 40   # quick run
Targets: ratio < 1.5, peak RSS < 200 MB.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KEYWORDS = {
    "TELESCOP": "HST", "INSTRUME": "WFC3", "FILETYPE": "BIAS", "DETECTOR": "UVIS",
    "CCDAMP": "ABCD", "CCDGAIN": 1.5, "BINAXIS1": 1, "BINAXIS2": 1, "APERTURE": "UVIS",
    "USEAFTER": "Jan 01 2026 00:00:00", "PEDIGREE": "INFLIGHT 01/01/2026 31/01/2026",
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


def run(command: list[str], env: dict | None = None) -> tuple[float, int, int]:
    """(seconds, peak RSS in kB, exit status) of one child process."""
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             env=env)
    _pid, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    child.stderr.close()
    return elapsed, usage.ru_maxrss, os.waitstatus_to_exitcode(status)


def best(command: list[str], repeat: int, env: dict | None = None) -> tuple[float, int, int]:
    results = [run(command, env) for _ in range(repeat)]
    return min(r[0] for r in results), max(r[1] for r in results), results[-1][2]


def plan_command(manifest: Path) -> list[str]:
    return [sys.executable, "-c", "from crds_deliver.cli import main; main()", "plan",
            str(manifest), "--format", "json"]


def main() -> None:
    if sys.argv[1:2] == ["--generate"]:
        _generate(Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--total-mb", type=int, default=1200, help="delivery size (MB)")
    parser.add_argument("--files", type=int, default=4, help="number of files")
    parser.add_argument("--repeat", type=int, default=3, help="runs per tool (best is kept)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="crds-deliver-bench-") as tmp:
        big, small = Path(tmp) / "big", Path(tmp) / "small"
        print(f"writing {args.files} files, {args.total_mb} MB in total ...", flush=True)
        paths = make_delivery(big, args.total_mb * 1_000_000, args.files)
        small_paths = make_delivery(small, args.total_mb * 100_000, args.files)
        total = sum(p.stat().st_size for p in paths)
        print(f"delivery: {len(paths)} files, {total / 1e9:.2f} GB")
        warm(paths + small_paths)

        # Interleaved, so a burst of load from other processes hits both tools alike.
        plan_runs, sha_runs = [], []
        for _ in range(args.repeat):
            plan_runs.append(run(plan_command(big / "delivery.yaml")))
            sha_runs.append(run(["sha1sum", *map(str, paths)]))
        plan_s, plan_rss = min(r[0] for r in plan_runs), max(r[1] for r in plan_runs)
        plan_rc = plan_runs[-1][2]
        sha_s = min(r[0] for r in sha_runs)
        _s, small_rss, _rc = best(plan_command(small / "delivery.yaml"), 1)
        print(f"crds-deliver plan : {plan_s:7.2f} s  ({total / plan_s / 1e6:6.0f} MB/s), "
              f"exit {plan_rc}")
        print(f"sha1sum           : {sha_s:7.2f} s  ({total / sha_s / 1e6:6.0f} MB/s)")
        print(f"ratio plan/sha1sum: {plan_s / sha_s:7.2f}   (target < 1.5)")
        print(f"peak RSS of plan  : {plan_rss / 1024:7.1f} MB for {total / 1e9:.2f} GB, "
              f"{small_rss / 1024:.1f} MB for a 10x smaller delivery (target < 200 MB)")

        crds_cli = shutil.which("crds", path=str(Path(sys.executable).parent)) or \
            shutil.which("crds")
        if crds_cli:
            # Offline: no server, an empty local cache. CRDS runs every per-file check, then
            # reports one error because the context's mappings are not cached (certify-rules §4).
            cache = Path(tmp) / "crds-cache"
            env = {**os.environ, "CRDS_PATH": str(cache), "CRDS_MODE": "local",
                   "CRDS_SERVER_URL": "https://localhost:1/", "CRDS_OBSERVATORY": "hst"}
            command = [crds_cli, "certify", *map(str, paths), "--comparison-context",
                       "hst_0001.pmap", "--dont-check-rmap-updates"]
            crds_s, crds_rss, _rc = best(command, args.repeat, env)
            print(f"crds certify      : {crds_s:7.2f} s  ratio to sha1sum {crds_s / sha_s:.2f}, "
                  f"peak RSS {crds_rss / 1024:.1f} MB")
        else:
            print("crds certify      : skipped (the crds package is not installed)")


if __name__ == "__main__":
    main()
