"""Provider-, master- and agent-side SDK entry points (Terminal, Nexus, ogpu.agent)."""

from __future__ import annotations

import pytest
from ogpu import agent
from ogpu.protocol import nexus, terminal, vault
from ogpu.protocol.master import Master
from ogpu.protocol.provider import Provider
from ogpu.types import Environment, TaskStatus
from ogpu.types.errors import (
    InsufficientLockupError,
    MasterNotFoundError,
    NotMasterError,
    NotProviderError,
    SourceInactiveError,
    TxRevertError,
)

from ogpu_sim.accounts import key_hex

ETHER = 10**18


def test_default_provider_and_master_are_paired_and_staked(sim):
    provider, master = sim.accounts.provider.address, sim.accounts.master.address

    assert terminal.get_master_of(provider) == master
    assert terminal.get_provider_of(master) == provider
    assert Provider.load(provider).get_lockup() == ETHER
    assert Master.load(master).is_master() is True


def test_pairing_handshake_through_the_sdk(sim):
    new_provider, new_master = sim.accounts.new("provider"), sim.accounts.new("master")

    terminal.announce_provider(new_provider.address, ETHER // 2, signer=key_hex(new_master))
    terminal.announce_master(new_master.address, signer=key_hex(new_provider))

    assert terminal.is_provider(new_provider.address) is True
    assert terminal.get_master_of(new_provider.address) == new_master.address
    assert vault.get_lockup_of(new_provider.address) == ETHER // 2


def test_announce_master_for_an_unannounced_master_raises_not_master(sim):
    new_provider, new_master = sim.accounts.new("provider"), sim.accounts.new("master")
    terminal.announce_provider(new_provider.address, 0, signer=key_hex(new_master))

    with pytest.raises(NotMasterError):
        terminal.announce_master(sim.accounts.new("other").address, signer=key_hex(new_provider))


def test_remove_provider_unpairs(sim):
    terminal.remove_provider(sim.accounts.provider.address)

    assert terminal.is_provider(sim.accounts.provider.address) is False
    with pytest.raises(MasterNotFoundError):
        Master.load(sim.accounts.master.address)


def test_remove_container_by_a_non_master_raises_not_master(sim, make_source):
    source = make_source()

    with pytest.raises(NotMasterError):
        terminal.remove_container(
            sim.accounts.provider.address, source.address, signer=key_hex(sim.accounts.client)
        )


def test_set_default_agent_disabled_is_read_back(sim):
    terminal.set_default_agent_disabled(True)

    assert terminal.is_default_agent_disabled(sim.accounts.provider.address) is True


def test_set_and_revoke_agent(sim):
    master, helper = sim.accounts.master, sim.accounts.agent.address

    terminal.set_agent(helper, True, signer=key_hex(master))
    assert terminal.is_agent_of(master.address, helper) is True
    terminal.set_agent(helper, True, signer=key_hex(master))  # idempotent
    terminal.revoke_agent(helper, signer=key_hex(master))
    assert terminal.is_agent_of(master.address, helper) is False


def test_register_records_the_registrant_and_environment(sim, make_source):
    source = make_source()

    nexus.register(source.address, sim.accounts.provider.address, int(Environment.CPU))

    assert source.get_registrant_id(sim.accounts.provider.address) == 1
    assert source.get_preferred_environment_of(sim.accounts.provider.address) == Environment.CPU
    assert source.get_registrants() == [sim.accounts.provider.address]


def test_register_with_an_environment_the_source_lacks_reverts(sim, make_source):
    source = make_source()

    with pytest.raises(TxRevertError) as info:
        nexus.register(source.address, sim.accounts.provider.address, int(Environment.NVIDIA))
    assert "InvalidEnvironment" in info.value.reason


def test_register_below_the_source_lockup_raises_insufficient_lockup(sim, make_source):
    source = make_source(minAvailableLockup=5 * ETHER)

    with pytest.raises(InsufficientLockupError):
        nexus.register(source.address, sim.accounts.provider.address, int(Environment.CPU))


def test_register_to_an_inactive_source_raises_source_inactive(sim, make_source):
    source = make_source()
    source.inactivate()

    with pytest.raises(SourceInactiveError):
        nexus.register(source.address, sim.accounts.provider.address, int(Environment.CPU))


def test_register_by_a_stranger_raises_not_provider(sim, make_source):
    source = make_source()

    with pytest.raises(NotProviderError):
        nexus.register(
            source.address,
            sim.accounts.provider.address,
            int(Environment.CPU),
            signer=key_hex(sim.accounts.new("stranger")),
        )


def test_unregister_removes_the_registrant(sim, make_source):
    source = make_source()
    nexus.register(source.address, sim.accounts.provider.address, int(Environment.CPU))

    nexus.unregister(source.address, sim.accounts.provider.address)

    assert source.get_registrant_count() == 0
    assert source.get_registrant_id(sim.accounts.provider.address) == 0


def test_attempt_moves_a_new_task_to_attempted(sim, make_source, make_task):
    source = make_source()
    nexus.register(source.address, sim.accounts.provider.address, int(Environment.CPU))
    task = make_task(source)

    nexus.attempt(task.address, sim.accounts.provider.address, task.get_payment())

    assert task.get_status() == TaskStatus.ATTEMPTED
    assert task.get_attempters() == [sim.accounts.provider.address]


def test_agent_of_the_master_registers_and_attempts(sim, make_source, make_task):
    source = make_source()
    terminal.set_agent(sim.accounts.agent.address, True, signer=key_hex(sim.accounts.master))
    provider = sim.accounts.provider.address

    agent.register_to(source.address, provider, int(Environment.CPU))
    task = make_task(source)
    agent.attempt(task.address, provider, task.get_payment())

    assert source.get_registrant_id(provider) == 1
    assert task.get_status() == TaskStatus.ATTEMPTED


def test_an_unauthorised_agent_attempt_raises_not_provider(sim, make_source, make_task):
    source = make_source()
    nexus.register(source.address, sim.accounts.provider.address, int(Environment.CPU))
    task = make_task(source)

    with pytest.raises(NotProviderError):
        agent.attempt(task.address, sim.accounts.provider.address, 1)
