"""Connection threads are kept for the next connection, never shared, and all joined on stop."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable

import ogpu.ipfs
import pytest

from ogpu_sim.ipfs import IpfsServer
from ogpu_sim.ipfs.http import ConnectionWorkers


def serving_thread(server: IpfsServer) -> str:
    """Open a connection, ask for the version, and return the name of the thread that served it."""
    names: list[str] = []
    original = server.requests.append

    def note(record: object) -> None:
        names.append(threading.current_thread().name)
        original(record)  # type: ignore[arg-type]

    server.requests.append = note  # type: ignore[method-assign]
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            sock.sendall(b"POST /api/v0/version HTTP/1.1\r\nConnection: close\r\n\r\n")
            while sock.recv(65536):
                pass
    finally:
        server.requests.append = original  # type: ignore[method-assign]
    return names[0]


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 5
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_a_thread_that_served_a_connection_serves_the_next(ipfs: IpfsServer) -> None:
    first = serving_thread(ipfs)
    assert ipfs._httpd is not None
    workers = ipfs._httpd.workers
    wait_until(lambda: workers.idle == 1)  # idle once the connection is shut
    assert serving_thread(ipfs) == first
    assert first.startswith("ogpu-sim-ipfs-conn-")


def test_workers_are_not_daemon_threads_so_exit_waits_for_a_request_in_flight(
    ipfs: IpfsServer,
) -> None:
    name = serving_thread(ipfs)
    (worker,) = [t for t in threading.enumerate() if t.name == name]
    assert worker.daemon is False


def test_an_open_keep_alive_connection_does_not_hold_up_another(sdk_ipfs: IpfsServer) -> None:
    with socket.create_connection(("127.0.0.1", sdk_ipfs.port), timeout=5) as held:
        held.sendall(b"POST /api/v0/version HTTP/1.1\r\n\r\n")
        assert held.recv(65536).startswith(b"HTTP/1.1 200 OK")
        link = ogpu.ipfs.publish_to_ipfs({"a": 1}, timeout=5)
    assert sdk_ipfs.get_json(link) == {"a": 1}


def test_stop_joins_idle_and_busy_workers() -> None:
    before = set(threading.enumerate())
    server = IpfsServer().start()
    serving_thread(server)
    busy = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    busy.sendall(b"POST /api/v0/version HTTP/1.1\r\n\r\n")
    busy.recv(65536)
    server.stop()
    busy.close()
    assert set(threading.enumerate()) - before == set()


def test_an_idle_worker_exits_after_its_idle_time() -> None:
    served = threading.Event()
    workers = ConnectionWorkers(lambda: served.set(), "test-worker")
    workers.idle_seconds = 0.05
    workers.submit()
    assert served.wait(5)
    wait_until(lambda: not any(t.name.startswith("test-worker") for t in threading.enumerate()))
    assert workers.idle == 0
    workers.close()


def test_work_submitted_while_every_worker_is_busy_gets_a_new_thread() -> None:
    release = threading.Event()
    names: list[str] = []

    def serve(block: bool) -> None:
        names.append(threading.current_thread().name)
        if block:
            release.wait(5)

    workers = ConnectionWorkers(serve, "test-busy")
    try:
        workers.submit(True)
        workers.submit(False)
        wait_until(lambda: len(names) == 2)
        assert names == ["test-busy-1", "test-busy-2"]
    finally:
        release.set()
        workers.close()


@pytest.mark.parametrize("idle", [0, 3])
def test_close_returns_with_no_worker_left(idle: int) -> None:
    workers = ConnectionWorkers(lambda: None, "test-close")
    for _ in range(idle):
        workers.submit()
    wait_until(lambda: workers.idle >= min(idle, 1))
    workers.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("test-close")]
