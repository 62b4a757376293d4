"""Hostile and sloppy file globs through the real CLI (`plan`, `apply`): traversal out of the
repository, symbolic-link loops and escapes, control characters in names, Windows paths. Each
gets a located error (manifest:line:col, the files[i] entry) and exit 1, no traceback, and
nothing is written or sent."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from crds_deliver.record import record_path
from tests.fixtures.fits import manifest_text, write_jwst_ref


def _setup_outside(repo: Path) -> None:
    write_jwst_ref(repo.parent / "outside" / "jwst_miri_dark_0001.fits")


def _setup_symlink_escape(repo: Path) -> None:
    _setup_outside(repo)
    (repo / "refs").mkdir()
    os.symlink(repo.parent / "outside" / "jwst_miri_dark_0001.fits",
               repo / "refs" / "jwst_miri_dark_0002.fits")


def _setup_symlink_loop(repo: Path) -> None:
    (repo / "refs").mkdir()
    os.symlink(repo / "refs" / "loop", repo / "refs" / "loop")  # points at itself
    os.symlink(repo / "refs", repo / "refs" / "again")  # a folder cycle
    os.symlink(repo / "refs" / "a.fits", repo / "refs" / "b.fits")
    os.symlink(repo / "refs" / "b.fits", repo / "refs" / "a.fits")


def _setup_control_names(repo: Path) -> None:
    write_jwst_ref(repo / "refs" / "jwst_miri\x1b[31mdark.fits")
    write_jwst_ref(repo / "refs" / "jwst_miri\ndark.fits")


def _setup_spaces(repo: Path) -> None:
    write_jwst_ref(repo / "refs" / "jwst miri dark.fits")


def _nothing(repo: Path) -> None:
    (repo / "refs").mkdir()


# case: (globs, setup, words expected in the error)
CORPUS = {
    "dotdot-traversal": (["../outside/*.fits"], _setup_outside, "outside the repository"),
    "deep-dotdot-to-etc": (["../../../../../../../../etc/passwd"], _nothing, "files[0]"),
    "absolute-path": (["/etc/host*"], _nothing, "files[0]"),
    "home-tilde": (["~/*.fits"], _nothing, "files[0]"),
    "symlink-out-of-repo": (["refs/*.fits"], _setup_symlink_escape, "through a symbolic link"),
    "symlink-loop": (["refs/**/*.fits", "refs/loop"], _setup_symlink_loop, "matches no file"),
    "control-characters": (["refs/*.fits"], _setup_control_names, "CRDS accepts only"),
    "spaces-in-names": (["refs/*.fits"], _setup_spaces, "CRDS accepts only"),
    "control-character-glob": (["refs/\x07*.fits"], _nothing, "matches no file"),
    "windows-backslashes": (["refs\\jwst_miri_dark_*.fits"], _nothing, "files[0]"),
    "windows-drive-letter": (["C:\\refs\\jwst_miri_dark_0001.fits"], _nothing, "files[0]"),
    "windows-drive-slash": (["C:/refs/*.fits"], _nothing, "files[0]"),
    "unc-path": (["\\\\server\\share\\x.fits"], _nothing, "files[0]"),
    "empty-glob": ([""], _nothing, "files[0]"),
    "nul-in-glob": (["refs/a\x00.fits"], _nothing, "files[0]"),
}


def _manifest(repo: Path, globs: list[str]) -> Path:
    text = manifest_text("jwst", "miri", "DARK", ["PLACEHOLDER"])
    listed = "".join(f"  - {json.dumps(g)}\n" for g in globs)
    path = repo / "delivery.yaml"
    path.write_text(text.replace("  - 'PLACEHOLDER'\n", listed))
    return path


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")
            if ".git" not in p.parts and not p.is_symlink()}


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_bad_glob_is_refused_with_a_located_error(case, tmp_path, sandbox, run_cli, ledger):
    globs, setup, expected = CORPUS[case]
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    setup(repo)
    manifest = _manifest(repo, globs)
    before = _tree(repo)
    for command in (["plan"], ["apply", "--yes"]):
        done = run_cli([*command, manifest], sandbox)  # the real app; an exception would raise
        output = done.output
        assert done.exit_code == 1, output
        assert "Traceback" not in output
        assert expected in output, output
        assert f"{manifest}:" in output  # located: the manifest's path, then line:col
        assert any(line.strip().startswith(f"{manifest}:")
                   and line.strip()[len(str(manifest)) + 1:].split(":")[0].isdigit()
                   for line in output.splitlines()), output
        assert "\x1b" not in output and "\x07" not in output  # no raw control characters
    ledger.posts(0, sandbox.stats.submission_posts)
    assert sandbox.stats.requests == 0  # refused before any request
    ledger.record_kept(not record_path(manifest).exists())
    assert not record_path(manifest).exists()
    assert _tree(repo) == before  # no stray file (lock, record, temp)
