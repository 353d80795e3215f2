"""Request heads read by ogpu_sim.ipfs.head come out as the standard library reads them."""

from __future__ import annotations

import http.client
import io
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ogpu_sim.ipfs.head import (
    FastHeadMixin,
    parse_header_lines,
    read_header_lines,
    read_plain_block,
)

PLAIN_LINES = [
    b"Host: 127.0.0.1:5001\r\n",
    b"User-Agent: python-requests/2.32.3\r\n",
    b"Accept: */*\r\n",
    b"Connection: keep-alive\r\n",
    b"Connection: close\r\n",
    b"Content-Length: 12\r\n",
    b"Expect: 100-continue\r\n",
    b"X-Empty:\r\n",
    b"X-Spaces: \t a b \t\r\n",
    b"x-lower: v\n",
    b"X-Latin: caf\xe9\r\n",
    b"X-Colon: a:b: c\r\n",
]
ODD_LINES = [
    b" folded continuation\r\n",
    b"\tfolded tab\r\n",
    b"no colon here\r\n",
    b": empty name\r\n",
    b"From someone\r\n",
    b"Bad Name: v\r\n",
    b"X-CR: a\rb\r\n",
    b"X-CRCR: a\r\r\n",
    b"X-Last: no line end",
    b"X-Ctl\x01: v\r\n",
]
LINES = st.sampled_from(PLAIN_LINES * 3 + ODD_LINES)
ENDS = st.sampled_from([b"\r\n", b"\r\n", b"\n", b""])


def stdlib_headers(block: bytes) -> http.client.HTTPMessage:
    return http.client.parse_headers(io.BytesIO(block))


def view(headers: http.client.HTTPMessage) -> dict[str, Any]:
    """Everything a message holds, its defects (compared by identity) as type and text."""
    state = dict(vars(headers))
    state["defects"] = [(type(defect), str(defect)) for defect in headers.defects]
    return state


@settings(max_examples=500, deadline=None)
@given(lines=st.lists(LINES, max_size=8), end=ENDS)
def test_header_blocks_parse_as_the_standard_library_parses_them(
    lines: list[bytes], end: bytes
) -> None:
    block = b"".join(lines) + end
    ours = parse_header_lines(read_header_lines(io.BytesIO(block)))
    assert view(ours) == view(stdlib_headers(block))


def test_plain_lines_skip_the_email_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("email.parser.Parser.parsestr", None)
    headers = parse_header_lines([b"Host: a\r\n", b"X-Two:  b c \r\n", b"\r\n"])
    assert headers.items() == [("Host", "a"), ("X-Two", "b c ")]


def test_a_header_line_over_64_kib_is_too_long() -> None:
    with pytest.raises(http.client.LineTooLong, match="header line"):
        read_header_lines(io.BytesIO(b"X: " + b"a" * 65536 + b"\r\n\r\n"))


def test_more_than_100_header_lines_are_too_many() -> None:
    with pytest.raises(http.client.HTTPException, match="got more than 100 headers"):
        read_header_lines(io.BytesIO(b"X: y\r\n" * 101 + b"\r\n"))


class _Recording(BaseHTTPRequestHandler):
    """A handler run on bytes instead of a socket, its answer and state kept for comparing."""

    protocol_version = "HTTP/1.1"

    def __init__(self, raw: bytes) -> None:  # no socket, no server
        self.rfile = io.BytesIO(raw)
        self.wfile = io.BytesIO()
        self.client_address = ("127.0.0.1", 1)
        self.raw_requestline = self.rfile.readline(65537)

    def date_time_string(self, timestamp: float | None = None) -> str:
        return "Thu, 01 Jan 2026 00:00:00 GMT"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def outcome(self) -> tuple[Any, ...]:
        result = self.parse_request()
        headers = getattr(self, "headers", None)
        state = (self.command, getattr(self, "path", None), self.request_version)
        return (
            result,
            *state,
            self.close_connection,
            self.requestline,
            None if headers is None else view(headers),
        )

    def answer(self) -> bytes:
        return self.wfile.getvalue() + self.rfile.read()


class _Fast(FastHeadMixin, _Recording):
    pass


