"""A process that forks fresh-looking interpreters for the crds package's own programs.

    python tests/compat/crds_zygote.py

A program of the crds package, run as `python -m crds.submit ...`, spends 3-5 s of CPU
importing and warming what crds uses (astropy, asdf and its extensions, stdatamodels) before
its first request. This process pays that once: it imports those packages, never crds itself
(crds keeps global state and reads its settings from the environment), then reads requests,
one JSON line each on stdin:

    {"args": ["-m", "crds.submit", ...], "env": {...}, "cwd": "...",
     "stdout": "/path", "stderr": "/path"}

and for each forks a child that becomes `python ARGS` (a module, `-c` code or a script) run in
`cwd` with exactly `env`, its output in the two files, and ends the way that interpreter would
(atexit functions, threads joined, the program's exit status). It answers with two JSON lines
on stdout, {"pid": N} when the child runs, then {"code": N} when it has ended (negative: the
signal that ended it), as subprocess reports it.

It is a file, not a module of the tests package, so that the programs see the sys.path that
`python` gives them.
"""

from __future__ import annotations

import atexit
import json
import os
import runpy
import signal
import sys
import warnings

_FILTERS = list(warnings.filters)  # a fresh interpreter's, before any import changes them


def _preload() -> None:
    """What crds's programs import and warm before doing anything of their own."""
    import asdf
    import astropy.io.fits  # noqa: F401
    import astropy.time  # noqa: F401
    import bs4  # noqa: F401
    import numpy  # noqa: F401
    import requests  # noqa: F401
    import stdatamodels.jwst.datamodels  # noqa: F401
    import yaml  # noqa: F401

    asdf.get_config().extensions  # noqa: B018  (reads every installed extension's manifest)


def _run_python(args: list[str]) -> None:
    """Run `python ARGS` in this process, as the interpreter's command line does."""
    if args[0] == "-m":
        sys.argv = [args[1], *args[2:]]
        sys.path[0] = os.getcwd()
        runpy.run_module(args[1], run_name="__main__", alter_sys=True)
    elif args[0] == "-c":
        sys.argv = ["-c", *args[2:]]
        sys.path[0] = ""
        exec(compile(args[1], "<string>", "exec"), {"__name__": "__main__"})
    else:
        sys.argv = list(args)
        sys.path[0] = os.path.dirname(os.path.abspath(args[0]))
        runpy.run_path(args[0], run_name="__main__")


def _become(request: dict) -> None:
    """In the forked child: take the request's folder, environment and output, then run."""
    atexit._clear()  # this process's own exit functions are not the program's
    signal.signal(signal.SIGINT, signal.default_int_handler)
    warnings.filters[:] = _FILTERS
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    os.dup2(os.open(request["stdout"], os.O_WRONLY | os.O_TRUNC), 1)
    os.dup2(os.open(request["stderr"], os.O_WRONLY | os.O_TRUNC), 2)
    sys.stdin = open(os.devnull)  # noqa: SIM115  (the program's stdin, open until it exits)
    _run_python(request["args"])


def _answer(message: dict) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def main() -> None:
    _preload()
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _become(request)
            sys.exit(0)  # the program returned: the interpreter's normal exit, status 0
        _answer({"pid": pid})
        _, status = os.waitpid(pid, 0)
        _answer({"code": os.waitstatus_to_exitcode(status)})


if __name__ == "__main__":
    main()
