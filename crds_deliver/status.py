"""What crds-deliver would use right now, and where each setting came from.

A delivery that goes to the wrong server, or fails for want of a token, is usually a settings
problem (a stale CRDS_SERVER_URL, a world-readable ~/.crds.ini). `crds-deliver status` answers
"which server, which user, which token source, does the server answer?" in one screen, using the
same resolution the delivery commands use, and never shows the token itself.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

from crds_deliver import __version__
from crds_deliver.crds.errors import CrdsError
from crds_deliver.crds.http import Http, Timeouts
from crds_deliver.crds.rpc import JsonRpc
from crds_deliver.crds.server import normalise_url, resolve_server
from crds_deliver.credentials import find_credentials, ini_path
from crds_deliver.errors import ConfigurationError, ManifestError, UsageError
from crds_deliver.manifest import Manifest, load_manifest
from crds_deliver.projects import DEFAULT_TIMEOUT, PROJECTS
from crds_deliver.report import problem_line

DEFAULT_PROJECT = "jwst"
DEFAULT_USE_CASE = "ops"

# Distribution names whose versions matter when a delivery misbehaves; None = not installed.
PACKAGES = ("astropy", "requests", "jsonschema", "PyYAML", "typer", "crds", "asdf")

SERVER_INFO_KEYS = ("observatory", "edit_context", "operational_context", "latest_context")


@dataclass(frozen=True)
class Setting:
    """A value and the place it came from (flag, environment, manifest, ini file, default)."""

    value: str
    source: str


@dataclass(frozen=True)
class ServerCheck:
    """Whether the server answered get_server_info, and the contexts it reported."""

    url: str
    reachable: bool
    contexts: dict[str, str] = field(default_factory=dict)
    crds_version: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class Status:
    """Everything `crds-deliver status` shows; holds no secret."""

    version: str
    project: Setting
    server: Setting
    token_source: str  # where a delivery would take the token from, or "none"
    user: Setting
    check: ServerCheck | None
    python: str
    packages: dict[str, str | None]
    warnings: list[str]

    def to_dict(self) -> dict:
        return asdict(self)


def read_manifest(path: Path) -> Manifest:
    """A valid manifest, or a ManifestError whose message points at the first problem."""
    result = load_manifest(path)
    if result.manifest is None:
        first = problem_line(result.problems[0]) if result.problems else str(path)
        raise ManifestError(f"invalid manifest: {first}", result.problems)
    return result.manifest


def resolve_project(flag: str | None, manifest: Manifest | None,
                    env: Mapping[str, str]) -> Setting:
    """The project: --project, the manifest, CRDS_OBSERVATORY, else the default."""
    if flag:
        value, source = flag.strip().lower(), "--project"
    elif manifest is not None:
        value, source = manifest.project, f"manifest {manifest.path}"
    elif env.get("CRDS_OBSERVATORY", "").strip():
        value, source = env["CRDS_OBSERVATORY"].strip().lower(), "CRDS_OBSERVATORY"
    else:
        value, source = DEFAULT_PROJECT, "default"
    if value not in PROJECTS:
        raise UsageError(f"unknown project '{value}' (from {source}); expected one of "
                         + ", ".join(PROJECTS))
    return Setting(value, source)


def resolve_server_setting(project: str, flag: str | None, manifest: Manifest | None,
                           env: Mapping[str, str]) -> Setting:
    """The server URL in effect. An explicit --server answers "what about this server?" and
    wins; otherwise the delivery commands' own resolution decides (CRDS_SERVER_URL, then the
    manifest's server, then the project's OPS server)."""
    try:
        if flag:
            if flag.startswith(("http://", "https://")):
                return Setting(normalise_url(flag), "--server")
            return Setting(resolve_server(project, flag, {}).url, f"--server {flag}")
        given = manifest.server if manifest is not None else DEFAULT_USE_CASE
        choice = resolve_server(project, given, dict(env))
    except ConfigurationError as exc:
        where = "CRDS_SERVER_URL: " if not flag and env.get("CRDS_SERVER_URL") else ""
        raise UsageError(f"{where}{exc}") from None
    if choice.source != "manifest":
        return Setting(choice.url, f"{choice.source} (environment)")
    if manifest is not None:
        return Setting(choice.url, f"manifest {manifest.path}")
    return Setting(choice.url, f"default ({DEFAULT_USE_CASE} server of {project})")


def credential_settings(env: Mapping[str, str]) -> tuple[str, Setting, list[str]]:
    """Where the token comes from ("none" when nowhere) and the user name with its source,
    found as a delivery finds them; the token value never leaves this function."""
    env = dict(env)
    warnings: list[str] = []
    try:
        creds = find_credentials(env=env)
        token = _describe_source(creds.token_source, env)
    except ConfigurationError as exc:
        warnings.append(str(exc))
        token = "none"
        try:
            # Ask again with a stand-in token only to learn which user name a delivery would
            # use (the stand-in is neither shown nor used).
            creds = find_credentials(env={**env, "MAST_API_TOKEN": "unused"})
        except ConfigurationError:
            return token, Setting("unknown", "unreadable settings"), warnings
    user = Setting(creds.username, _describe_source(creds.username_source, env))
    return token, user, list(creds.warnings) + warnings


def _describe_source(source: str, env: Mapping[str, str]) -> str:
    if source in ("MAST_API_TOKEN", "CRDS_USERNAME"):
        return f"{source} (environment)"
    if source == str(ini_path(dict(env))):
        return f"{source} ([authentication] section)"
    return source


def _override_warning(override: str, shown: str) -> str:
    """What CRDS_SERVER_URL means while --server points `status` elsewhere."""
    try:
        url = normalise_url(override)
    except ConfigurationError as exc:
        return f"CRDS_SERVER_URL: {exc}"
    if url == shown:
        return "CRDS_SERVER_URL is set to the same server"
    return f"CRDS_SERVER_URL is set: apply, confirm and cancel would use {url}, not --server"


def check_server(url: str, timeout: float = DEFAULT_TIMEOUT) -> ServerCheck:
    """Ask the server for get_server_info once, with a short timeout and no retry."""
    http = Http(url, timeouts=Timeouts(connect=timeout, read=timeout), retries=0)
    rpc = JsonRpc(http)
    try:
        info = rpc.call("get_server_info")
    except CrdsError as exc:
        return ServerCheck(url, False, error=str(exc))
    finally:
        rpc.close()
        http.close()
    if not isinstance(info, dict):
        return ServerCheck(url, False, error="get_server_info did not answer a mapping")
    contexts = {k: str(info[k]) for k in SERVER_INFO_KEYS if info.get(k)}
    version = info.get("crds_version")
    if isinstance(version, dict):
        version = version.get("str")
    return ServerCheck(url, True, contexts, str(version) if version else None)


def package_versions() -> dict[str, str | None]:
    """Installed versions of the packages a delivery depends on (None when not installed)."""
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def collect_status(*, project: str | None = None, server: str | None = None,
                   manifest_path: Path | None = None, check: bool = True,
                   timeout: float = DEFAULT_TIMEOUT,
                   env: Mapping[str, str] | None = None) -> Status:
    """The settings in effect for a project/server/manifest, and the server's answer."""
    env = os.environ if env is None else env
    manifest = read_manifest(manifest_path) if manifest_path is not None else None
    project_setting = resolve_project(project, manifest, env)
    server_setting = resolve_server_setting(project_setting.value, server, manifest, env)
    token, user, warnings = credential_settings(env)
    if server and env.get("CRDS_SERVER_URL", "").strip():
        warnings.append(_override_warning(env["CRDS_SERVER_URL"], server_setting.value))
    server_check = check_server(server_setting.value, timeout) if check else None
    if server_check and server_check.reachable:
        reported = server_check.contexts.get("observatory")
        if reported and reported != project_setting.value:
            warnings.append(f"the server reports observatory '{reported}', not "
                            f"'{project_setting.value}'")
    return Status(__version__, project_setting, server_setting, token, user, server_check,
                  platform.python_version(), package_versions(), warnings)
