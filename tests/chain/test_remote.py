"""RemoteChain against nodes that lack test methods, create_chain's choices, loopback rules."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from ogpu_sim.chain import create_chain
from ogpu_sim.chain.base import is_loopback_url
from ogpu_sim.chain.jsonrpc import METHOD_NOT_FOUND, RpcError
from ogpu_sim.chain.remote import MissingRpcMethodError, RemoteChain
from ogpu_sim.chain.rpc_server import RpcServer
from ogpu_sim.errors import ChainError, ConfigError


def plain_node(method: str, params: Any) -> Any:
    """A node with the standard eth_ methods a RemoteChain needs and no test methods."""
    if method == "eth_chainId":
        return hex(5)
    raise RpcError(METHOD_NOT_FOUND, f"the method {method} does not exist/is not available")


@pytest.fixture(scope="module")
def plain_url() -> Iterator[str]:
    with RpcServer(plain_node) as server:
        yield server.url


@pytest.mark.parametrize(
    ("operation", "method"),
    [
        (lambda chain: chain.snapshot(), "evm_snapshot"),
        (lambda chain: chain.mine(), "evm_mine"),
        (
            lambda chain: chain.set_balance("0x" + "11" * 20, 1),
            "anvil_setBalance or hardhat_setBalance",
        ),
    ],
)
def test_a_missing_test_method_raises_a_ChainError_naming_it(
    plain_url: str, operation: Any, method: str
) -> None:
    chain = RemoteChain(plain_url)
    with pytest.raises(MissingRpcMethodError) as info:
        operation(chain)
    assert f"needs the JSON-RPC method {method}, which the node at {plain_url}" in str(info.value)
    assert isinstance(info.value, ChainError)


def test_a_remote_chain_reads_the_node_chain_id_and_is_local_on_loopback(plain_url: str) -> None:
    chain = RemoteChain(plain_url)
    assert (chain.chain_id, chain.is_local, chain.rpc_url, chain.serve()) == (
        5,
        True,
        plain_url,
        plain_url,
    )


def test_an_unreachable_node_raises_ChainError_naming_the_url() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    with pytest.raises(ChainError, match=f"cannot reach a JSON-RPC node at {url}"):
        RemoteChain(url, timeout=2)


def test_a_non_http_url_raises_ConfigError() -> None:
    with pytest.raises(ConfigError, match=r"^rpc_url: must be an http:// or https:// URL"):
        RemoteChain("ws://127.0.0.1:8545")


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("http://127.0.0.1:8545", True),
        ("http://127.1.2.3:1", True),
        ("http://localhost:8545", True),
        ("http://[::1]:8545", True),
        ("http://10.0.0.1:8545", False),
        ("https://rpc.example.com", False),
    ],
)
def test_only_loopback_urls_count_as_local(url: str, local: bool) -> None:
    assert is_loopback_url(url) is local


def test_create_chain_names_the_known_backends_for_an_unknown_one() -> None:
    with pytest.raises(ConfigError) as info:
        create_chain("ganache")
    assert str(info.value) == (
        "backend: unknown chain backend 'ganache'; known: eth-tester, revm, anvil, rpc"
    )


def test_create_chain_rpc_needs_a_url() -> None:
    with pytest.raises(ConfigError, match=r'^rpc_url: backend "rpc" needs rpc_url='):
        create_chain("rpc")


def test_create_chain_eth_tester_refuses_unknown_options() -> None:
    with pytest.raises(ConfigError, match=r"^binary: not an option of the .eth-tester. backend"):
        create_chain("eth-tester", binary="/bin/anvil")
