"""Binding the SDK to a simulator and restoring every global when it stops."""

from __future__ import annotations

import os

import ogpu.ipfs.publish as publish
from ogpu.chain.config import CHAIN_RPC_URLS, ChainConfig, ChainId
from ogpu.chain.web3 import Web3Manager

from ogpu_sim import Simulator


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
