"""An upload whose session ends between two of its chunks: the server sends the post to its
login page, and the client says the session ended (apply then logs in again and starts the
uploads over), where following the redirect would have taken the login page for success."""

from __future__ import annotations

from pathlib import Path

import pytest

from crds_deliver.crds.errors import SessionExpired
from tests.fixtures.sandbox import logged_in_client


def test_a_session_ended_mid_upload_is_reported_as_such(sandbox, tmp_path: Path):
    client = logged_in_client(sandbox)
    path = tmp_path / "big.fits"
    path.write_bytes(bytes(range(256)) * 20_000)  # 5 120 000 bytes: three chunks
    sent: list[int] = []

    def expire_after_the_first_chunk(name: str, done: int, total: int) -> None:
        sent.append(done)
        if len(sent) == 2:
            sandbox.faults.expire_sessions()

    with pytest.raises(SessionExpired, match="uploading big.fits: .*login page"):
        client.upload(path, path.name, on_progress=expire_after_the_first_chunk)
    assert sent == [0, 2_000_000]
    assert sandbox.stats.chunk_posts == 1  # the second post stopped at the login check
    client.login("miri")
    assert client.list_ingest() == []
    client.close()
