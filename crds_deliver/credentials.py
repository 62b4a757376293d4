"""Where the MAST token and the CRDS user name come from, found the way the crds package does.

Order (first hit wins): token from `--token-file`, `MAST_API_TOKEN`, the `[authentication]`
section of `~/.crds.ini` (or `CRDS_INI_FILE`; ignored with a warning unless only its owner can
read it), then a hidden prompt, but only on an interactive terminal outside CI. User name from
`--username`, `CRDS_USERNAME`, the ini file, then the login name.

The token is held in `Token`, whose repr/str never show it, so that a stray f-string, a log
line or a traceback cannot leak it; `redact()` scrubs it from text built from server answers.
"""

from __future__ import annotations

import configparser
import getpass
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from crds_deliver.errors import ConfigurationError

REDACTED = "********"
_UNSET = ("", "none")  # the crds package treats None/none/NONE as unset

WHERE_TOKENS_GO = ("give a MAST token with --token-file FILE, the MAST_API_TOKEN environment "
                   "variable, or MAST_API_TOKEN in the [authentication] section of ~/.crds.ini "
                   "(chmod 600); get one at https://auth.mast.stsci.edu/token")


class Token:
    """A secret string that refuses to show itself; `.reveal()` is the only way to read it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        value = value.strip()
        if not value:
            raise ConfigurationError("the MAST token is empty; " + WHERE_TOKENS_GO)
        self._value = value

    def reveal(self) -> str:
        """The token itself: call only where it goes on the wire."""
        return self._value

    def redact(self, text: str) -> str:
        """`text` with every occurrence of the token replaced by asterisks."""
        return text.replace(self._value, REDACTED) if text else text

    def __repr__(self) -> str:
        return f"Token({REDACTED})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Token) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self):  # pickling would write the secret somewhere: refuse
        raise TypeError("a Token cannot be pickled")


@dataclass(frozen=True)
class Credentials:
    """A user name and its token, plus where each came from (for -v output, never the value)."""

    username: str
    token: Token
    token_source: str
    username_source: str
    warnings: tuple[str, ...] = field(default_factory=tuple)


def ini_path(env: dict[str, str] | None = None) -> Path:
    """The crds configuration file: CRDS_INI_FILE, else ~/.crds.ini."""
    env = os.environ if env is None else env
    given = env.get("CRDS_INI_FILE")
    return Path(given).expanduser() if given else Path.home() / ".crds.ini"


def read_ini(path: Path) -> tuple[dict[str, str], list[str]]:
    """The `[authentication]` values of an ini file, and warnings.

    A file that group or others may read is ignored (with a warning), as the crds package does:
    a token in a world-readable file is already leaked, and using it would hide that.
    """
    if not path.is_file():
        return {}, []
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        return {}, [f"ignoring {path}: it may be read by others (mode {mode:03o}); "
                    f"run 'chmod 600 {path}' to use it"]
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"{path}: unreadable ini file ({type(exc).__name__})") from None
    if not parser.has_section("authentication"):
        return {}, []
    values = {}
    for key in ("MAST_API_TOKEN", "CRDS_USERNAME"):
        value = parser.get("authentication", key, fallback="")
        if value.strip().lower() not in _UNSET:
            values[key] = value.strip()
    return values, []


def in_ci(env: dict[str, str] | None = None) -> bool:
    """True under a CI runner (CI=true/1/yes), where nobody can answer a prompt."""
    env = os.environ if env is None else env
    return env.get("CI", "").strip().lower() in ("true", "1", "yes")


def find_credentials(
    *,
    token_file: Path | None = None,
    username: str | None = None,
    env: dict[str, str] | None = None,
    prompt: Callable[[str], str] | None = None,
) -> Credentials:
    """Resolve user name and token. `prompt` (e.g. getpass.getpass) is used only when given
    and no other source has a token; the CLI passes it only on a terminal outside CI.

    Raises ConfigurationError naming every place a token can be given when none is found.
    """
    env = dict(os.environ) if env is None else env
    ini = ini_path(env)
    ini_values, warnings = read_ini(ini)

    if token_file is not None:
        try:
            token = Token(Path(token_file).expanduser().read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigurationError(
                f"cannot read --token-file {token_file}: {exc.strerror or exc}") from None
        token_source = f"--token-file {token_file}"
    elif env.get("MAST_API_TOKEN", "").strip().lower() not in _UNSET:
        token, token_source = Token(env["MAST_API_TOKEN"]), "MAST_API_TOKEN"
    elif "MAST_API_TOKEN" in ini_values:
        token, token_source = Token(ini_values["MAST_API_TOKEN"]), str(ini)
    elif prompt is not None:
        token, token_source = Token(prompt("MAST_API_TOKEN: ")), "prompt"
    else:
        reason = "no MAST token found and no terminal to ask for one"
        if in_ci(env):
            reason = "no MAST token found (CI=true: not prompting)"
        # A token file that was ignored is the likeliest reason: say so in the error itself.
        ignored = "".join(f" ({warning})" for warning in warnings)
        raise ConfigurationError(f"{reason}{ignored}; {WHERE_TOKENS_GO}")

    if username:
        user, user_source = username, "--username"
    elif env.get("CRDS_USERNAME", "").strip().lower() not in _UNSET:
        user, user_source = env["CRDS_USERNAME"].strip(), "CRDS_USERNAME"
    elif "CRDS_USERNAME" in ini_values:
        user, user_source = ini_values["CRDS_USERNAME"], str(ini)
    else:
        user, user_source = getpass.getuser(), "login name"
    return Credentials(user, token, token_source, user_source, tuple(warnings))
