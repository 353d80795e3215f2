"""Binding the SDK to a simulator and restoring every global when it stops."""

from __future__ import annotations

import os
import socket

import ogpu.ipfs.fetch as fetch
import ogpu.ipfs.publish as publish
import pytest
import requests
from ogpu.chain.config import CHAIN_RPC_URLS, ChainConfig, ChainId
from ogpu.chain.web3 import Web3Manager
from ogpu.ipfs import fetch_ipfs_json, publish_to_ipfs
from ogpu.types.errors import IPFSFetchError

from ogpu_sim import Simulator
from ogpu_sim.ipfs.inprocess import InProcessAdapter
from ogpu_sim.sdk.binding import SdkBinding


def test_both_chain_ids_point_at_the_simulator(sim):
    for chain in (ChainId.OGPU_MAINNET, ChainId.OGPU_TESTNET):
        assert ChainConfig.CHAIN_CONTRACTS[chain]["NEXUS"] == sim.deployment.addresses["NEXUS"]
        assert CHAIN_RPC_URLS[chain] == sim.rpc_url
        assert Web3Manager._web3_instances[chain] is sim.w3


def test_the_ipfs_upload_endpoint_is_the_mock(sim):
    assert sim.ipfs.publish_url == publish._IPFS_PUBLISH_URL


def test_role_keys_are_the_simulator_accounts(sim):
    assert os.environ["CLIENT_PRIVATE_KEY"] == "0x" + bytes(sim.accounts.client.key).hex()


def test_stopping_a_nested_simulator_restores_the_outer_binding(sim):
    with Simulator.start() as inner:
        assert (
            ChainConfig.CHAIN_CONTRACTS[ChainId.OGPU_TESTNET]["NEXUS"]
            == (inner.deployment.addresses["NEXUS"])
        )
    assert (
        ChainConfig.CHAIN_CONTRACTS[ChainId.OGPU_TESTNET]["NEXUS"]
        == (sim.deployment.addresses["NEXUS"])
    )
    assert sim.ipfs.publish_url == publish._IPFS_PUBLISH_URL


def test_the_chain_id_defaults_to_the_ogpu_testnet(sim):
    assert sim.w3.eth.chain_id == 200820172034


def test_the_sdks_ipfs_helpers_reach_the_mock_without_a_socket(sim, monkeypatch):
    def no_socket(*args):
        raise AssertionError("a socket was connected")

    monkeypatch.setattr(socket.socket, "connect", no_socket)
    link = publish_to_ipfs({"a": 1}, filename="a.json")
    assert fetch_ipfs_json(link) == {"a": 1}
    assert [(r.method, r.route, r.status) for r in sim.ipfs.requests[-2:]] == [
        ("POST", "/file/create", 200),
        ("GET", "/ipfs", 200),
    ]


def test_with_a_fault_armed_the_sdk_meets_it_over_the_socket(sim):
    sim.ipfs.faults.fail_next(1, status=503, route="/file/create")
    link = publish_to_ipfs({"b": 2}, backoff=0.01)
    assert sim.ipfs.get_json(link) == {"b": 2}
    assert [(r.status, r.fault) for r in sim.ipfs.requests[-2:]] == [(503, "status"), (200, None)]


def test_a_nested_simulator_routes_the_sdks_ipfs_requests_to_its_own_server(sim):
    with Simulator.start() as inner:
        link = publish_to_ipfs({"c": 3})
        assert link.startswith(inner.ipfs.url + "/ipfs/")
    assert (publish.requests.prefix, fetch.requests.prefix) == (sim.ipfs.url + "/",) * 2


def test_unbinding_gives_the_sdks_ipfs_helpers_back_what_they_had(sim):
    before = (publish.requests, fetch.requests)
    binding = SdkBinding(
        w3=sim.w3,
        rpc_url=sim.rpc_url,
        addresses=dict(sim.deployment.addresses),
        ipfs_publish_url="http://127.0.0.1:9/file/create",
        ipfs_adapter=InProcessAdapter(),
    )
    binding.bind()
    assert publish.requests.prefix == "http://127.0.0.1:9/"
    binding.unbind()
    assert (publish.requests, fetch.requests) == before


def test_a_patched_requests_post_still_sees_the_sdks_pin(sim, monkeypatch):
    seen = []

    def fake_post(url, **kwargs):
        seen.append(url)
        raise requests.ConnectionError("patched")

    monkeypatch.setattr(requests, "post", fake_post)
    with pytest.raises(IPFSFetchError, match="patched"):
        publish_to_ipfs({"d": 4}, retries=1)
    assert seen == [sim.ipfs.publish_url]


def test_a_url_of_another_server_goes_through_requests_own_get(sim, monkeypatch):
    asked = []
    monkeypatch.setattr(requests, "get", lambda url, **kwargs: asked.append(url) or _json_answer())
    assert fetch_ipfs_json("http://127.0.0.1:9/ipfs/x") == {"e": 5}
    assert asked == ["http://127.0.0.1:9/ipfs/x"]


def _json_answer() -> requests.Response:
    answer = requests.Response()
    answer.status_code, answer._content = 200, b'{"e": 5}'
    return answer
