"""The token never appears in output, records, or any file written, even with -v and on
failures whose messages come from the server."""

from __future__ import annotations

from pathlib import Path

from crds_deliver.sandbox import SandboxSettings

TOKEN = "5ec4e75ec4e75ec4e75ec4e75ec4e7aa"


def _files_containing(root: Path, needle: str) -> list[Path]:
    found = []
    for path in root.rglob("*"):
        if path.is_file() and needle.encode() in path.read_bytes():
            found.append(path)
    return found


def test_token_absent_from_output_records_and_repo(delivery_repo, sandbox_factory, run_cli):
    sb = sandbox_factory("jwst", token=TOKEN)
    repo = delivery_repo(files=1, options={"auto_confirm": "true"})
    result = run_cli(["apply", "--yes", repo.manifest, "-v", "--commit"], sb)
    assert result.exit_code == 0, result.output
    assert "GET /login/ 200" in result.output  # -v shows requests...
    assert TOKEN not in result.output  # ...but never the token
    assert _files_containing(repo.root, TOKEN) == []  # includes .git objects


def test_refused_login_names_no_token(delivery_repo, sandbox_factory, run_cli):
    for style in ("error_login", "myst"):
        sb = sandbox_factory("jwst", settings=SandboxSettings(login_failure_style=style))
        repo = delivery_repo(files=1)
        wrong = "badbadbadbadbadbadbadbadbadbad00"
        result = run_cli(["apply", "--yes", repo.manifest], sb, env={"MAST_API_TOKEN": wrong})
        assert result.exit_code == 4
        assert "login" in result.output.lower()
        assert wrong not in result.output
        assert sb.stats.submission_posts == 0 and sb.stats.uploads == 0
