"""Snapshots, nonces, time travel and wall-clock time as the SDK sees them."""

from __future__ import annotations

import time

import pytest
from ogpu.protocol import vault
from ogpu.types import DeliveryMethod, TaskStatus

from ogpu_sim import Simulator
from ogpu_sim.accounts import key_hex
from ogpu_sim.errors import ConfigError


def test_sdk_writes_keep_working_after_a_revert(sim, make_source):
    snapshot = sim.snapshot()
    make_source()
    make_source()
    sim.revert(snapshot)

    source = make_source()  # would fail with a stale nonce if the SDK cache survived the revert

    assert source.get_client() == sim.accounts.client.address


def test_revert_undoes_vault_changes(sim):
    actor = sim.accounts.new("actor")
    snapshot = sim.snapshot()
    vault.deposit(actor.address, 1000, signer=key_hex(actor))
    sim.revert(snapshot)

    assert vault.get_balance_of(actor.address) == 0


def test_the_same_snapshot_can_be_reverted_to_twice(sim, make_source):
    snapshot = sim.snapshot()
    make_source()
    sim.revert(snapshot)
    count = sim.deployment.contracts["NEXUS"].functions.getSourceCount().call()
    make_source()
    sim.revert(snapshot)

    assert sim.deployment.contracts["NEXUS"].functions.getSourceCount().call() == count


def test_advance_time_moves_chain_time(sim):
    before = sim.now()

    sim.advance_time(3600)

    assert sim.now() >= before + 3600


def test_time_travel_expires_a_task_lazily(sim, make_source, make_task):
    source = make_source()
    sim.add_provider(source, behaviour="silent")
    task = make_task(source, expires_in=60)
    sim.run_until_idle()
    client_before = vault.get_balance_of(sim.accounts.client.address)

    sim.expire(task)

    assert task.get_status() == TaskStatus.EXPIRED
    assert vault.get_balance_of(sim.accounts.client.address) == client_before + 10**15



def test_expire_refuses_a_responded_task_saying_why_and_moves_no_time(sim, make_source, make_task):
    source = make_source(deliveryMethod=DeliveryMethod.MANUAL_CONFIRMATION)
    sim.add_provider(source)
    task = make_task(source)
    sim.run_until_idle()
    before = sim.now()

    with pytest.raises(ConfigError) as caught:
        sim.expire(task)

    assert str(caught.value) == (
        f"task: {task.address} is RESPONDED: the protocol never expires a task with a response "
        "(its client can still confirm one after expiry, and attempts past expiry revert Expired)"
    )
    assert task.get_status() == TaskStatus.RESPONDED
    assert sim.now() < before + 60


def test_expire_leaves_an_expired_task_as_it_is(sim, make_source, make_task):
    source = make_source()
    task = make_task(source, expires_in=60)
    sim.expire(task)
    client_after = vault.get_balance_of(sim.accounts.client.address)

    sim.expire(task)

    assert task.get_status() == TaskStatus.EXPIRED
    assert vault.get_balance_of(sim.accounts.client.address) == client_after

def test_block_time_follows_the_wall_clock():
    with Simulator.start(unbonding_period=1) as short:
        actor = short.accounts.new("actor")
        vault.deposit(actor.address, 1000, signer=key_hex(actor))
        vault.lock(1000, signer=key_hex(actor))
        vault.unbond(1000, signer=key_hex(actor))
        time.sleep(1.2)

        vault.claim(signer=key_hex(actor))

        assert vault.get_balance_of(actor.address) == 1000
