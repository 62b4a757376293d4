"""The HTML the sandbox answers with: only the elements clients read, in plain markup.

Clients scrape: `<div id="error_message">` (trapped errors), `<div id="error_login">` or the
`MyST SSO Portal` title (refused login), `<span class="locked_instrument">` (home page), on a
results page an element `id=<uploaded name>` holding the official name and `Logical Diff
('old.rmap', 'new.rmap')` headings, on a confirmation page `id=<uploaded name>` and
`id=<old pmap>` wrapping links with the new names. Sandbox extra, for machine readers:
`<span id="submission_status">` with READY / BAD FILES / FAIL / CONFIRMED / CANCELLED.
"""

from __future__ import annotations

import json
from html import escape

from crds_deliver.rules.diff import rules_change
from crds_deliver.rules.predict import Placement


def _page(title: str, body: str) -> str:
    return (f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>{escape(title)}</title>"
            f"</head>\n<body>\n<h1>{escape(title)}</h1>\n{body}\n</body></html>\n")


def _hidden(name: str, value: str) -> str:
    return f"<input type='hidden' name='{escape(name)}' value='{escape(value)}'>"


def login_page(project: str, instruments: tuple[str, ...], csrf: str, error: str = "") -> str:
    options = "".join(f"<option value='{i}'>{i}</option>" for i in (*instruments, "none"))
    # The pre-MyST page's own box, and the trapped-error box the crds client's login check
    # reads (its `error_login` probe is shadowed): both clients report a failed login.
    err = (f"<div id='error_message' class='error_message'>ERROR: {escape(error)}</div>\n"
           f"<div id='error_login' class='error'>{escape(error)}</div>\n") if error else ""
    return _page(f"CRDS {project.upper()} sandbox login", err + (
        "<form method='post' action='/login/'>"
        f"{_hidden('csrfmiddlewaretoken', csrf)}{_hidden('next', '/')}"
        "<input type='text' name='username'><input type='password' name='password' "
        f"id='id_password'><select name='instrument'>{options}</select>"
        "<button type='submit'>Continue with MAST login</button></form>"))


def myst_page() -> str:
    return _page("MyST SSO Portal", "<p>Sign in with your MyST account.</p>")


def home_page(project: str, user: str | None, instrument: str | None) -> str:
    if not user:
        return _page(f"CRDS {project.upper()} sandbox", "<p><a href='/login/'>Login</a></p>")
    return _page(f"CRDS {project.upper()} sandbox", (
        f"<p>Logged in as <span class='username'>{escape(user)}</span>; locked instrument "
        f"<span class='locked_instrument'>{escape(instrument or 'none')}</span> "
        "<span class='lock_timer'></span> <a href='/logout/'>Logout</a></p>"))


def error_page(title: str, message: str) -> str:
    """A trapped error: the real server re-renders the page with an error box."""
    return _page(title, f"<div id='error_message' class='error_message'>ERROR: "
                        f"{escape(message)}</div>")


def form_page(title: str, action: str, csrf: str) -> str:
    return _page(title, f"<form method='post' action='{escape(action)}'>"
                        f"{_hidden('csrfmiddlewaretoken', csrf)}"
                        "<button type='submit'>Submit</button></form>")


def _status_span(state: str) -> str:
    return f"<p>Status: <span id='submission_status'>{escape(state)}</span></p>"


