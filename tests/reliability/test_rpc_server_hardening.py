"""The JSON-RPC server under hostile bodies, bursts of connections and careless clients."""

from __future__ import annotations

import json
import socket
import struct
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from ogpu_sim.chain.rpc_server import MAX_JSON_DEPTH, RpcServer, json_too_deep
from ogpu_sim.chain.tester import TesterChain

from .conftest import Tally

CHAIN_ID = hex(200820172034)
CHAIN_ID_CALL = b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}'


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with TesterChain() as chain:
        yield chain.serve()


def address(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    return host, int(port)


def raw_request(body: bytes, headers: dict[str, str] | None = None, version: str = "1.1") -> bytes:
    fields = {"Host": "127.0.0.1", "Content-Type": "application/json"}
    fields.update(headers if headers is not None else {"Content-Length": str(len(body))})
    head = "".join(f"{name}: {value}\r\n" for name, value in fields.items())
    return f"POST / HTTP/{version}\r\n{head}\r\n".encode() + body


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One HTTP response read off ``sock``: status, lower-cased headers, body."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed after {data!r}")
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines)}
    while len(body) < int(headers["content-length"]):
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed mid-body")
        body += chunk
    return int(status_line.split()[1]), headers, body


def closed_by_peer(sock: socket.socket) -> bool:
    sock.settimeout(5)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


# -- bodies that used to crash or leak ----------------------------------------------------------


def test_a_body_of_100000_open_brackets_is_a_parse_error_and_the_server_keeps_serving(
    url: str, tally: Tally
) -> None:
    tally("bad_inputs", 1)
    assert sys.getrecursionlimit() >= 100_000  # py-evm's import raised it: json.loads would crash
    answer = requests.post(url, data="[" * 100_000, timeout=10).json()
    assert answer == {
        "jsonrpc": "2.0",
        "id": None,
        "error": {"code": -32700, "message": "parse error: JSON nested deeper than 128 levels"},
    }
    assert requests.post(url, data=CHAIN_ID_CALL, timeout=10).json()["result"] == CHAIN_ID


def test_deep_objects_inside_a_valid_request_are_refused_too(url: str, tally: Tally) -> None:
    tally("bad_inputs", 1)
    params = "[" + '{"a":' * 200 + "1" + "}" * 200 + "]"
    body = '{"jsonrpc":"2.0","id":1,"method":"eth_call","params":' + params + "}"
    assert requests.post(url, data=body, timeout=10).json()["error"]["code"] == -32700


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    assert json_too_deep(b'["' + b"[" * 1000 + b'"]') is False
    assert json_too_deep(b'["\\"' + b"[" * 1000 + b'"]') is False
    assert json_too_deep(b"[" * (MAX_JSON_DEPTH + 1)) is True
    assert json_too_deep(b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH) is False


def test_a_batch_of_many_requests_is_not_mistaken_for_deep_nesting(url: str) -> None:
    batch = [{"jsonrpc": "2.0", "id": i, "method": "eth_chainId", "params": []} for i in range(300)]
    answers = requests.post(url, json=batch, timeout=10).json()
    assert [a["result"] for a in answers] == [CHAIN_ID] * 300


def test_a_body_over_the_size_limit_is_a_413_that_names_the_limit(tally: Tally) -> None:
    tally("bad_inputs", 1)
    with RpcServer(lambda method, params: "ok", max_body_bytes=1024) as server:
        response = requests.post(server.url, data=b"x" * 2048, timeout=10)
        assert response.status_code == 413
        assert response.json()["error"] == {
            "code": -32600,
            "message": "request body of 2048 bytes is over the limit of 1024 bytes",
        }
        ok = requests.post(server.url, data=CHAIN_ID_CALL, timeout=10)
        assert ok.json()["result"] == "ok"


def test_a_post_without_content_length_is_a_411(url: str) -> None:
    with socket.create_connection(address(url), timeout=10) as sock:
        sock.sendall(raw_request(b"", headers={}))
        status, _headers, body = read_response(sock)
    assert (status, json.loads(body)["error"]["message"]) == (
        411,
        "a JSON-RPC POST needs a Content-Length header",
    )


def test_a_chunked_body_is_answered(url: str) -> None:
    chunked = b"".join(
        b"%x\r\n%s\r\n" % (len(part), part) for part in (CHAIN_ID_CALL[:10], CHAIN_ID_CALL[10:])
    )
    with socket.create_connection(address(url), timeout=10) as sock:
        sock.sendall(raw_request(chunked + b"0\r\n\r\n", headers={"Transfer-Encoding": "chunked"}))
        status, _headers, body = read_response(sock)
    assert (status, json.loads(body)["result"]) == (200, CHAIN_ID)


