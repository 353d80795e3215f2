"""Answers are written byte for byte as http.server's own header methods write them."""

from __future__ import annotations

import io
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ogpu_sim.ipfs import routes
from ogpu_sim.ipfs.http import IpfsRequestHandler


class _Offline(IpfsRequestHandler):
    """The IPFS handler writing to bytes, with a fixed date."""

    def __init__(self, close: bool) -> None:  # no socket, no server
        self.wfile = io.BytesIO()
        self.client_address = ("127.0.0.1", 1)
        self.requestline = "GET / HTTP/1.1"
        self.request_version = "HTTP/1.1"
        self.command = "GET"
        self.close_connection = close

    def date_time_string(self, timestamp: float | None = None) -> str:
        return "Thu, 01 Jan 2026 00:00:00 GMT"

    def log_message(self, format: str, *args: Any) -> None:
        pass


def stdlib_bytes(reply: routes.Reply, body: bytes, close: bool) -> bytes:
    """What the standard library's calls write for the same reply."""
    handler = _Offline(close)
    handler.send_response(reply.status)
    handler.send_header("Content-Type", reply.content_type)
    handler.send_header("Content-Length", str(len(reply.body)))
    for name, value in reply.headers.items():
        handler.send_header(name, value)
    if handler.close_connection:
        handler.send_header("Connection", "close")
    handler.end_headers()
    handler.wfile.write(body)
    return handler.wfile.getvalue()


REPLIES = [
    (routes.json_reply(200, {"link": "http://127.0.0.1:1/ipfs/Qm"}), None),
    (routes.Reply(200, b"x" * 70_000, "application/octet-stream", {"ETag": '"Qm"'}), None),
    (routes.Reply(304, b"{}", "application/json", {"ETag": '"Qm"'}), b""),
    (routes.error_reply("/file/create", 405, "GET not allowed; use POST"), None),
    (routes.Reply(599, b"odd", "text/plain"), None),
    (routes.Reply(200, b"0123456789", "text/plain"), b"0123"),  # a truncate fault
]


@pytest.mark.parametrize("close", [False, True], ids=["keep-alive", "close"])
@pytest.mark.parametrize(
    ("reply", "body"), REPLIES, ids=["json", "big", "304", "405", "599", "cut"]
)
def test_an_answer_is_written_as_the_standard_library_writes_it(
    reply: routes.Reply, body: bytes | None, close: bool
) -> None:
    sent = reply.body if body is None else body
    handler = _Offline(close)
    handler._send(reply, sent, hang_up=False)
    assert handler.wfile.getvalue() == stdlib_bytes(reply, sent, close)


@settings(max_examples=300, deadline=None)
@given(now=st.floats(min_value=0, max_value=2**33, allow_nan=False), step=st.floats(0, 2.5))
def test_the_date_kept_for_a_second_is_the_standard_librarys(now: float, step: float) -> None:
    from http.server import BaseHTTPRequestHandler
    from unittest import mock

    from ogpu_sim.ipfs.http import http_date

    for moment in (now, now + step):
        with mock.patch("time.time", return_value=moment):
            expected = BaseHTTPRequestHandler.date_time_string(None)  # type: ignore[arg-type]
            assert http_date() == expected
