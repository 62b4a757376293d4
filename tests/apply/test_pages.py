"""Reading CRDS pages in the shapes the protocol notes record for real servers (2019 markup),
not only the sandbox's: errors in every form, verdicts, renamed files, Logical Diff, links."""

from __future__ import annotations

from crds_deliver.crds.pages import Page, error_text, mapping_links, read_results

READY_2019 = """<html><head><title>Batch Reference Submit Results</title></head><body>
<h3>Starting Context</h3><a href="/browse/jwst_0504.pmap">jwst_0504.pmap</a>
<div class="accordion"><h3>jwst_miri_dark_0057.fits --&gt;
  <span class='blue' id='jwst_miri_dark_0057.fits'>jwst_miri_dark_0060.fits</span>
  <span class='green'>OK</span></h3><div>certify output<p>unclosed paragraph</div></div>
<h3>Logical Diff ('jwst_miri_dark_0038.rmap', 'jwst_miri_dark_0051.rmap')</h3>
<form action="/submit_confirm/" method="post"><input type="hidden" name="results_id" value="x">
<input type="submit" name="button" value="confirm"><input type="submit" name="button"
 value="cancel"><input type="submit" name="button" value="force"></form></body></html>"""


def test_ready_page_of_a_real_server():
    page = read_results(READY_2019, ["jwst_miri_dark_0057.fits", "missing.fits"])
    assert page.file_names == {"jwst_miri_dark_0057.fits": "jwst_miri_dark_0060.fits"}
    assert page.file_status == {"jwst_miri_dark_0057.fits": "OK"}
    assert page.rmap_diffs == {"jwst_miri_dark_0038.rmap": "jwst_miri_dark_0051.rmap"}
    assert page.confirm_action == "/submit_confirm/"
    assert page.status is None and page.error is None


def test_errors_in_every_form():
    assert error_text(Page("<div id='error_message'>ERROR: boom</div>")) == "ERROR: boom"
    assert error_text(Page("<ul><li class='x error_message'>bad form</li></ul>")) == "bad form"
    assert error_text(Page('<div id="error_login" class="error">Username or password '
                           'invalid,  please try again.</div>')).startswith("Username")
    assert error_text(Page("<div id='error_message'></div><p>fine</p>")) is None
    assert Page("<title>MyST SSO Portal</title>").title == "MyST SSO Portal"


def test_confirmation_links():
    html = ("<table><tr><td id='jwst_0504.pmap'><a href='/browse/jwst_0512.pmap'>"
            "jwst_0512.pmap</a></td></tr><tr><td id='jwst_miri_dark_0057.fits'>"
            "<a href='#'>jwst_miri_dark_0060.fits</a></td></tr></table>")
    assert mapping_links(html) == {"jwst_0504.pmap": "jwst_0512.pmap"}
    page = read_results(html, ["jwst_miri_dark_0057.fits"])
    assert page.file_names == {"jwst_miri_dark_0057.fits": "jwst_miri_dark_0060.fits"}
