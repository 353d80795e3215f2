"""Chain time: it follows the wall clock, never runs ahead of it, and can be replaced."""

from __future__ import annotations

import time

import pytest

from ogpu_sim.chain import create_chain
from ogpu_sim.errors import ChainError

from .helpers import EVERY_BACKEND, IN_PROCESS, deploy_probe, funded_account, signed_transfer


@pytest.mark.parametrize("backend", IN_PROCESS)
def test_a_frozen_clock_stops_block_time_following_the_wall_clock(backend):
    with create_chain(backend) as chain:
        frozen = float(int(time.time()))
        chain.set_clock(lambda: frozen)
        before = chain.now()

        time.sleep(1.1)

        assert chain.now() == before


@pytest.mark.parametrize("backend", IN_PROCESS)
def test_set_clock_none_restores_the_wall_clock(backend):
    with create_chain(backend) as chain:
        chain.set_clock(lambda: 0.0)
        chain.set_clock(None)

        assert chain.now() >= int(time.time())


def test_a_served_chain_reached_over_rpc_cannot_replace_its_nodes_clock():
    with create_chain("eth-tester") as node, create_chain("rpc", rpc_url=node.serve()) as remote:
        raises = pytest.raises(ChainError, match="cannot replace its node's clock")
        with raises:
            remote.set_clock(lambda: 0.0)


@pytest.mark.parametrize("backend", EVERY_BACKEND)
def test_a_burst_of_transactions_does_not_put_the_chain_ahead_of_the_wall_clock(backend):
    with create_chain(backend) as chain:
        account = funded_account(chain)
        w3 = chain.w3
        start = w3.eth.block_number
        nonce = w3.eth.get_transaction_count(account.address)
        for offset in range(20):
            raw = signed_transfer(w3, account, nonce=nonce + offset)
            w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(raw))
        stamps = [w3.eth.get_block(n)["timestamp"] for n in range(start, start + 21)]

        assert chain.now() <= int(time.time())
        assert stamps == sorted(stamps)
        assert stamps[-1] <= int(time.time())


@pytest.mark.parametrize("backend", IN_PROCESS)
def test_blocks_mined_within_one_second_share_its_timestamp(backend):
    with create_chain(backend) as chain:
        second = int(time.time()) + 5
        chain.set_clock(lambda: float(second))
        chain.mine(3)

        head = chain.w3.eth.block_number
        stamps = [chain.w3.eth.get_block(n)["timestamp"] for n in range(head - 2, head + 1)]
        assert (stamps, chain.now()) == ([second] * 3, second)


@pytest.mark.parametrize("backend", EVERY_BACKEND)
def test_an_idle_chain_answers_calls_and_estimates_as_at_wall_clock_now(backend):
    with create_chain(backend) as chain:
        account = funded_account(chain)
        probe = deploy_probe(chain.w3, account)
        time.sleep(1.1)  # idle: no block is mined meanwhile
        wall = int(time.time())

        seen = probe.functions.timestamp().call()
        estimate = probe.functions.storeTimestampNotBefore(wall).estimate_gas(
            {"from": account.address}
        )

        assert seen >= wall
        assert estimate > 21_000
        assert chain.now() >= wall
