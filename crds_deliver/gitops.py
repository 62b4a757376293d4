"""Committing result records with git (the `git` command, not a library).

One commit per delivery, holding only the record file: `git commit --only -- <record>` ignores
whatever else the user has staged, so a delivery never sweeps unrelated work into its commit.
"""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path

from crds_deliver.errors import CrdsDeliverError


class GitError(CrdsDeliverError):
    """git is missing, the folder is not in a repository, or a commit failed."""


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                              check=False, timeout=60)
    except FileNotFoundError:
        raise GitError("--commit needs the git command, which is not installed") from None


def repository_of(path: Path) -> Path:
    """The top folder of the git repository holding `path`; GitError when there is none."""
    folder = path if path.is_dir() else path.parent
    result = _git(["rev-parse", "--show-toplevel"], folder.resolve())
    if result.returncode != 0:
        raise GitError(f"--commit: {path} is not inside a git repository")
    return Path(result.stdout.strip())


def commit_file(path: Path, message: str) -> str | None:
    """Commit `path` alone with `message`; returns the new commit id, None if unchanged."""
    path = path.resolve()
    repo = repository_of(path)
    added = _git(["add", "--", str(path)], repo)
    if added.returncode != 0:
        raise GitError(f"git add {path.name} failed: {added.stderr.strip()}")
    staged = _git(["diff", "--cached", "--quiet", "--", str(path)], repo)
    if staged.returncode == 0:
        return None
    done = _git(["commit", "--only", "-m", message, "--", str(path)], repo)
    if done.returncode != 0:
        raise GitError(f"git commit of {path.name} failed: "
                       f"{(done.stderr or done.stdout).strip()}")
    head = _git(["rev-parse", "HEAD"], repo)
    return head.stdout.strip() or None


def record_commit_message(manifest: Path, state: str, results_id: str | None,
                          repo: Path | None = None) -> str:
    """`Delivery manifests/x.yaml: READY (results 1234…)`."""
    shown = str(manifest)
    if repo is not None:
        with contextlib.suppress(ValueError):
            shown = str(manifest.resolve().relative_to(repo.resolve()))
    tail = f" (results {results_id})" if results_id else ""
    return f"Delivery {shown}: {state}{tail}"
