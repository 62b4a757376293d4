"""Form description, login with CSRF and token, instrument locks, lock status, logout."""

from __future__ import annotations

import time

import pytest
import requests
import yaml
from bs4 import BeautifulSoup

from crds_deliver.projects import INSTRUMENTS
from crds_deliver.sandbox import SandboxSettings
from tests.fixtures.sandbox import FAST, SandboxWeb


@pytest.mark.parametrize("project", ["hst", "jwst", "roman"])
def test_form_description_per_project(sandbox_factory, project: str) -> None:
    sb = sandbox_factory(project)
    response = requests.get(sb.url + "submission_form/redcat_description.yml", timeout=10)
    assert response.status_code == 200
    fields = {f["key"]: f for f in yaml.safe_load(response.text)}
    assert fields["instrument"]["choices"] == list(INSTRUMENTS[project])
    assert fields["useafter_matches"]["choices"] == ["N/A", "No", "Yes"]  # strings, not bools
    assert fields["history_updated"]["choices"] == [False, True]
    assert {f["type"] for f in fields.values()} <= {"BooleanField", "CharField",
                                                    "TypedChoiceField"}
    assert all(isinstance(f["required"], bool) for f in fields.values())


def test_login_sets_session_and_lock(sandbox, web: SandboxWeb) -> None:
    first = web.get("/login/")
    assert len(first.cookies["csrftoken"]) == 64
    response = web.login("miri")
    assert response.history[0].status_code == 302
    assert response.history[0].headers["Location"] == "/"
    session_cookie = response.history[0].headers["Set-Cookie"]
    assert "sessionid=" in session_cookie and "HttpOnly" in session_cookie
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.find("span", class_="locked_instrument").string == "miri"
    status = web.get(f"/lock_status/{sandbox.username}/").json()
    assert status["name"] == "miri" and status["user"] == sandbox.username
    assert status["type"] == "instrument" and status["is_expired"] is False
    assert sandbox.stats.logins == 1


def test_login_with_asb_auth_cookie_only(sandbox, web: SandboxWeb) -> None:
    web.http.cookies.set("ASB-AUTH", sandbox.token)
    response = web.post_form("/login/", {"username": sandbox.username, "password": "",
                                         "instrument": "miri", "next": "/"})
    assert "locked_instrument" in response.text


def test_login_post_without_or_with_wrong_csrf_is_403(sandbox, web: SandboxWeb) -> None:
    form = {"username": sandbox.username, "password": sandbox.token, "instrument": "miri"}
    assert web.http.post(web.url("/login/"), data=form, timeout=10).status_code == 403
    web.get("/login/")
    wrong = dict(form, csrfmiddlewaretoken="x" * 64)
    assert web.http.post(web.url("/login/"), data=wrong, timeout=10).status_code == 403
    assert sandbox.stats.logins == 0


def test_wrong_token_gets_error_login_div(sandbox) -> None:
    web = SandboxWeb(sandbox, token="f" * 32)
    response = web.login("miri")
    soup = BeautifulSoup(response.text, "html.parser")
    assert response.status_code == 200
    assert "invalid" in soup.find("div", id="error_login").string
    assert "sessionid" not in web.http.cookies
    assert web.get(f"/lock_status/{sandbox.username}/").json()["name"] == ""


def test_wrong_user_is_refused_too(sandbox) -> None:
    response = SandboxWeb(sandbox, user="mallory").login("miri")
    assert 'id="error_login"' in response.text or "id='error_login'" in response.text


def test_wrong_token_myst_style(sandbox_factory) -> None:
    sb = sandbox_factory(settings=SandboxSettings(**FAST, login_failure_style="myst"))
    response = SandboxWeb(sb, token="0" * 32).login("miri")
    assert BeautifulSoup(response.text, "html.parser").title.string == "MyST SSO Portal"


def test_lock_held_by_fault_user(sandbox, web: SandboxWeb) -> None:
    sandbox.faults.hold_lock("miri", "other")
    response = web.login("miri")
    div = BeautifulSoup(response.text, "html.parser").find("div", id="error_message")
    assert div.string == "ERROR: User 'other' has already locked instrument 'miri'."
    assert "sessionid" not in web.http.cookies


def test_lock_is_exclusive_between_real_users(sandbox_factory) -> None:
    sb = sandbox_factory(settings=SandboxSettings(**FAST, extra_users={"bob": "b" * 32}))
    alice, bob = SandboxWeb(sb), SandboxWeb(sb, user="bob", token="b" * 32)
    assert "locked_instrument" in alice.login("miri").text
    refused = BeautifulSoup(bob.login("miri").text, "html.parser")
    assert "has already locked instrument 'miri'" in refused.find(id="error_message").string
    assert "locked_instrument" in bob.login("nircam").text
    alice.get("/logout/")
    assert alice.get(f"/lock_status/{sb.username}/").json()["status"] == "error"
    assert "locked_instrument" in bob.login("miri").text  # released by alice's logout
    assert bob.get("/lock_status/bob/").json()["name"] == "miri"  # bob's nircam lock dropped


def test_relogin_same_instrument_keeps_lock(sandbox, web: SandboxWeb) -> None:
    web.login("miri")
    assert "locked_instrument" in web.login("miri").text


def test_lock_expires_after_idle_ttl(sandbox_factory) -> None:
    sb = sandbox_factory(settings=SandboxSettings(**FAST, lock_ttl=0.3))
    web = SandboxWeb(sb)
    web.login("miri")
    assert web.get(f"/lock_status/{sb.username}/").json()["name"] == "miri"
    time.sleep(0.5)
    assert web.get(f"/lock_status/{sb.username}/").json()["exception"] == "no lock found."
    # the session is gone too: a session-only page now redirects to the login page
    assert web.get("/upload/list/").url.endswith("/login/?next=/upload/list/")


def test_logout_with_and_without_slash(sandbox, web: SandboxWeb) -> None:
    web.login("miri")
    response = web.http.get(web.base + "/logout", timeout=10)
    assert response.status_code == 200 and "locked_instrument" not in response.text
    assert sandbox.stats.logouts == 1


def test_unknown_instrument_refused(sandbox, web: SandboxWeb) -> None:
    soup = BeautifulSoup(web.login("acs").text, "html.parser")
    assert "Unknown instrument 'acs'" in soup.find(id="error_message").string


def test_repeated_slashes_tolerated(sandbox) -> None:
    response = requests.get(sandbox.url + "/login/", timeout=10)
    assert response.status_code == 200 and "csrftoken" in response.cookies


def test_login_next_must_be_local(sandbox, web: SandboxWeb) -> None:
    for target, expected in [("//evil.example/", "/"), ("http://evil.example/", "/"),
                             ("/upload/list/", "/upload/list/")]:
        response = web.post_form("/login/", {"username": sandbox.username,
                                             "password": sandbox.token, "instrument": "miri",
                                             "next": target}, allow_redirects=False)
        assert response.headers["Location"] == expected