def test_a_request_for_a_foreign_host_name_is_refused(url: str, tally: Tally) -> None:
    tally("bad_inputs", 1)
    response = requests.post(url, data=CHAIN_ID_CALL, headers={"Host": "evil.example"}, timeout=10)
    assert response.status_code == 403
    assert response.json()["error"]["message"] == (
        "invalid host 'evil.example': this node answers loopback names only"
    )


@pytest.mark.parametrize("host", ["127.0.0.1:8545", "localhost", "[::1]:8545", "LOCALHOST:1"])
def test_loopback_host_names_are_answered(url: str, host: str) -> None:
    response = requests.post(url, data=CHAIN_ID_CALL, headers={"Host": host}, timeout=10)
    assert response.json()["result"] == CHAIN_ID


# -- HTTP framing and keep-alive ----------------------------------------------------------------


def test_headers_and_body_arrive_in_one_segment(url: str) -> None:
    with socket.create_connection(address(url), timeout=10) as sock:
        sock.sendall(raw_request(CHAIN_ID_CALL))
        first = sock.recv(65536)
    head, body = first.split(b"\r\n\r\n", 1)
    assert b"Content-Length: %d" % len(body) in head
    assert json.loads(body)["result"] == CHAIN_ID


def test_http_1_1_keeps_the_connection_for_the_next_request(url: str) -> None:
    with socket.create_connection(address(url), timeout=10) as sock:
        for _ in range(3):
            sock.sendall(raw_request(CHAIN_ID_CALL))
            status, headers, body = read_response(sock)
            assert (status, "connection" in headers) == (200, False)
            assert json.loads(body)["result"] == CHAIN_ID


def test_connection_close_is_echoed_and_honoured(url: str) -> None:
    with socket.create_connection(address(url), timeout=10) as sock:
        request = raw_request(
            CHAIN_ID_CALL, {"Content-Length": str(len(CHAIN_ID_CALL)), "Connection": "close"}
        )
        sock.sendall(request)
        _status, headers, _body = read_response(sock)
        assert headers["connection"] == "close"
        assert closed_by_peer(sock)


def test_http_1_0_closes_unless_keep_alive_is_asked(url: str) -> None:
    with socket.create_connection(address(url), timeout=10) as sock:
        sock.sendall(raw_request(CHAIN_ID_CALL, version="1.0"))
        assert read_response(sock)[1]["connection"] == "close"
        assert closed_by_peer(sock)
    with socket.create_connection(address(url), timeout=10) as sock:
        headers = {"Content-Length": str(len(CHAIN_ID_CALL)), "Connection": "keep-alive"}
        for _ in range(2):
            sock.sendall(raw_request(CHAIN_ID_CALL, headers, version="1.0"))
            assert read_response(sock)[1]["connection"] == "keep-alive"


# -- load and careless clients ------------------------------------------------------------------


def test_200_simultaneous_fresh_connections_are_all_answered(url: str, tally: Tally) -> None:
    count = 200
    start = threading.Barrier(count)
    answers: list[Any] = []
    failures: list[BaseException] = []

    def client() -> None:
        try:
            start.wait(timeout=30)
            with socket.create_connection(address(url), timeout=30) as sock:
                sock.sendall(raw_request(CHAIN_ID_CALL))
                answers.append(json.loads(read_response(sock)[2])["result"])
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=client) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    tally("load", count, lost=count - answers.count(CHAIN_ID))
    assert (failures, answers) == ([], [CHAIN_ID] * count)


def test_clients_that_hang_up_early_leave_no_traceback_on_stderr(
    url: str, capfd: pytest.CaptureFixture[str], tally: Tally
) -> None:
    tally("bad_inputs", 10)
    for _ in range(5):
        with socket.create_connection(address(url), timeout=10) as sock:  # half a body
            sock.sendall(raw_request(b'{"jsonrpc"', {"Content-Length": "500"}))
        with socket.create_connection(address(url), timeout=10) as sock:  # reset before reading
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.sendall(raw_request(CHAIN_ID_CALL) * 50)
    assert requests.post(url, data=CHAIN_ID_CALL, timeout=10).json()["result"] == CHAIN_ID
    assert capfd.readouterr().err == ""
