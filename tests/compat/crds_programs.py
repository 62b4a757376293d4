"""How the compat tests run the crds package's own programs: each unchanged, in an interpreter
of its own (the crds client keeps global state and writes os.environ), with the environment a
user of that program would have.

`python ...` commands run in a child forked by the run's python service
(tests/fixtures/fork_service.py), which imported crds's heavy dependencies (never crds) once
for all the workers: a fresh interpreter spent 3-5 s of CPU on them for every program. Other
commands run as they are.

The submission programs go through crds_short_pauses.py, which runs them as `python -m` or
`python SCRIPT` would, with crds's fixed pauses (10 s after a post, 3 s between polls) cut
short: they wait for a distant server, not the sandbox on loopback.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.fixtures.fork_client import run_to_end

TOKEN = "0123456789abcdef0123456789abcdef"
USER = "jdoe"
_SHORT_PAUSES = Path(__file__).with_name("crds_short_pauses.py")
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
    code, out, err = run_to_end("python", args[1:], env, str(cwd), TIMEOUT)
    return subprocess.CompletedProcess(args, code, out, err)


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
