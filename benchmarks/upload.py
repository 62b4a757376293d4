"""Upload throughput and memory of `crds-deliver apply` against a plain streaming post.

One sandbox server (`crds-deliver sandbox`, its own process) receives, in the same run:

1. baseline: the same bytes as ONE streaming multipart POST made with plain `requests`
   (a generator body, so the baseline does not hold the file in memory either);
2. `crds-deliver apply` (its own process), which uploads the file in 2 000 000-byte chunks,
   each a separate POST with Content-Range and a fresh CSRF token, and prints the upload's
   throughput; its peak RSS is read from the OS after it exits.

Prints both throughputs, their ratio (target >= 0.8) and the apply's peak RSS next to the file
size (flat memory: RSS must not grow with the file). Usage:

    python benchmarks/upload.py --size-mb 1000     # ~1 GB (default)
    python benchmarks/upload.py --size-mb 50       # quick run
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from loopback import start_sandbox

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.fixtures.fits import manifest_text, write_jwst_ref  # noqa: E402

BLOCK = 8 * 1024 * 1024  # what the baseline's body hands requests per read


def write_big_fits(path: Path, size_mb: int) -> int:
    """A full-frame MIRI dark of about `size_mb` MB that plan's crds checks accept (4-D SCI
    and DQ, DQ_DEF): as many groups of 1024 x 1032 pixels as the size asks for."""
    groups = max(1, round(size_mb * 1e6 / (1024 * 1032 * 8)))  # float32 SCI + uint32 DQ
    write_jwst_ref(path, {"SUBARRAY": "FULL",
                          "DESCRIP": f"benchmark dark {secrets.token_hex(4)}"},  # unique sha1
                   shape=(1, groups, 1024, 1032))
    return path.stat().st_size


class _MultipartReader:
    """A file-like multipart body (head, the file's bytes, tail) of known length: requests
    sends it with Content-Length, reading it block by block."""

    def __init__(self, head: bytes, path: Path, tail: bytes) -> None:
        self.parts: list = [head, path.open("rb"), tail]
        self.length = len(head) + path.stat().st_size + len(tail)

    def __len__(self) -> int:
        return self.length

    def read(self, size: int = -1) -> bytes:
        size = BLOCK if size is None or size < 0 else size
        while self.parts:
            part = self.parts[0]
            if isinstance(part, bytes):
                self.parts.pop(0)
                if part:
                    return part
                continue
            data = part.read(size)
            if data:
                return data
            part.close()
            self.parts.pop(0)
        return b""


def baseline(url: str, token: str, path: Path) -> float:
    """Seconds for one streaming multipart POST of the file to the sandbox's upload URL."""
    session = requests.Session()
    session.headers["Referer"] = url
    csrf = session.get(url + "login/").cookies["csrftoken"]
    session.cookies.set("ASB-AUTH", token)
    session.post(url + "login/", data={"username": "sandbox", "password": token,
                                       "instrument": "miri", "next": "/",
                                       "csrfmiddlewaretoken": csrf})
    csrf = session.get(url + "upload/chunked/").cookies.get("csrftoken") or csrf
    boundary = secrets.token_hex(16)
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrfmiddlewaretoken\""
            f"\r\n\r\n{csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; "
            f"name=\"files\"; filename=\"{path.name}\"\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()

    body = _MultipartReader(head, path, tail)
    started = time.perf_counter()
    response = session.post(url + "upload/chunked/", data=body, headers={
        "Content-Type": f"multipart/form-data; boundary={boundary}"})
    seconds = time.perf_counter() - started
    response.raise_for_status()
    for entry in session.get(url + "upload/list/").json()["files"]:
        session.get(url + entry["deleteUrl"].lstrip("/"))
    session.get(url + "logout/")
    return seconds


def run_apply(url: str, token: str, manifest: Path) -> tuple[float, float, float]:
    """(upload seconds as apply reports them, whole apply seconds, peak RSS in MB)."""
    env = {**os.environ, "CRDS_SERVER_URL": url, "MAST_API_TOKEN": token,
           "CRDS_USERNAME": "sandbox", "CI": "true", "CRDS_INI_FILE": "/nonexistent"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "crds_deliver", "apply", "--yes", str(manifest)],
                          env=env, capture_output=True, text=True, check=False)
    total = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"apply failed:\n{done.stdout}\n{done.stderr}")
    match = re.search(r"uploaded \S+: \d+ bytes in ([\d.]+) s", done.stdout)
    assert match, done.stdout
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if peak_kb <= before:
        print("note: peak RSS of apply is not above earlier children's; reported as <= "
              f"{before / 1024:.0f} MB")
    return float(match.group(1)), total, peak_kb / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1000)
    args = parser.parse_args()
    token = secrets.token_hex(16)
    with tempfile.TemporaryDirectory(prefix="crds-deliver-bench-") as tmp:
        root = Path(tmp)
        repo = root / "repo"
        refs = repo / "refs"
        refs.mkdir(parents=True)
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
        size = write_big_fits(refs / "jwst_miri_dark_0001.fits", args.size_mb)
        manifest = repo / "delivery.yaml"
        manifest.write_text(manifest_text("jwst", "miri", "DARK", ["refs/*.fits"]))
        server, url = start_sandbox(root / "sandbox", token)
        try:
            base_s = baseline(url, token, refs / "jwst_miri_dark_0001.fits")
            upload_s, total_s, rss_mb = run_apply(url, token, manifest)
        finally:
            server.terminate()
            server.wait()
    mb = size / 1e6
    print(f"file: {mb:.0f} MB")
    print(f"baseline (one streaming requests POST): {base_s:.2f} s, {mb / base_s:.1f} MB/s")
    print(f"crds-deliver apply upload (2 MB chunks): {upload_s:.2f} s, {mb / upload_s:.1f} MB/s")
    print(f"ratio apply/baseline throughput: {base_s / upload_s:.2f} (target >= 0.8)")
    print(f"whole apply (plan digests + certify + upload + server processing): {total_s:.1f} s")
    print(f"peak RSS of the apply process: {rss_mb:.0f} MB for a {mb:.0f} MB file")


if __name__ == "__main__":
    main()