REQUEST_LINES = st.sampled_from(
    [b"GET /ipfs/Qm HTTP/1.1\r\n", b"POST /file/create HTTP/1.1\r\n", b"GET //a//b HTTP/1.0\r\n"]
    * 3
    + [
        b"GET /\r\n",
        b"POST /\r\n",
        b"GET / HTTP/2.0\r\n",
        b"GET / HTTP/1.x\r\n",
        b"GET / FTP/1\r\n",
    ]
    + [b"GET / HTTP/1.1.1\r\n", b"A B C D\r\n", b"GET\r\n", b"GET / HTTP/01.0001\r\n", b" \r\n"]
    + [b"GET / HTTP/12345678901.1\r\n", b"GET / HTTP/1.1", b"G\xe9T / HTTP/1.1\r\n"]
)


@settings(max_examples=400, deadline=None)
@given(request_line=REQUEST_LINES, lines=st.lists(LINES, max_size=5), end=ENDS)
def test_parse_request_keeps_the_standard_librarys_state_and_answers(
    request_line: bytes, lines: list[bytes], end: bytes
) -> None:
    raw = request_line + b"".join(lines) + end + b"body"
    stdlib, fast = _Recording(raw), _Fast(raw)
    assert fast.outcome() == stdlib.outcome()
    assert fast.answer() == stdlib.answer()


class _FastBuffered(_Fast):
    """The fast handler reading from a buffered stream, as from a socket (its block path)."""

    def __init__(self, raw: bytes, buffer_size: int = 8192) -> None:
        super().__init__(b"")
        self.rfile = io.BufferedReader(io.BytesIO(raw), buffer_size)
        self.raw_requestline = self.rfile.readline(65537)

    def outcome(self) -> tuple[Any, ...]:
        result = super().outcome()
        headers = getattr(self, "headers", None)
        if result[0] and headers is not None:  # what _serve reads instead of the message
            assert self.header_items == headers.items()
            assert self.header_values == {name.lower(): headers[name] for name in headers}
        return result


BUFFER_SIZES = st.sampled_from([8192, 8192, 64, 16, 1])


@settings(max_examples=600, deadline=None)
@given(request_line=REQUEST_LINES, lines=st.lists(LINES, max_size=6), end=ENDS, size=BUFFER_SIZES)
def test_heads_read_from_the_buffer_at_once_keep_the_standard_librarys_state_and_answers(
    request_line: bytes, lines: list[bytes], end: bytes, size: int
) -> None:
    raw = request_line + b"".join(lines) + end + b"body"
    stdlib, fast = _Recording(raw), _FastBuffered(raw, size)
    assert fast.outcome() == stdlib.outcome()
    assert fast.answer() == stdlib.answer()


@settings(max_examples=500, deadline=None)
@given(lines=st.lists(LINES, max_size=8), end=ENDS, size=BUFFER_SIZES)
def test_a_plain_block_is_consumed_whole_or_not_at_all(
    lines: list[bytes], end: bytes, size: int
) -> None:
    block = b"".join(lines) + end
    rfile = io.BufferedReader(io.BytesIO(block + b"body"), size)
    pairs = read_plain_block(rfile)
    if pairs is None:
        assert rfile.read() == block + b"body"
    else:
        assert pairs == stdlib_headers(block).items()
        assert rfile.read() == b"body"


def test_a_crlf_head_in_the_buffer_is_read_by_one_pattern(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = b"Host: a\r\nContent-Length: 4\r\nX-Two:  b c \r\n\r\nbody"
    rfile = io.BufferedReader(io.BytesIO(raw))
    monkeypatch.setattr(rfile, "readline", None)
    pairs = read_plain_block(rfile)
    assert pairs == [("Host", "a"), ("Content-Length", "4"), ("X-Two", "b c ")]
    assert rfile.read() == b"body"


@pytest.mark.parametrize("count", [99, 100])
def test_a_block_of_100_headers_is_left_to_the_line_reader(count: int) -> None:
    raw = b"X: y\r\n" * count + b"\r\n"
    pairs = read_plain_block(io.BufferedReader(io.BytesIO(raw), 65536))
    assert (pairs is None) == (count == 100)


@pytest.mark.parametrize(
    "raw",
    [
        b"GET / HTTP/1.1\r\nX: " + b"a" * 65536 + b"\r\n\r\n",
        b"GET / HTTP/1.1\r\n" + b"X: y\r\n" * 101 + b"\r\n",
    ],
    ids=["line-too-long", "too-many-headers"],
)
def test_oversized_heads_get_the_standard_librarys_431(raw: bytes) -> None:
    stdlib, fast, buffered = _Recording(raw), _Fast(raw), _FastBuffered(raw, 2**17)
    assert fast.outcome() == buffered.outcome() == stdlib.outcome()
    assert fast.answer() == buffered.answer() == stdlib.answer()
    assert fast.answer().startswith(b"HTTP/1.1 431 ")
