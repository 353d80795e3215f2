"""The mock IPFS under load: every connection answered, every call right, nothing lost."""

from __future__ import annotations

import random
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from ogpu_sim.ipfs import IpfsServer, cid_v0, cid_v1

from .conftest import Tally

CONNECTIONS = 200
THREADS = 20
CALLS_PER_THREAD = 100


@pytest.fixture
def server() -> Iterator[IpfsServer]:
    with IpfsServer() as ipfs:
        yield ipfs


def test_200_simultaneous_connections_are_all_answered(server: IpfsServer, tally: Tally) -> None:
    cid = server.add(b"under load").rsplit("/", 1)[1]
    request = f"GET /ipfs/{cid} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
    sockets = [
        socket.create_connection(("127.0.0.1", server.port), timeout=30) for _ in range(CONNECTIONS)
    ]
    start = threading.Barrier(CONNECTIONS)

    def ask(sock: socket.socket) -> bytes:
        with sock:
            start.wait(timeout=30)  # every connection is open before any request goes out
            sock.sendall(request)
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
            return answer

    with ThreadPoolExecutor(CONNECTIONS) as pool:
        answers = list(pool.map(ask, sockets))

    answered = [a for a in answers if a.startswith(b"HTTP/1.1 200 ") and a.endswith(b"under load")]
    assert len(answered) == CONNECTIONS
    tally("load", CONNECTIONS, lost=CONNECTIONS - len(answered))


def test_20_threads_x_100_mixed_calls_are_all_right(server: IpfsServer, tally: Tally) -> None:
    def worker(seed: int) -> int:
        rng = random.Random(seed)
        wrong = 0
        mine: list[bytes] = []
        with requests.Session() as session:
            for i in range(CALLS_PER_THREAD):
                kind = rng.choice(["pin", "add", "get", "head", "cat", "ls", "version"])
                if kind in ("pin", "add") or not mine:
                    data = f"thread {seed} call {i}".encode()
                    if kind == "add":
                        reply = session.post(
                            f"{server.url}/api/v0/add?cid-version=1",
                            files={"file": ("f", data)},
                            timeout=30,
                        )
                        ok = reply.json()["Hash"] == cid_v1(data)
                    else:
                        reply = session.post(
                            server.publish_url, files={"file": ("f", data)}, timeout=30
                        )
                        ok = reply.json() == {"link": server.link(cid_v0(data))}
                    mine.append(data)
                elif kind == "get":
                    data = rng.choice(mine)
                    ok = session.get(server.link(cid_v0(data)), timeout=30).content == data
                elif kind == "head":
                    data = rng.choice(mine)
                    reply = session.head(server.link(cid_v1(data)), timeout=30)
                    ok = reply.headers["Content-Length"] == str(len(data))
                elif kind == "cat":
                    data = rng.choice(mine)
                    reply = session.post(f"{server.url}/api/v0/cat?arg={cid_v0(data)}", timeout=30)
                    ok = reply.content == data
                elif kind == "ls":
                    data = rng.choice(mine)
                    reply = session.post(
                        f"{server.url}/api/v0/pin/ls?arg={cid_v0(data)}", timeout=30
                    )
                    ok = reply.json() == {"Keys": {cid_v0(data): {"Type": "recursive"}}}
                else:
                    ok = session.post(f"{server.url}/api/v0/version", timeout=30).status_code == 200
                wrong += not ok
        return wrong

    with ThreadPoolExecutor(THREADS) as pool:
        wrong = sum(pool.map(worker, range(THREADS)))

    assert wrong == 0
    assert len(server.requests.where(status=200)) == THREADS * CALLS_PER_THREAD
    tally("load", THREADS * CALLS_PER_THREAD, lost=wrong)
