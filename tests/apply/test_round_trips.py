"""The requests one delivery makes: each costs a round trip to a distant server, so none is made
twice for nothing. The ingest area is listed before and after the upload (again in between only
when files were removed), and the listing gives the upload its CSRF token; the results page is
read once (the submission post's redirect to it is not followed: the progress channel has
already named it); logout's redirect to the home page is not followed."""

from __future__ import annotations

import re

import pytest

from tests.bad_inputs.replies import RewritingProxy
from tests.faults.helpers import record_data
from tests.fixtures.fits import write_jwst_ref
from tests.fixtures.sandbox import SandboxWeb


@pytest.fixture
def seen(sandbox):
    """(proxy, the "METHOD /path" of every request that went through it, in order)."""
    lines: list[str] = []
    proxy = RewritingProxy(sandbox.url)

    def note(method: str, path: str, _status: int, _body: bytes) -> None:
        lines.append(f"{method} {path.split('?')[0]}")

    proxy.rewrites.append(note)
    yield proxy, lines
    proxy.stop()


def _count(lines: list[str], pattern: str) -> int:
    return sum(1 for line in lines if re.fullmatch(pattern, line))


def test_one_delivery_reads_its_results_page_once(delivery_repo, sandbox, seen, run_cli):
    proxy, lines = seen
    repo = delivery_repo(files=1)
    result = run_cli(["apply", "--yes", repo.manifest], sandbox, env={"CRDS_SERVER_URL": proxy.url})
    assert result.exit_code == 0, result.output
    data = record_data(repo.manifest)
    assert data["state"] == "READY"
    results = f"GET /display_result/{data['submission']['results_id']}"
    assert lines.count(results) == 1, lines
    assert _count(lines, r"GET /upload/list/") == 2, lines  # before and after the upload
    assert _count(lines, r"GET /upload/chunked/") == 0, lines  # the listing set the token
    # logout's redirect to / is not followed (the post's own answer may be noted later: the
    # proxy notes a request when its answer arrives)
    assert "GET /" not in lines[lines.index("GET /logout/"):], lines
    assert _count(lines, r"POST /submission_form/redcat_submit/") == 1


def test_a_leftover_in_the_ingest_area_is_removed_then_checked_gone(delivery_repo, sandbox,
                                                                    seen, run_cli, tmp_path):
    proxy, lines = seen
    web = SandboxWeb(sandbox)
    web.login("miri")
    web.upload(write_jwst_ref(tmp_path / "jwst_miri_dark_0099.fits", {"DESCRIP": "left over"}))
    web.get("/logout/")
    repo = delivery_repo(files=1)
    result = run_cli(["apply", "--yes", repo.manifest], sandbox, env={"CRDS_SERVER_URL": proxy.url})
    assert result.exit_code == 0, result.output
    assert "removing jwst_miri_dark_0099.fits" in result.output
    # before; the removal's own redirect to the list; after the removal; after the upload
    assert _count(lines, r"GET /upload/list/") == 4, lines
    assert record_data(repo.manifest)["state"] == "READY"
