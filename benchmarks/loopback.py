"""Servers the benchmarks start on the loopback interface, each a process of its own.

Imported by the benchmark scripts of this folder (run them as `python benchmarks/NAME.py`).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

# The discarding server: prints its port, then answers every request 200 after reading (and
# dropping) exactly Content-Length bytes of body; connections are kept alive.
DISCARD = r"""
import socket, sys, threading
def serve(conn):
    buffer = bytearray(1 << 20)
    view = memoryview(buffer)
    reader = conn.makefile("rb", buffering=1 << 16)
    with conn, reader:
        while True:
            length = 0
            line = reader.readline()
            if not line:
                return
            while line not in (b"\r\n", b"\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
                line = reader.readline()
            while length:
                count = reader.readinto(view[:min(length, len(buffer))])
                if not count:
                    return
                length -= count
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
listener = socket.create_server(("127.0.0.1", 0))
print(listener.getsockname()[1], flush=True)
while True:
    conn, _ = listener.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
"""


def start_sandbox(data: Path, token: str) -> tuple[subprocess.Popen, str]:
    """`crds-deliver sandbox` on a free port: (the process, its base URL)."""
    proc = subprocess.Popen([sys.executable, "-m", "crds_deliver", "sandbox", "--port", "0",
                             "--data", str(data), "--token", token],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        match = re.search(r"CRDS_SERVER_URL=(\S+)", line)
        if match:
            return proc, match.group(1)
    raise SystemExit("the sandbox did not start")


def start_discard() -> tuple[subprocess.Popen, str]:
    """The discarding server on a free port: (the process, a URL to PUT to)."""
    proc = subprocess.Popen([sys.executable, "-c", DISCARD], stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None
    return proc, f"http://127.0.0.1:{proc.stdout.readline().strip()}/discard"
