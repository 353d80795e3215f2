"""The HTTP JSON-RPC server: protocol edge cases, concurrency and clean shutdown."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from eth_account.signers.local import LocalAccount
from web3 import HTTPProvider, Web3

from ogpu_sim.chain.inprocess import InProcessProvider
from ogpu_sim.chain.jsonrpc import RpcError
from ogpu_sim.chain.rpc_server import RpcServer
from ogpu_sim.chain.tester import TesterChain
from ogpu_sim.errors import ChainError

from .helpers import funded_account, send


@pytest.fixture(scope="module")
def chain() -> Iterator[TesterChain]:
    with TesterChain() as chain:
        chain.serve()
        yield chain


@pytest.fixture(scope="module")
def url(chain: TesterChain) -> str:
    return chain.serve()


def post(url: str, body: Any) -> Any:
    data = body if isinstance(body, (bytes, str)) else None
    response = requests.post(url, data=data, json=None if data is not None else body, timeout=10)
    assert response.status_code == 200
    return response.json()


def call(method: str, params: list[Any] | None = None, request_id: int = 1) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params or []}


def test_invalid_json_answers_parse_error_and_the_server_keeps_serving(url: str) -> None:
    answer = post(url, b"{not json")
    assert (answer["id"], answer["error"]["code"]) == (None, -32700)
    assert answer["error"]["message"].startswith("parse error: ")
    assert post(url, call("eth_chainId"))["result"] == hex(200820172034)


def test_an_unknown_method_answers_minus_32601_naming_it(url: str) -> None:
    assert post(url, call("nope_nothing", request_id=7)) == {
        "jsonrpc": "2.0",
        "id": 7,
        "error": {
            "code": -32601,
            "message": "the method nope_nothing does not exist/is not available",
        },
    }


def test_a_batch_is_answered_in_order_with_each_id(url: str) -> None:
    answers = post(url, [call("net_version", request_id=1), call("eth_chainId", request_id=2)])
    assert answers == [
        {"jsonrpc": "2.0", "id": 1, "result": "200820172034"},
        {"jsonrpc": "2.0", "id": 2, "result": hex(200820172034)},
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "invalid request: empty batch"),
        (42, "invalid request: expected a JSON object"),
        ({"jsonrpc": "2.0", "id": 3}, "invalid request: missing method"),
        (
            {"jsonrpc": "2.0", "id": 3, "method": "eth_chainId", "params": 5},
            "invalid request: params must be a list",
        ),
    ],
)
def test_malformed_requests_answer_minus_32600(url: str, body: Any, message: str) -> None:
    answer = post(url, body)
    assert answer["error"] == {"code": -32600, "message": message}


def test_bad_params_answer_minus_32602(url: str) -> None:
    answer = post(url, call("eth_getBalance", ["not-an-address", "latest"]))
    assert answer["error"]["code"] == -32602


def test_a_GET_is_refused_with_405(url: str) -> None:
    assert requests.get(url, timeout=10).status_code == 405


def test_concurrent_clients_each_get_every_transaction_mined(chain: TesterChain, url: str) -> None:
    accounts: list[LocalAccount] = [funded_account(chain) for _ in range(4)]
    start = chain.w3.eth.block_number
    errors: list[BaseException] = []

    def client(account: LocalAccount) -> None:
        try:
            w3 = Web3(HTTPProvider(url))
            for _ in range(5):
                assert send(w3, account, {"to": account.address, "value": 1})["status"] == 1
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(a,)) for a in accounts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert [chain.w3.eth.get_transaction_count(a.address) for a in accounts] == [5, 5, 5, 5]
    assert chain.w3.eth.block_number == start + 20


def test_close_stops_the_server_and_frees_its_port() -> None:
    chain = TesterChain()
    url = chain.serve()
    port = int(url.rsplit(":", 1)[1])
    keep_alive = requests.Session()
    assert keep_alive.post(url, json=call("eth_chainId"), timeout=10).status_code == 200
    chain.close()
    chain.close()
    assert chain.rpc_url is None
    with pytest.raises(requests.ConnectionError):
        requests.post(url, json=call("eth_chainId"), timeout=2)
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))
    keep_alive.close()


def test_a_failing_handler_answers_minus_32603_and_the_server_survives() -> None:
    def handler(method: str, params: Any) -> Any:
        if method == "boom":
            raise ZeroDivisionError("division by zero")
        if method == "refused":
            raise RpcError(-32000, "refused on purpose")
        return "ok"

    with RpcServer(handler) as server:
        assert post(server.url, call("boom"))["error"] == {
            "code": -32603,
            "message": "internal error: ZeroDivisionError: division by zero",
        }
        assert post(server.url, call("refused"))["error"] == {
            "code": -32000,
            "message": "refused on purpose",
        }
        assert post(server.url, call("anything"))["result"] == "ok"


def test_a_web3_provider_can_be_served_under_a_lock() -> None:
    lock = threading.RLock()
    provider = InProcessProvider(lambda method, params: f"{method} answered")
    with RpcServer(provider, lock) as server:
        assert post(server.url, call("eth_chainId", request_id=9)) == {
            "jsonrpc": "2.0",
            "id": 9,
            "result": "eth_chainId answered",
        }


def test_the_server_binds_loopback_only() -> None:
    with pytest.raises(ChainError, match=r"binds loopback only, not '0\.0\.0\.0'"):
        RpcServer(lambda method, params: None, host="0.0.0.0")
