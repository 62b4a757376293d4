"""Both CI templates' delivery steps, replayed as written against the sandbox and a bare git
remote: a pull request, a merge, two merges close together (the second lands while the first
run is delivering), and a confirm decision. Every record must reach the remote, and every
delivery must be submitted exactly once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.fixtures.fits import manifest_text, write_hst_ref
from tests.fixtures.forked_console import console_folder
from tests.fixtures.repo import git, sandbox_env

ROOT = Path(__file__).resolve().parents[2]
GITHUB = ROOT / "templates/github/crds-deliver.yml"
GITLAB = ROOT / "templates/gitlab/.gitlab-ci.yml"
BRANCH = "main"
FOLDER = "manifests/hst/wfc3"


def _github_steps(job: str) -> list[str]:
    steps = yaml.safe_load(GITHUB.read_text())["jobs"][job]["steps"]
    return [s["run"] for s in steps if "run" in s and "pip install" not in s["run"]
            and "gh api" not in s["run"]]


def _gitlab_script(job: str) -> list[str]:
    script = yaml.safe_load(GITLAB.read_text())[job]["script"]
    # The remote here is a local bare repository, not https://oauth2:TOKEN@host.
    return ["\n".join(line for line in script if "remote set-url" not in line)]


class Ci:
    """One template's runs, each in a fresh clone of the remote, as a runner would do."""

    def __init__(self, kind: str, remote: Path, tmp_path: Path, sb) -> None:
        self.kind, self.remote, self.tmp_path = kind, remote, tmp_path
        # `crds-deliver` in the steps is the command line forked warm (forked_console.py),
        # then this environment's own programs
        console = str(console_folder(tmp_path / f"{kind}-bin"))
        bin_dir = str(Path(sys.executable).parent)
        self.env = {**os.environ, **sandbox_env(sb),
                    "PATH": os.pathsep.join([console, bin_dir, os.environ["PATH"]]),
                    "BRANCH": BRANCH, "CI_DEFAULT_BRANCH": BRANCH}
        self.runs = 0

    def checkout(self, ref: str) -> Path:
        """A runner's checkout: GitHub's of the branch named in the template, GitLab's of the
        pipeline's commit (detached)."""
        self.runs += 1
        work = self.tmp_path / f"{self.kind}-run{self.runs}"
        subprocess.run(["git", "clone", "-q", str(self.remote), str(work)], check=True)
        git(work, "checkout", "-q", "--detach", ref)
        return work

    def run(self, work: Path, scripts: list[str]) -> subprocess.CompletedProcess:
        """Each script in its own `bash -eo pipefail`, as both CI systems run them; all of them
        run (the push step runs after a failed apply) and the first failure is the result."""
        code, output = 0, []
        for script in scripts:
            done = subprocess.run(["bash", "-eo", "pipefail", "-c", script], cwd=work,
                                  env=self.env, capture_output=True, text=True, timeout=600)
            output.append(done.stdout + done.stderr)
            code = code or done.returncode
        return subprocess.CompletedProcess(scripts, code, "\n".join(output), "")

    def review(self, ref: str) -> subprocess.CompletedProcess:
        work = self.checkout(ref)
        if self.kind == "github":
            return self.run(work, _github_steps("review"))
        script = yaml.safe_load(GITLAB.read_text())["plan"]["script"]
        return self.run(work, ["\n".join(script)])

    def deliver(self, work: Path) -> subprocess.CompletedProcess:
        if self.kind == "github":  # actions/checkout with `ref: <default branch>`: its head
            git(work, "checkout", "-q", "-B", BRANCH, f"origin/{BRANCH}")
            return self.run(work, _github_steps("deliver"))
        return self.run(work, _gitlab_script("apply"))


