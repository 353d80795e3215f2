"""The callback server's answers are written byte for byte as http.server's header methods write
them, in one write."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from ogpu_sim.runtime.callbacks import _RequestHandler


class _Offline(_RequestHandler):
    """The callback handler writing to bytes, with a fixed date and a count of its writes."""

    def __init__(self) -> None:  # no socket, no server
        self.wfile = io.BytesIO()
        self.writes = 0
        self.client_address = ("127.0.0.1", 1)
        self.requestline = "POST /0x1 HTTP/1.1"
        self.request_version = "HTTP/1.1"
        self.command = "POST"
        original = self.wfile.write

        def counted(data: bytes) -> int:
            self.writes += 1
            return original(data)

        self.wfile.write = counted  # type: ignore[method-assign]

    def date_time_string(self, timestamp: float | None = None) -> str:
        return "Thu, 01 Jan 2026 00:00:00 GMT"

    def log_message(self, format: str, *args: Any) -> None:
        pass


def stdlib_bytes(status: int, message: str) -> bytes:
    handler = _Offline()
    payload = json.dumps({"status" if status == 200 else "error": message}).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(payload)))
    handler.end_headers()
    handler.wfile.write(payload)
    return handler.wfile.getvalue()


ANSWERS = [
    (200, "ok"),
    (404, "no task expects this callback"),
    (409, "callback already received"),
    (411, "Content-Length header required"),
    (413, "body of 1 bytes is too large"),
    (405, "POST only"),
    (400, 'body is not JSON: "ü"'),
]


@pytest.mark.parametrize(("status", "message"), ANSWERS)
def test_an_answer_is_the_standard_librarys_bytes_in_one_write(status: int, message: str) -> None:
    handler = _Offline()
    handler._answer((status, message))
    assert handler.wfile.getvalue() == stdlib_bytes(status, message)
    assert handler.writes == 1
