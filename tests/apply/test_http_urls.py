"""Requests go to the configured server only: absolute URLs from server messages or old
records are reduced to their path there, so the session's token cookie never travels."""

from __future__ import annotations

from crds_deliver.crds.http import Http


def test_same_server_urls_are_kept_and_double_slashes_tolerated():
    http = Http("https://jwst-crds-bit.stsci.edu/")
    url = "https://jwst-crds-bit.stsci.edu//display_result/812f9201"
    assert http.url(url) == url
    assert http.url("//display_result/812f9201") == \
        "https://jwst-crds-bit.stsci.edu/display_result/812f9201"


def test_urls_on_another_host_or_port_are_rebased_on_this_server():
    http = Http("http://127.0.0.1:8001/")
    assert http.url("http://127.0.0.1:7000//display_result/abc?x=1") == \
        "http://127.0.0.1:8001/display_result/abc?x=1"
    assert http.url("https://evil.example.org/display_result/abc") == \
        "http://127.0.0.1:8001/display_result/abc"
