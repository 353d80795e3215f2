"""A provider's config GET from a loopback gateway: urllib3's bytes out, urllib3's answers and
errors back, a plain answer read without it."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator

import pytest
import urllib3

from ogpu_sim.actors import tasks
from ogpu_sim.actors.gateway import LoopbackGateway, urllib3_get
from ogpu_sim.ipfs import IpfsServer

CONFIG = {"function_name": "multiply", "data": {"a": 6}}


def _pool(port: int, timeout: float = 5.0) -> urllib3.HTTPConnectionPool:
    return urllib3.HTTPConnectionPool(
        "127.0.0.1", port, timeout=timeout, retries=tasks._RETRIES, headers=tasks._HEADERS
    )


@pytest.fixture
def ipfs() -> Iterator[IpfsServer]:
    with IpfsServer() as server:
        yield server


@pytest.fixture
def raw_server() -> Iterator[Callable[[Callable[[socket.socket], None]], int]]:
    """A one-connection server on a free port running ``serve(connection)``; its port."""
    listener = socket.create_server(("127.0.0.1", 0))
    threads: list[threading.Thread] = []

    def start(serve: Callable[[socket.socket], None]) -> int:
        def run() -> None:
            connection, _ = listener.accept()
            with connection:
                serve(connection)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        threads.append(thread)
        return int(listener.getsockname()[1])

    yield start
    listener.close()
    for thread in threads:
        thread.join(5)


def _outcome(get: Callable[[], object]) -> str:
    try:
        response = get()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    assert hasattr(response, "status_code")
    return f"{response.status_code} {response.content!r}"


def test_the_request_is_the_bytes_urllib3_sends(raw_server):
    seen: list[bytes] = []

    def serve(connection: socket.socket) -> None:
        seen.append(connection.recv(65536))
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")

    port = raw_server(serve)
    pool = _pool(port)
    LoopbackGateway(pool).get("u", "/ipfs/Qm?x=1")
    raw_server(serve)
    urllib3_get(pool, "u", "/ipfs/Qm?x=1")

    assert seen[0] == seen[1]
    assert seen[0].startswith(f"GET /ipfs/Qm?x=1 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n".encode())


@pytest.mark.parametrize(
    "arm",
    [
        lambda f: f.drop(route="/ipfs", count=1),
        lambda f: f.truncate(10, route="/ipfs", count=1),
        lambda f: f.wrong_content(b"not json", count=1),
        lambda f: f.fail_next(1, status=503, route="/ipfs"),
    ],
    ids=["drop", "truncate", "wrong-content", "status"],
)
def test_a_faulty_answer_reads_as_urllib3_reads_it(ipfs, arm):
    uri = "/ipfs/" + ipfs.add(CONFIG).rsplit("/ipfs/", 1)[1]
    pool, gateway = _pool(ipfs.port), LoopbackGateway(_pool(ipfs.port))
    gateway.get("u", uri)  # a kept-alive connection, as between two fetches of a run
    arm(ipfs.faults)
    fast = _outcome(lambda: gateway.get("u", uri))
    arm(ipfs.faults)
    slow = _outcome(lambda: urllib3_get(pool, "u", uri))

    assert fast == slow
    assert _outcome(lambda: gateway.get("u", uri)) == f"200 {ipfs.get(uri)!r}"


def test_a_chunked_answer_is_read_by_urllib3(raw_server):
    def serve(connection: socket.socket) -> None:
        connection.recv(65536)
        connection.sendall(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            b'3\r\n{"a\r\n4\r\n": 1\r\n1\r\n}\r\n0\r\n\r\n'
        )

    port = raw_server(serve)
    gateway = LoopbackGateway(_pool(port))

    assert _outcome(lambda: gateway.get("u", "/x")) == "200 b'{\"a\": 1}'"
    assert gateway.sock is None


def test_a_silent_gateway_times_out_with_urllib3s_error(raw_server):
    release = threading.Event()

    def serve(connection: socket.socket) -> None:
        connection.recv(65536)
        connection.sendall(b"HTTP/1.1 200 OK\r\n")
        release.wait(5)

    port = raw_server(serve)
    outcome = _outcome(lambda: LoopbackGateway(_pool(port, timeout=0.2)).get("u", "/x"))
    release.set()

    assert outcome == (
        f"ReadTimeoutError: HTTPConnectionPool(host='127.0.0.1', port={port}): "
        "Read timed out. (read timeout=0.2)"
    )


def _fetched_once(ipfs):
    """A gateway to ``ipfs`` that has fetched the config once; with the config's url and uri."""
    url = ipfs.add(CONFIG)
    gateway = LoopbackGateway(_pool(ipfs.port))
    uri = "/ipfs/" + url.rsplit("/ipfs/", 1)[1]
    gateway.get(url, uri)
    return gateway, url, uri


def test_one_connection_serves_every_fetch_of_a_gateway(ipfs):
    gateway, url, uri = _fetched_once(ipfs)
    first = gateway.sock
    gateway.get(url, uri)

    assert (gateway.sock is first, gateway.dropped()) == (True, False)


def test_a_connection_the_gateway_closed_is_replaced(ipfs):
    gateway, url, uri = _fetched_once(ipfs)
    first = gateway.sock
    ipfs.faults.truncate(len(ipfs.get(uri)), route="/ipfs", count=1)  # answers, then hangs up
    gateway.get(url, uri)

    closed = gateway.sock is None

    assert (closed, _outcome(lambda: gateway.get(url, uri))) == (True, f"200 {ipfs.get(uri)!r}")
    assert gateway.sock is not first


def test_threads_sharing_a_gateway_each_get_the_whole_answer(ipfs):
    gateway, url, uri = _fetched_once(ipfs)
    outcomes: list[str] = []

    def fetch() -> None:
        for _ in range(40):
            outcomes.append(_outcome(lambda: gateway.get(url, uri)))

    threads = [threading.Thread(target=fetch) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert outcomes == [f"200 {ipfs.get(uri)!r}"] * 120
