"""Where the token and the user name come from (real ini files, real environment values)."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from crds_deliver.credentials import Token, find_credentials
from crds_deliver.errors import ConfigurationError

TOKEN = "0123456789abcdef0123456789abcdef"
OTHER = "fedcba9876543210fedcba9876543210"


def _ini(tmp_path: Path, mode: int, token: str = TOKEN, user: str = "ini_user") -> Path:
    path = tmp_path / "crds.ini"
    path.write_text(f"[authentication]\nCRDS_USERNAME = {user}\nMAST_API_TOKEN = {token}\n")
    path.chmod(mode)
    return path


def test_private_ini_file_is_used(tmp_path):
    ini = _ini(tmp_path, 0o600)
    creds = find_credentials(env={"CRDS_INI_FILE": str(ini)})
    assert creds.token.reveal() == TOKEN and creds.username == "ini_user"
    assert creds.token_source == str(ini) and not creds.warnings


def test_readable_ini_file_is_ignored_with_a_warning(tmp_path):
    ini = _ini(tmp_path, 0o644)
    with pytest.raises(ConfigurationError, match="--token-file"):
        find_credentials(env={"CRDS_INI_FILE": str(ini), "CI": "true"})
    creds = find_credentials(env={"CRDS_INI_FILE": str(ini), "MAST_API_TOKEN": OTHER})
    assert creds.token.reveal() == OTHER
    assert creds.username != "ini_user"
    assert any("chmod 600" in w for w in creds.warnings)


def test_order_token_file_then_env_then_ini(tmp_path):
    ini = _ini(tmp_path, 0o600)
    token_file = tmp_path / "token"
    token_file.write_text(OTHER + "\n")
    env = {"CRDS_INI_FILE": str(ini), "MAST_API_TOKEN": "a" * 32, "CRDS_USERNAME": "env_user"}
    assert find_credentials(token_file=token_file, env=env).token.reveal() == OTHER
    creds = find_credentials(env=env)
    assert creds.token.reveal() == "a" * 32 and creds.username == "env_user"
    assert find_credentials(env=env, username="cli_user").username == "cli_user"
    none_env = {"CRDS_INI_FILE": str(ini), "MAST_API_TOKEN": "None"}
    assert find_credentials(env=none_env).token.reveal() == TOKEN  # "None" counts as unset


def test_ci_never_prompts(tmp_path):
    asked = []
    env = {"CRDS_INI_FILE": str(tmp_path / "missing.ini"), "CI": "true"}
    with pytest.raises(ConfigurationError) as info:
        find_credentials(env=env)
    assert "CI=true" in str(info.value) and "MAST_API_TOKEN" in str(info.value)
    assert not asked


def test_prompt_only_when_given(tmp_path):
    env = {"CRDS_INI_FILE": str(tmp_path / "missing.ini")}
    creds = find_credentials(env=env, prompt=lambda text: OTHER)
    assert creds.token.reveal() == OTHER and creds.token_source == "prompt"


def test_unreadable_token_file(tmp_path):
    with pytest.raises(ConfigurationError, match="cannot read --token-file"):
        find_credentials(token_file=tmp_path / "nope", env={})


def test_token_never_shows_itself():
    token = Token(TOKEN)
    assert TOKEN not in repr(token) and TOKEN not in str(token) and TOKEN not in f"{token}"
    assert token.redact(f"server said {TOKEN}!") == "server said ********!"
    with pytest.raises(TypeError):
        pickle.dumps(token)
    with pytest.raises(ConfigurationError):
        Token("   ")
