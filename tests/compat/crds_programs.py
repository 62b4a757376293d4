"""How the compat tests run the crds package's own programs: each unchanged, in an interpreter
of its own (the crds client keeps global state and writes os.environ), with the environment a
user of that program would have.

`python ...` commands run in a child forked by crds_zygote.py, which imported crds's heavy
dependencies (never crds) once per test process: a fresh interpreter spent 3-5 s of CPU on
them for every program. Other commands run as they are.

The submission programs go through crds_short_pauses.py, which runs them as `python -m` or
`python SCRIPT` would, with crds's fixed pauses (10 s after a post, 3 s between polls) cut
short: they wait for a distant server, not the sandbox on loopback.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

TOKEN = "0123456789abcdef0123456789abcdef"
USER = "jdoe"
_SHORT_PAUSES = Path(__file__).with_name("crds_short_pauses.py")
_ZYGOTE = Path(__file__).with_name("crds_zygote.py")
TIMEOUT = 200  # seconds a program may take


def crds_env(cache: Path, server_url: str | None, project: str = "jwst") -> dict[str, str]:
    """This process's environment without CRDS settings, plus a user's for `project`.

    crds collects garbage around every FITS open (against running out of memory in one huge
    certify run); that changes no verdict, and was seconds of every JWST certify here."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRDS_")}
    env.update(CRDS_OBSERVATORY=project, MAST_API_TOKEN=TOKEN, CRDS_USERNAME=USER,
               CRDS_PATH=str(cache), CRDS_EXPLICIT_GARBAGE_COLLECTION="False")
    if server_url:
        env["CRDS_SERVER_URL"] = server_url
    return env


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    """Run a program to its end; its exit status and output, as text (subprocess.run's)."""
    if args[0] != sys.executable:
        return subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True,
                              timeout=TIMEOUT)
    with tempfile.TemporaryDirectory(prefix="crds-program-") as folder:
        out, err = Path(folder) / "stdout", Path(folder) / "stderr"
        out.write_bytes(b"")
        err.write_bytes(b"")
        code = _zygote().run({"args": args[1:], "env": env, "cwd": str(cwd),
                              "stdout": str(out), "stderr": str(err)}, args)
        return subprocess.CompletedProcess(args, code, out.read_text(errors="replace"),
                                           err.read_text(errors="replace"))


class _Zygote:
    """crds_zygote.py running, with its answers read line by line (one request at a time)."""

    def __init__(self) -> None:
        self.process = subprocess.Popen([sys.executable, str(_ZYGOTE)], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE)
        self.lock = threading.Lock()
        self.pending = b""
        atexit.register(self.close)

    def run(self, request: dict, args: list[str]) -> int:
        """Send `request`; the program's exit status. A program still running after TIMEOUT
        seconds is killed and raises subprocess.TimeoutExpired."""
        assert self.process.stdin is not None
        with self.lock:
            self.process.stdin.write((json.dumps(request) + "\n").encode())
            self.process.stdin.flush()
            deadline = time.monotonic() + TIMEOUT
            pid = self._answer(deadline)["pid"]
            try:
                return self._answer(deadline)["code"]
            except subprocess.TimeoutExpired:
                os.kill(pid, signal.SIGKILL)
                self._answer(time.monotonic() + TIMEOUT)
                raise subprocess.TimeoutExpired(args, TIMEOUT) from None

    def _answer(self, deadline: float) -> dict:
        """The zygote's next JSON line; TimeoutExpired past `deadline`."""
        assert self.process.stdout is not None
        stream = self.process.stdout.fileno()
        with selectors.DefaultSelector() as selector:
            selector.register(stream, selectors.EVENT_READ)
            while b"\n" not in self.pending:
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(left):
                    raise subprocess.TimeoutExpired(["crds_zygote"], TIMEOUT)
                chunk = os.read(stream, 4096)
                if not chunk:
                    raise RuntimeError(f"{_ZYGOTE.name} ended (status {self.process.wait()})")
                self.pending += chunk
        line, self.pending = self.pending.split(b"\n", 1)
        return json.loads(line)

    def close(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            self.process.wait(30)


@functools.cache
def _zygote() -> _Zygote:
    """This test process's zygote, started on first use."""
    return _Zygote()


def crds_submit() -> list[str]:
    """`crds submit`: the installed `crds` wrapper runs `python -m crds.submit`, as here."""
    return [sys.executable, str(_SHORT_PAUSES), "-m", "crds.submit"]


def python_script(script: Path) -> list[str]:
    """`python SCRIPT` for a script that drives crds's submission API (rc_submit)."""
    return [sys.executable, str(_SHORT_PAUSES), str(script)]


def sync(url: str, cache: Path, cwd: Path, project: str = "jwst") -> None:
    """`crds sync --contexts <project>-edit` into `cache`, as the developer notebook does
    before submitting: the client certifies locally against those rules."""
    done = run([sys.executable, "-m", "crds.sync", "--contexts", f"{project}-edit"],
               crds_env(cache, url, project), cwd)
    assert done.returncode == 0, done.stdout + done.stderr
