"""Knobs of the sandbox server: the real server's pauses and limits, made short and adjustable.

The real CRDS server sleeps 10 s after pushing `done` before it answers the submission POST and
expires idle locks after 4 h. Tests need the same shape in a fraction of the time, so every such
number is a setting here, with short defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, field

LOGIN_FAILURE_STYLES = ("error_login", "myst")


@dataclass
class SandboxSettings:
    """Settings of one sandbox instance (plain values; read by every request handler)."""

    # Seconds between pushing `done` and answering the submission/confirm POST (real: 10 s).
    post_done_delay: float = 0.2
    # Seconds of simulated work while a submission is processed (real: seconds to minutes).
    processing_delay: float = 0.2
    # Idle time after which an instrument lock and a login session expire (real: 4 h).
    lock_ttl: float = 4 * 3600.0
    # Largest file the ingest area accepts, in bytes.
    max_file_size: int = 2 * 1024**3
    # What a wrong token gets: the login form with `<div id="error_login">` (pre-MyST server)
    # or a page titled `MyST SSO Portal` (MyST era). Both appear in the sources.
    login_failure_style: str = "error_login"
    # Further accounts besides the instance's own user: {username: token}.
    extra_users: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.login_failure_style not in LOGIN_FAILURE_STYLES:
            raise ValueError(f"login_failure_style must be one of {LOGIN_FAILURE_STYLES}")
