"""The sandbox's streaming multipart reader: parts found wherever the blocks cut the body."""

from __future__ import annotations

import io

import pytest

from crds_deliver.sandbox.multipart import (
    MultipartError,
    MultipartReader,
    boundary_of,
    field_value,
)

BOUNDARY = b"b0undary"


def _body(*parts: tuple[bytes, bytes], preamble: bytes = b"", epilogue: bytes = b"") -> bytes:
    out = preamble
    for disposition, data in parts:
        out += b"--" + BOUNDARY + b"\r\nContent-Disposition: " + disposition + b"\r\n\r\n"
        out += data + b"\r\n"
    return out + b"--" + BOUNDARY + b"--\r\n" + epilogue


def _read(body: bytes, block: int, length: int | None = None) -> list[tuple[str, str | None,
                                                                             bytes]]:
    reader = MultipartReader(io.BytesIO(body), BOUNDARY,
                             len(body) if length is None else length, block=block)
    return [(part.name, part.filename, b"".join(bytes(piece) for piece in data))
            for part, data in reader]


# Data that looks like the delimiter without being it, and a delimiter at a block's edge.
TRICKY = b"x\r\n--b0undar" + b"\r\n--" + b"y" * 70_000 + b"\r\n-"


@pytest.mark.parametrize("block", [1, 7, 64, 16 * 1024 + 50, 1024 * 1024])
def test_parts_whatever_the_block_size(block: int) -> None:
    body = _body((b'form-data; name="csrfmiddlewaretoken"', b"t" * 64),
                 (b'form-data; name="files"; filename="a.fits"', TRICKY),
                 (b'form-data; name="empty"', b""),
                 preamble=b"ignored\r\n", epilogue=b"also ignored")
    assert _read(body, block) == [("csrfmiddlewaretoken", None, b"t" * 64),
                                  ("files", "a.fits", TRICKY), ("empty", None, b"")]


def test_a_part_left_unread_is_skipped() -> None:
    body = _body((b'form-data; name="files"; filename="a.fits"', b"z" * 5000),
                 (b'form-data; name="after"', b"value"))
    reader = MultipartReader(io.BytesIO(body), BOUNDARY, len(body), block=1000)
    names = [part.name for part, _data in reader]
    assert names == ["files", "after"]


def test_reads_no_further_than_the_length() -> None:
    body = _body((b'form-data; name="a"', b"1"))
    stream = io.BytesIO(body + b"NEXT REQUEST")
    assert [p.name for p, _ in MultipartReader(stream, BOUNDARY, len(body))] == ["a"]
    assert stream.read() == b"NEXT REQUEST"


@pytest.mark.parametrize("body", [
    b"--b0undary\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno end",
    b"--b0undary\r\nContent-Disposition: form-data; name=\"a\"",
    b"no boundary at all",
])
def test_truncated_bodies_are_refused(body: bytes) -> None:
    with pytest.raises(MultipartError):
        _read(body, 16)


def test_field_values_have_a_limit() -> None:
    body = _body((b'form-data; name="a"', b"v" * 100))
    for _part, data in MultipartReader(io.BytesIO(body), BOUNDARY, len(body)):
        with pytest.raises(MultipartError):
            field_value(data, 10)


@pytest.mark.parametrize(("header", "expected"), [
    ("multipart/form-data; boundary=abc", b"abc"),
    ('multipart/form-data; boundary="a b"', b"a b"),
    ("application/x-www-form-urlencoded", None),
    ("multipart/form-data", None),
    (None, None),
])
def test_boundary_of(header: str | None, expected: bytes | None) -> None:
    assert boundary_of(header) == expected
