"""A node on this machine is reached directly, whatever proxies the environment names."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ogpu_sim.chain.jsonrpc import METHOD_NOT_FOUND, RpcError
from ogpu_sim.chain.remote import RemoteChain, loopback_session
from ogpu_sim.chain.rpc_server import RpcServer

DEAD_PROXY = "http://127.0.0.1:9"


def node(method: str, params: Any) -> Any:
    if method == "eth_chainId":
        return hex(7)
    raise RpcError(METHOD_NOT_FOUND, f"the method {method} does not exist/is not available")


@pytest.fixture
def url() -> Iterator[str]:
    with RpcServer(node) as server:
        yield server.url


def test_a_loopback_session_ignores_the_environment() -> None:
    session = loopback_session("http://127.0.0.1:8545")

    assert session is not None
    assert session.trust_env is False


@pytest.mark.parametrize("url", ["https://rpc.example.org", "http://10.0.0.5:8545"])
def test_a_node_on_another_machine_keeps_webs_own_sessions(url: str) -> None:
    assert loopback_session(url) is None


def test_a_local_node_is_reached_when_the_environment_names_a_dead_proxy(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, DEAD_PROXY)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)

    chain = RemoteChain(url)

    assert chain.chain_id == 7
    assert chain.w3.eth.chain_id == 7
