"""The SDK's guides wait in real time; chain time must keep up with them on every backend."""

from __future__ import annotations

import time

import pytest
from ogpu.protocol import vault

from ogpu_sim import Simulator

from .helpers import EVERY_BACKEND

ETHER = 10**18


@pytest.mark.parametrize("backend", EVERY_BACKEND)
def test_the_vault_guide_unbond_sleep_out_the_period_then_claim_succeeds(backend: str) -> None:
    # Slow by design (~4 s): the guide sleeps out the unbonding period in real time.
    with Simulator.start(backend=backend, unbonding_period=2) as sim:
        client = sim.accounts.client
        vault.lock(ETHER, signer=client.key)
        vault.unbond(ETHER, signer=client.key)

        time.sleep(vault.get_unbonding_period() + 2)
        receipt = vault.claim(signer=client.key)

        assert receipt.status == 1
        assert (vault.get_unbonding_of(client.address), vault.get_lockup_of(client.address)) == (
            0,
            0,
        )
