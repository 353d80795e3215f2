"""Replacing the wall clock of in-process chains (deterministic replays for hypothesis)."""

from __future__ import annotations

import time

import pytest

from ogpu_sim.chain import create_chain
from ogpu_sim.errors import ChainError

from .helpers import IN_PROCESS


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