class Developer:
    """A person's clone: branches, commits, merges into the remote's main."""

    def __init__(self, remote: Path, tmp_path: Path) -> None:
        self.root = tmp_path / "developer"
        subprocess.run(["git", "clone", "-q", str(remote), str(self.root)], check=True)
        git(self.root, "config", "user.name", "Jane Doe")
        git(self.root, "config", "user.email", "jane@example.org")

    def add_manifest(self, name: str) -> None:
        """An HST delivery: the templates do the same for every project, and crds certifies
        HST files without the seconds of datamodel loading each JWST run's process pays."""
        folder = self.root / FOLDER
        write_hst_ref(folder / f"refs-{name}/{name[:5]:x<5}001i_bia.fits",
                      {"DESCRIP": f"UVIS bias {name} from 2026 flight data"})
        (folder / f"{name}.yaml").write_text(
            manifest_text("hst", "wfc3", "BIAS", [f"refs-{name}/*_bia.fits"], None))

    def merge(self, message: str) -> str:
        """Commit what changed on a branch and merge it into main (fast-forward or merge)."""
        git(self.root, "fetch", "-q", "origin")
        git(self.root, "checkout", "-q", "-B", "topic", f"origin/{BRANCH}")
        git(self.root, "add", "-A")
        git(self.root, "commit", "-q", "-m", message)
        git(self.root, "push", "-q", "origin", f"HEAD:{BRANCH}")
        return git(self.root, "rev-parse", "HEAD").strip()

    def merge_branch(self) -> str:
        """Merge the pull request's branch as it was reviewed (a fast-forward)."""
        git(self.root, "push", "-q", "origin", f"review:{BRANCH}")
        return git(self.root, "rev-parse", "review").strip()

    def branch(self, message: str) -> str:
        git(self.root, "fetch", "-q", "origin")
        git(self.root, "checkout", "-q", "-B", "review", f"origin/{BRANCH}")
        git(self.root, "add", "-A")
        git(self.root, "commit", "-q", "-m", message)
        git(self.root, "push", "-q", "origin", "HEAD:refs/heads/review")
        return git(self.root, "rev-parse", "HEAD").strip()


def _remote_state(remote: Path, name: str) -> str | None:
    done = subprocess.run(["git", "show", f"{BRANCH}:{FOLDER}/{name}.result.yaml"],
                          cwd=remote, capture_output=True, text=True)
    return yaml.safe_load(done.stdout)["state"] if done.returncode == 0 else None


@pytest.mark.slow  # started first (tests/conftest.py): left to the end, it ran alone
@pytest.mark.timeout(900)  # a dozen CI steps, each a real process
@pytest.mark.parametrize("kind", ["github", "gitlab"])
def test_template_runs_deliver_each_manifest_once_and_push_every_record(
        kind: str, sandbox_factory, tmp_path: Path) -> None:
    sandbox = sandbox_factory("hst")
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", BRANCH, str(remote)], check=True)
    git(remote, "config", "receive.advertisePushOptions", "true")  # GitLab's -o ci.skip
    seed = tmp_path / "seed"
    subprocess.run(["git", "init", "-q", "-b", BRANCH, str(seed)], check=True)
    (seed / "README.md").write_text("deliveries\n")
    git(seed, "add", "-A")
    git(seed, "-c", "user.name=x", "-c", "user.email=x@example.org", "commit", "-q", "-m", "init")
    git(seed, "push", "-q", str(remote), BRANCH)
    dev, ci = Developer(remote, tmp_path), Ci(kind, remote, tmp_path, sandbox)

    # A pull request: the review steps validate and plan, and deliver nothing.
    dev.add_manifest("first")
    reviewed = ci.review(dev.branch("Deliver the first darks"))
    assert reviewed.returncode == 0, reviewed.stdout + reviewed.stderr
    assert sandbox.stats.submission_posts == 0

    # The merge: delivered once, its READY record pushed back.
    merged = dev.merge_branch()
    done = ci.deliver(ci.checkout(merged))
    assert done.returncode == 0, done.stdout + done.stderr
    assert _remote_state(remote, "first") == "READY"

    # Two merges close together: the second lands while the first run delivers, so that run's
    # push must fetch and rebase; the second run, queued behind it, starts from the head.
    dev.add_manifest("second")
    first_run = ci.checkout(dev.merge("Deliver the second darks"))
    dev.add_manifest("third")
    second_merge = dev.merge("Deliver the third darks")
    done = ci.deliver(first_run)
    assert done.returncode == 0, done.stdout + done.stderr
    done = ci.deliver(ci.checkout(second_merge))
    assert done.returncode == 0, done.stdout + done.stderr
    assert [_remote_state(remote, n) for n in ("first", "second", "third")] == ["READY"] * 3
    assert sandbox.stats.submission_posts == 3

    # The decision: a merged first.confirm confirms it; the others keep waiting.
    (dev.root / FOLDER / "first.confirm").write_text("results page checked\n")
    done = ci.deliver(ci.checkout(dev.merge("Confirm the first darks")))
    assert done.returncode == 0, done.stdout + done.stderr
    assert [_remote_state(remote, n) for n in ("first", "second", "third")] == \
        ["CONFIRMED", "READY", "READY"]
    assert sandbox.stats.submission_posts == 3  # one submission per delivery
    assert sandbox.stats.confirms == 1
