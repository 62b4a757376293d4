"""Upload throughput of the sandbox against a raw loopback PUT of the same bytes.

    python benchmarks/sandbox_upload.py [--size-mb 200] [--rounds 7]

Two servers run as processes of their own: the sandbox (`crds-deliver sandbox`) and a bare
HTTP/1.1 server that reads each request body into one reused buffer and discards it (the
floor: no parsing, no disk). Each round, back to back:

- ours: crds-deliver's client uploads the file into the sandbox's ingest area, as `apply`
  does (2 000 000-byte multipart chunks, each with its CSRF token, on one keep-alive
  session), and the file is then deleted from the ingest area (not timed);
- baseline: `requests` PUTs the same file, streamed from disk, to the discarding server.

Prints the median throughputs and the median of the per-round ratios ours / baseline
(benchmarks/paired.py). Target: at least 0.5.
"""

from __future__ import annotations

import argparse
import os
import secrets
import tempfile
from pathlib import Path

import requests
from loopback import start_discard, start_sandbox
from paired import paired

from crds_deliver.crds.client import CrdsClient
from crds_deliver.credentials import Token


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    token = secrets.token_hex(16)
    with tempfile.TemporaryDirectory(prefix="crds-deliver-bench-") as tmp:
        path = Path(tmp) / "jwst_miri_dark_0001.fits"
        with path.open("wb") as handle:
            for _ in range(args.size_mb):
                handle.write(os.urandom(1_000_000))
        sandbox, url = start_sandbox(Path(tmp) / "sandbox", token)
        discard, raw_url = start_discard()
        client = CrdsClient(url, username="sandbox", token=Token(token), project="jwst")
        raw = requests.Session()
        try:
            client.login("miri")

            def ours() -> None:
                client.upload(path, path.name)

            def baseline() -> None:
                with path.open("rb") as body:
                    raw.put(raw_url, data=body).raise_for_status()

            def emptied() -> None:
                for entry in client.list_ingest():
                    client.delete_ingest(entry)

            result = paired(ours, baseline, args.rounds, between=emptied)
            client.logout()
        finally:
            client.close()
            sandbox.terminate()
            discard.terminate()
            sandbox.wait()
            discard.wait()
    megabytes = args.size_mb
    print(f"file: {megabytes} MB")
    print(f"sandbox upload (crds-deliver's client, 2 MB chunks): {result.ours:.2f} s, "
          f"{megabytes / result.ours:.0f} MB/s")
    print(f"raw loopback PUT (requests, discarding server): {result.baseline:.2f} s, "
          f"{megabytes / result.baseline:.0f} MB/s")
    ratio = 1 / result.ratio
    print(f"throughput ratio sandbox / raw PUT: {ratio:.3f} (median of {result.rounds} paired "
          f"rounds; target >= 0.5: {'met' if ratio >= 0.5 else 'MISSED'})")


if __name__ == "__main__":
    main()