def results_page(record: dict, result_id: str, csrf: str) -> str:
    """The READY / BAD FILES / FAIL page of a submission (also after confirm/cancel)."""
    rows = []
    for info in record["files"]:
        findings = "".join(f"<li class='{escape(s)}'>{escape(s.upper())}: {escape(m)}</li>"
                           for s, m in info["findings"])
        rows.append(
            f"<tr><td>{escape(info['uploaded'])}</td><td>--&gt; <span class='blue' "
            f"id='{escape(info['uploaded'])}'>{escape(info['new'])}</span></td>"
            f"<td><span class='certify_status'>{escape(info['status'])}</span></td>"
            f"<td><ul>{findings}</ul></td></tr>")
    diffs = "".join(f"<h3>Logical Diff ('{escape(old)}', '{escape(new)}')</h3>"
                    for old, new in record["diffs"])
    diffs += "".join(f"<p class='replaced'>{escape(new)} replaces {escape(old)}</p>"
                     for old, new in record.get("replaced", []))
    state = record["state"]
    disposition = {"READY": "", "BAD FILES": "bad files", "FAIL": "failed",
                   "CERTIFIED": "certified"}.get(state, state.lower())
    body = [
        _status_span(state),
        f"<p>Starting Context: <a href='/browse/{escape(record['context'])}'>"
        f"{escape(record['context'])}</a></p>",
        f"<p>Disposition: <span id='disposition'>{escape(disposition)}</span></p>",
        "<h2>Certify Results</h2><table id='results'>" + "".join(rows) + "</table>",
        "<h2>Differences</h2>" + diffs,
        rules_section(record),
    ]
    if record.get("error"):
        body.append(f"<div id='failure'>{escape(record['error'])}</div>")
    if record.get("new_context"):
        body.append(f"<p>New context: <span id='new_context'>"
                    f"{escape(record['new_context'])}</span></p>")
    if state in ("READY", "BAD FILES") and record["kind"] != "certify":
        body.append(
            "<form method='post' action='/submit_confirm/'>"
            f"{_hidden('csrfmiddlewaretoken', csrf)}{_hidden('results_id', result_id)}"
            "<button name='button' value='confirm'>Confirm</button>"
            "<button name='button' value='cancel'>Cancel</button>"
            "<button name='button' value='force'>Force</button></form>")
    return _page(f"{record['kind']} results", "\n".join(body))


def rules_section(record: dict) -> str:
    """The rules change, in the words of `plan` (one block per rmap, official names), and as
    JSON keyed by uploaded name in the shape of plan's `rules` (to compare the two)."""
    placed = {info["uploaded"]: info for info in record["files"] if info.get("rules")}
    if not placed:
        return ""
    blocks = rules_change([(info["new"], Placement(**info["rules"]))
                           for info in placed.values()])
    text = "\n".join(f"{rmap}\n" + "\n".join(f"  {line}" for line in lines)
                     for rmap, lines in blocks.items())
    data = json.dumps({name: info["rules"] for name, info in sorted(placed.items())},
                      sort_keys=True).replace("</", "<\\/")
    return (f"<h2>Rules change</h2><pre id='rules_change'>{escape(text)}</pre>"
            f"<script type='application/json' id='rules_json'>{data}</script>")


def browse_page(info: dict, text: str | None) -> str:
    """/browse/<name>: a file's catalog facts, and a mapping's text."""
    rows = "".join(f"<tr><th>{escape(key)}</th><td id='{escape(key)}'>{escape(str(info[key]))}"
                   "</td></tr>" for key in ("name", "kind", "instrument", "filekind", "state",
                                            "sha1sum", "size", "uploaded_as", "created",
                                            "description") if key in info)
    body = f"<table id='file_info'>{rows}</table>"
    if text is not None:
        body += f"<pre id='mapping_text'>{escape(text)}</pre>"
    return _page(f"Browse {info['name']}", body)


def confirmation_page(record: dict) -> str:
    """The page after confirm/cancel: links to the new names, keyed by the old names."""
    state = record["state"]
    body = [_status_span(state)]
    if state == "CONFIRMED":
        rows = [f"<tr><td>{escape(i['uploaded'])}</td><td id='{escape(i['uploaded'])}'>"
                f"<a href='/browse/{escape(i['new'])}'>{escape(i['new'])}</a></td></tr>"
                for i in record["files"]]
        rows += [f"<tr><td>{escape(old)}</td><td id='{escape(old)}'>"
                 f"<a href='/browse/{escape(new)}'>{escape(new)}</a></td></tr>"
                 for old, new in sorted(record.get("renamed", {}).items())]
        body.append("<table id='confirmed'>" + "".join(rows) + "</table>")
        body.append(f"<p>New context: <span id='new_context'>"
                    f"{escape(record['new_context'])}</span></p>")
    else:
        body.append("<p>The submission was cancelled; its files were removed.</p>")
    return _page(f"{record['kind']} {state.lower()}", "\n".join(body))
