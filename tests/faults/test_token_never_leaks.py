"""Every command, with a recognisable token, on success and on failure: the token appears in
no output (stdout, stderr, -v request lines), no exception text, no record, no file written
(the whole tmp tree, .git objects and the sandbox's data included)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crds_deliver.crds import CrdsClient, LoginError, Timeouts
from crds_deliver.credentials import Token
from crds_deliver.errors import ConfigurationError
from crds_deliver.sandbox import SandboxSettings
from tests.fixtures.cli_process import run_command
from tests.fixtures.repo import sandbox_env

TOKEN = "5ec4e7d0c0ffee5ec4e7d0c0ffee5ec4"


def _files_containing(root: Path, needle: str) -> list[str]:
    found = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            if needle.encode() in data or needle.encode("utf-16-le") in data:
                found.append(str(path))
    return found


def _run(args: list[str], env: dict[str, str], cwd: Path) -> str:
    done = run_command(args, env={**os.environ, **env}, cwd=cwd)
    return done.stdout + done.stderr


def test_no_command_ever_shows_or_writes_the_token(delivery_repo, sandbox_factory, tmp_path,
                                                   ledger):
    sb = sandbox_factory("jwst", token=TOKEN)
    repo = delivery_repo(files=1)
    other = repo.add_manifest("manifests/jwst/miri/cancelled.yaml", files=1, tag="c")
    env = sandbox_env(sb)
    root = repo.root
    outputs: dict[str, str] = {}
    runs = {
        "validate": ["validate", "manifests"],
        "validate-json": ["validate", "-f", "json", "manifests"],
        "plan": ["plan", "manifests"],
        "plan-json": ["plan", "-f", "json", "--codequality", str(tmp_path / "cq.json"),
                      "manifests"],
        "apply-v": ["apply", "--yes", "-v", "--commit", "manifests"],
        "confirm-v": ["confirm", "-v", "--commit", str(repo.manifest)],
        "cancel-v": ["cancel", "-v", str(other)],
        "history": ["history", "manifests"],
        "status": ["status", str(repo.manifest)],
        "status-json": ["status", "-f", "json", str(repo.manifest)],
        "form": ["form", "-f", "json"],
        "new": ["new", str(root / "manifests/jwst/miri/next.yaml"), "-i", "miri",
                "--no-interactive"],
        "apply-again-v": ["apply", "--yes", "-v", "manifests"],
    }
    for name, args in runs.items():
        outputs[name] = _run(args, env, root)
    assert "CONFIRMED" in outputs["confirm-v"], outputs["confirm-v"]
    assert "CANCELLED" in outputs["cancel-v"], outputs["cancel-v"]
    assert "GET /login/ 200" in outputs["apply-v"]  # -v did show requests

    # failures whose text comes from the server: a refused login, 500s, a wrong token file
    sb.faults.error_status(500, count=10, path_prefix="/login/")
    third = repo.add_manifest("manifests/jwst/miri/failing.yaml", files=1, tag="f")
    outputs["apply-500-v"] = _run(["apply", "--yes", "-v", str(third)], env, root)
    sb.faults.clear()
    token_file = tmp_path / "token.txt"
    token_file.write_text(TOKEN[::-1] + "\n")
    outputs["apply-wrong-token"] = _run(["apply", "--yes", "-v", "--token-file", str(token_file),
                                         str(third)], {**env, "MAST_API_TOKEN": ""}, root)
    leaks = [name for name, text in outputs.items() if TOKEN in text or TOKEN[::-1] in text]
    files = _files_containing(tmp_path, TOKEN) + _files_containing(tmp_path, TOKEN[::-1])
    files = [f for f in files if f != str(token_file)]
    ledger.leaks(len(leaks) + len(files))
    assert leaks == [] and files == [], (leaks, files)
    assert "login" in outputs["apply-500-v"].lower()
    assert "Traceback" not in "".join(outputs.values())


def test_sandbox_command_does_not_echo_a_given_token(tmp_path, ledger):
    process = subprocess.Popen(
        [sys.executable, "-m", "crds_deliver", "sandbox", "--port", "0", "--data",
         str(tmp_path / "d"), "--token", TOKEN], stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)
    try:
        lines = [process.stdout.readline() for _ in range(6)]
        assert any(line.startswith("  MAST_API_TOKEN=") for line in lines), lines
        time.sleep(0.2)
    finally:
        process.terminate()
        rest, _ = process.communicate(timeout=20)
    text = "".join(lines) + rest
    found = _files_containing(tmp_path, TOKEN)
    ledger.leaks(int(TOKEN in text) + len(found))
    assert TOKEN not in text
    assert found == []


def test_exception_texts_are_redacted_even_when_the_server_echoes_the_token(sandbox_factory,
                                                                            ledger):
    sb = sandbox_factory("jwst", settings=SandboxSettings(login_failure_style="myst"))
    client = CrdsClient(sb.url, username=sb.username, token=Token(TOKEN), project="jwst",
                        timeouts=Timeouts(read=10))
    try:
        with pytest.raises(LoginError) as caught:
            client.login("miri")
        texts = [str(caught.value), repr(caught.value), client.http.redact(f"x{TOKEN}x")]
    finally:
        client.close()
    ledger.leaks(sum(TOKEN in t for t in texts))
    assert all(TOKEN not in t for t in texts)


@pytest.mark.parametrize("url", ["http://crds.example.org/", "http://10.0.0.5:8000/",
                                 "HTTP://jwst-crds.stsci.edu"])
def test_plain_http_to_another_machine_is_refused(url, ledger):
    with pytest.raises(ConfigurationError, match="refusing plain http"):
        CrdsClient(url, username="u", token=Token(TOKEN), project="jwst")
    ledger.leaks(0)


def test_tls_verification_is_always_on_and_not_a_manifest_option(sandbox, ledger):
    import json

    from crds_deliver.manifest import load_manifest  # noqa: F401  (the schema it checks)

    client = CrdsClient(sandbox.url, username="u", token=Token(TOKEN), project="jwst")
    try:
        assert client.http.session.verify is not False
        assert client.rpc.session.verify is not False
    finally:
        client.close()
    schema = (Path(__file__).parents[2] / "schemas" / "delivery.schema.json").read_text()
    keys = json.dumps(json.loads(schema)).lower()
    assert not any(word in keys for word in ('"verify', '"insecure', '"ssl', '"tls'))
    source = "\n".join(p.read_text() for p in
                       (Path(__file__).parents[2] / "crds_deliver").rglob("*.py")
                       if "sandbox" not in p.parts)
    assert "verify=False" not in source.replace(" ", "")
    assert ".verify = False" not in source and ".verify=False" not in source
    ledger.leaks(0)
