"""Arbitrary bytes on the wire never take the server down, and always get a proper status."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ogpu_sim.ipfs import IpfsServer

STATUS_LINE = re.compile(rb"^HTTP/1\.[01] [1-5]\d\d [^\r\n]*\r\n")
ROUTES = ["/file/create", "/api/v0/add", "/api/v0/cat?arg=x", "/ipfs/Qm", "/", "/api/v0/pin/ls"]
FUZZ = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def server() -> Iterator[IpfsServer]:
    """One server for every example, so a crash in one example shows in the next."""
    with IpfsServer(max_upload_bytes=4096) as ipfs:
        yield ipfs


def exchange(server: IpfsServer, request: bytes) -> bytes:
    """Send raw bytes, half-close, and return the first answer's bytes."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(request)
        sock.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


def assert_still_serving(server: IpfsServer) -> None:
    reply = requests.post(f"{server.url}/api/v0/version", timeout=10)
    assert reply.status_code == 200


@FUZZ
@given(raw=st.binary(min_size=1, max_size=600))
def test_arbitrary_bytes_get_a_status_line(server: IpfsServer, raw: bytes) -> None:
    answer = exchange(server, raw)
    assert STATUS_LINE.match(answer), answer[:120]
    assert_still_serving(server)


@FUZZ
@given(
    route=st.sampled_from(ROUTES),
    boundary=st.text(
        alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=0, max_size=30
    ),
    body=st.binary(max_size=2000),
    declared=st.one_of(st.none(), st.integers(min_value=0, max_value=10_000)),
)
def test_arbitrary_multipart_bodies_get_a_status_line(
    server: IpfsServer, route: str, boundary: str, body: bytes, declared: int | None
) -> None:
    length = len(body) if declared is None else declared
    head = (
        f"POST {route} HTTP/1.1\r\nHost: fuzz\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()
    answer = exchange(server, head + body)
    assert STATUS_LINE.match(answer), answer[:120]
    assert_still_serving(server)


@FUZZ
@given(
    boundary=st.sampled_from(["b", "xyz", "----x"]),
    parts=st.lists(
        st.tuples(st.binary(max_size=40), st.binary(max_size=200)), min_size=0, max_size=4
    ),
)
def test_well_framed_multipart_with_arbitrary_headers_and_payloads(
    server: IpfsServer, boundary: str, parts: list[tuple[bytes, bytes]]
) -> None:
    body = b"".join(
        b"--" + boundary.encode() + b"\r\n" + header + b"\r\n\r\n" + payload + b"\r\n"
        for header, payload in parts
    )
    body += b"--" + boundary.encode() + b"--\r\n"
    head = (
        f"POST /file/create HTTP/1.1\r\nContent-Type: multipart/form-data; boundary={boundary}"
        f"\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    answer = exchange(server, head + body)
    assert STATUS_LINE.match(answer), answer[:120]
    status = int(answer[9:12])
    assert status in (200, 400, 413), answer[:200]
    assert_still_serving(server)
