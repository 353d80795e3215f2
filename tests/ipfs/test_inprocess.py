"""The in-process transport answers exactly as the socket does, and leaves to the socket what
only the socket can do (faults, a stopped server, oversized bodies)."""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterator

import pytest
import requests

from ogpu_sim.ipfs import IpfsServer, cid_from_link, cid_v0
from ogpu_sim.ipfs.errors import IpfsServerError
from ogpu_sim.ipfs.faults import RequestRecord
from ogpu_sim.ipfs.inprocess import InProcessAdapter, local_app, serve

PIN = {"file": ("task.json", json.dumps({"function_name": "run", "data": {}}), "application/json")}


@pytest.fixture
def in_process(ipfs: IpfsServer) -> Iterator[requests.Session]:
    """A session with the in-process transport mounted on the server's base URL."""
    with requests.Session() as session:
        session.mount(ipfs.url + "/", InProcessAdapter())
        yield session


@pytest.fixture
def socket_session() -> Iterator[requests.Session]:
    """A plain requests session: every request over a socket."""
    with requests.Session() as session:
        yield session


def _timeless(record: RequestRecord) -> RequestRecord:
    return dataclasses.replace(record, time=0.0)


def _headers(response: requests.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.lower() not in ("date", "connection")}


def _same_answer(
    ipfs: IpfsServer,
    in_process: requests.Session,
    socket_session: requests.Session,
    method: str,
    path: str,
    **kwargs: object,
) -> tuple[requests.Response, requests.Response]:
    """One request both ways: the two answers, after checking both were logged alike."""
    over_socket = socket_session.request(method, ipfs.url + path, timeout=10, **kwargs)
    inside = in_process.request(method, ipfs.url + path, timeout=10, **kwargs)
    first, second = ipfs.requests[-2:]
    assert _timeless(second) == _timeless(first)
    return over_socket, inside


def test_a_running_server_is_found_by_its_urls(ipfs: IpfsServer) -> None:
    assert local_app(f"{ipfs.url}/ipfs/{cid_v0(b'x')}") is ipfs


def test_a_stopped_server_is_no_longer_found(ipfs: IpfsServer) -> None:
    url = ipfs.url
    ipfs.stop()
    assert local_app(url + "/file/create") is None


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/no/such/route"), ("POST", "/ipfs"), ("GET", "/ipfs/not-a-cid"), ("GET", "/ipfs")],
)
def test_an_error_answer_is_the_sockets_own(
    ipfs: IpfsServer,
    in_process: requests.Session,
    socket_session: requests.Session,
    method: str,
    path: str,
) -> None:
    over_socket, inside = _same_answer(ipfs, in_process, socket_session, method, path)
    assert (inside.status_code, inside.reason, _headers(inside), inside.content) == (
        over_socket.status_code,
        over_socket.reason,
        _headers(over_socket),
        over_socket.content,
    )


def test_a_pin_is_answered_and_logged_as_over_the_socket(
    ipfs: IpfsServer, in_process: requests.Session, socket_session: requests.Session
) -> None:
    over_socket, inside = _same_answer(
        ipfs, in_process, socket_session, "POST", "/file/create", files=PIN
    )
    assert (inside.status_code, inside.json(), _headers(inside)) == (
        200,
        over_socket.json(),
        _headers(over_socket),
    )
    assert ipfs.requests[-1].route == "/file/create"


def test_a_gateway_read_is_the_sockets_answer(
    ipfs: IpfsServer, in_process: requests.Session, socket_session: requests.Session
) -> None:
    cid = cid_from_link(ipfs.add({"payload": "x" * 300}))
    over_socket, inside = _same_answer(ipfs, in_process, socket_session, "GET", f"/ipfs/{cid}")
    assert (inside.status_code, _headers(inside), inside.content) == (
        200,
        _headers(over_socket),
        over_socket.content,
    )


def test_a_head_has_no_body_and_the_full_length(
    ipfs: IpfsServer, in_process: requests.Session, socket_session: requests.Session
) -> None:
    cid = cid_from_link(ipfs.add(b"twelve bytes"))
    over_socket, inside = _same_answer(ipfs, in_process, socket_session, "HEAD", f"/ipfs/{cid}")
    assert (inside.content, inside.headers["Content-Length"], _headers(inside)) == (
        b"",
        "12",
        _headers(over_socket),
    )


def test_with_a_fault_armed_a_drop_is_a_connection_error(
    ipfs: IpfsServer, in_process: requests.Session
) -> None:
    ipfs.faults.drop(route="/file/create", count=1)
    with pytest.raises(requests.ConnectionError):
        in_process.post(ipfs.publish_url, files=PIN, timeout=10)
    assert [(r.status, r.fault) for r in ipfs.requests] == [(0, "drop")]


def test_with_a_fault_armed_latency_past_the_timeout_is_a_read_timeout(
    ipfs: IpfsServer, in_process: requests.Session
) -> None:
    ipfs.faults.latency(5.0, route="/ipfs")
    with pytest.raises(requests.ReadTimeout):
        in_process.get(f"{ipfs.url}/ipfs/{cid_v0(b'x')}", timeout=0.1)


def test_once_its_fault_expires_the_server_is_answered_in_process_again(
    ipfs: IpfsServer, in_process: requests.Session
) -> None:
    ipfs.faults.fail_next(1, status=503, route="/file/create")
    statuses = [in_process.post(ipfs.publish_url, files=PIN, timeout=10).status_code for _ in "ab"]
    assert (statuses, ipfs.faults.armed) == ([503, 200], False)
    assert [(r.status, r.fault) for r in ipfs.requests] == [(503, "status"), (200, None)]


def test_an_upload_over_the_limit_gets_the_sockets_413(
    ipfs: IpfsServer, in_process: requests.Session
) -> None:
    big = {"file": ("big.bin", b"x" * (ipfs.max_upload_bytes + 1), "application/octet-stream")}
    answer = in_process.post(ipfs.publish_url, files=big, timeout=10)
    assert (answer.status_code, [r.status for r in ipfs.requests]) == (413, [413])


def test_a_stopped_server_refuses_the_connection(
    ipfs: IpfsServer, in_process: requests.Session
) -> None:
    url = ipfs.publish_url
    ipfs.stop()
    with pytest.raises(requests.ConnectionError):
        in_process.post(url, files=PIN, timeout=10)


def test_a_streamed_body_goes_over_the_socket(
    ipfs: IpfsServer, in_process: requests.Session
) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"not multipart"

    answer = in_process.post(ipfs.publish_url, data=chunks(), timeout=10)
    assert (answer.status_code, ipfs.requests[-1].bytes) == (415, 13)


class _StoppedJustNow:
    """A server that stops between the in-process path's first checks and its answer."""

    def __init__(self, ipfs: IpfsServer) -> None:
        self.store, self.faults, self.requests = ipfs.store, ipfs.faults, ipfs.requests
        self.max_upload_bytes, self.stopping = ipfs.max_upload_bytes, threading.Event()

    @property
    def url(self) -> str:
        raise IpfsServerError("the IPFS server is not started; call start() first")


def test_a_server_stopping_mid_request_leaves_it_to_the_socket(ipfs: IpfsServer) -> None:
    assert serve(_StoppedJustNow(ipfs), "GET", f"/ipfs/{cid_v0(b'x')}", {}, b"") is None
    assert list(ipfs.requests) == []
