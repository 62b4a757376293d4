"""The run's warm fork services (tests/fixtures/fork_service.py, fork_client.py) and the shell's
commands that use them (forked_console.py): a forked program must get what a child
process would (its arguments, exactly its environment, its folder, the streams it is given, a
file-size limit) and end as one (its exit status, or the signal that ended it), and the
streams it was given must close when it ends."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crds_deliver import __version__
from tests.fixtures.fork_client import Forked, run_to_end
from tests.fixtures.forked_console import console_folder, crds_module

PROGRAM = """
import os, sys
print(sys.argv[1:], os.getcwd(), sorted(os.environ), sys.stdin.read())
print("to stderr", file=sys.stderr)
if sys.argv[1] == "write":
    try:
        with open("big", "wb") as big:
            big.write(b"x" * 4096)
    except OSError as exc:
        print("refused:", exc.errno)
sys.exit(int(sys.argv[2]))
"""


def _run_piped(args: list[str], tmp_path: Path, **kw: object) -> tuple[int, str]:
    """The python service's program with stdin, stdout and stderr on pipes of this process."""
    given, program_in = os.pipe()
    program_out, taken = os.pipe()
    os.write(program_in, b"from the test")
    os.close(program_in)
    try:
        forked = Forked("python", ["-c", PROGRAM, *args], {"ONLY": "this"}, str(tmp_path),
                        taken, taken, stdin=given, **kw)
    finally:
        os.close(given)
        os.close(taken)
    with open(program_out) as output:
        text = output.read()  # to its end: the pipe closes when the program ends
    return forked.wait(60), text


def _with_console(tmp_path: Path) -> dict[str, str]:
    """This environment with forked_console.py's `crds-deliver` first on PATH."""
    return {**os.environ,
            "PATH": f"{console_folder(tmp_path / 'bin')}{os.pathsep}{os.environ['PATH']}"}


def test_a_forked_program_gets_its_arguments_environment_folder_and_streams(tmp_path):
    code, output = _run_piped(["one", "3"], tmp_path)
    assert code == 3
    assert f"['one', '3'] {tmp_path} ['ONLY'] from the test\n" in output
    assert "to stderr\n" in output


def test_a_file_size_limit_refuses_a_larger_file(tmp_path):
    code, output = _run_piped(["write", "0"], tmp_path, file_size_limit=1024)
    assert code == 0
    assert "refused: 27" in output  # EFBIG
    assert (tmp_path / "big").stat().st_size == 1024


def test_the_shell_command_runs_the_command_line_and_ends_as_it_does(tmp_path):
    env = _with_console(tmp_path)
    done = subprocess.run(["sh", "-c", "crds-deliver --version | tr a-z A-Z"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and __version__.upper() in done.stdout
    missing = subprocess.run(["sh", "-c", "crds-deliver validate no-such.yaml"], env=env,
                             capture_output=True, text=True, timeout=60)
    real = subprocess.run([sys.executable, "-m", "crds_deliver", "validate", "no-such.yaml"],
                          capture_output=True, text=True, timeout=60)
    assert missing.returncode == real.returncode != 0
    assert missing.stderr == real.stderr


def test_the_shell_command_passes_a_signal_on_and_ends_by_it(tmp_path):
    env = _with_console(tmp_path)
    # `sandbox` serves until it is stopped
    shell = subprocess.Popen(["crds-deliver", "sandbox", "--port", "0", "--data",
                              str(tmp_path / "data")], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
    assert shell.stdout is not None
    for line in shell.stdout:
        if "CRDS_SERVER_URL" in line:
            break
    shell.send_signal(signal.SIGTERM)
    assert shell.wait(60) in (-signal.SIGTERM, 0)
    # the program has ended too, not just this command: the pipe it wrote to reaches its end
    deadline = time.monotonic() + 30
    while select.select([shell.stdout.fileno()], [], [], max(0, deadline - time.monotonic()))[0]:
        if not os.read(shell.stdout.fileno(), 65536):
            break
    else:
        raise AssertionError("the sandbox still runs after its command ended")
    shell.stdout.close()


def test_the_shell_crds_runs_the_module_the_installed_wrapper_names():
    """`crds SUBCOMMAND` in forked_console.py runs the module crds's own wrapper would start
    (the notebook's `!crds` lines go through it): read from the installed wrapper's table."""
    wrapper = Path(sys.executable).with_name("crds")
    if not wrapper.exists():
        pytest.skip("the crds package (compat extra) is not installed")
    assert crds_module(wrapper, "rc_submit") == "crds.submit.rc_submit"
    assert crds_module(wrapper, "list") == "crds.list"
    assert crds_module(wrapper, "sync") == "crds.sync"


ENDINGS = """
import atexit, sys, threading, time
atexit.register(print, "atexit ran")
def late():
    time.sleep(0.2)
    print("thread joined")
threading.Thread(target=late).start()
print("buffered, not yet flushed", end="")
ending = sys.argv[1]
if ending == "message":
    sys.exit("the message")
if ending == "error":
    raise ValueError("uncaught")
if ending == "interrupt":
    raise KeyboardInterrupt
"""


def test_a_forked_program_ends_as_its_interpreter_would(tmp_path):
    """An uncaught exception's traceback, SystemExit's message, threads joined, atexit
    functions, streams flushed, Ctrl-C's signal: as `python -c` ends, though the program's
    objects are not torn down (fork_service.py)."""
    for ending, expected_code, expected_error in [
            ("returns", 0, ""), ("message", 1, "the message\n"),
            ("error", 1, "ValueError: uncaught\n"),
            ("interrupt", -signal.SIGINT, "KeyboardInterrupt\n")]:
        code, out, err = run_to_end("python", ["-c", ENDINGS, ending], {"ONLY": "this"},
                                    str(tmp_path), 60)
        real = subprocess.run([sys.executable, "-c", ENDINGS, ending], env={"ONLY": "this"},
                              cwd=tmp_path, capture_output=True, text=True, timeout=60)
        assert (code, out) == (real.returncode, real.stdout), ending
        assert out == "buffered, not yet flushedthread joined\natexit ran\n", ending
        assert err.endswith(expected_error) and real.stderr.endswith(expected_error), ending
        assert code == expected_code, ending
