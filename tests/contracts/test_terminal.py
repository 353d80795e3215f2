"""Terminal: the master/provider pairing handshake, agents and provider metadata."""

from __future__ import annotations

from tests.contracts.harness import ETHER, ZERO, Net, reverts

DEFAULT_AGENT = "0x306Dc3fF30254675B209D916475094401aCC4a1E"


def test_fixture_pairs_master_and_provider_both_ways(net: Net) -> None:
    t = net.terminal.functions
    assert t.isProvider(net.provider.address).call() is True
    assert t.isMaster(net.master.address).call() is True
    assert t.masterOf(net.provider.address).call() == net.master.address
    assert t.getMasterOf(net.provider.address).call() == net.master.address
    assert t.providerOf(net.master.address).call() == net.provider.address
    assert t.getIsMaster(net.master.address).call() is True


def test_announce_provider_marks_the_provider_before_the_master_confirms(net: Net) -> None:
    fresh = net.stranger
    receipt = net.tx(net.agent, net.terminal.functions.announceProvider(fresh.address, 0))
    t = net.terminal.functions
    assert t.isProvider(fresh.address).call() is True
    assert t.providerOf(net.agent.address).call() == fresh.address
    assert t.masterOf(fresh.address).call() == ZERO
    assert t.isMaster(net.agent.address).call() is False
    assert net.events(receipt, net.terminal, "ProviderAnnounced") == [
        {"provider": fresh.address, "master": net.agent.address}
    ]


def test_announce_master_completes_the_pairing(net: Net) -> None:
    net.tx(net.agent, net.terminal.functions.announceProvider(net.stranger.address, 0))
    receipt = net.tx(net.stranger, net.terminal.functions.announceMaster(net.agent.address))
    assert net.terminal.functions.masterOf(net.stranger.address).call() == net.agent.address
    assert net.terminal.functions.isMaster(net.agent.address).call() is True
    assert net.events(receipt, net.terminal, "MasterAnnounced") == [
        {"provider": net.stranger.address, "master": net.agent.address}
    ]


def test_announce_provider_to_the_zero_address_reverts(net: Net) -> None:
    with reverts("InvalidAddress"):
        net.tx(net.agent, net.terminal.functions.announceProvider(ZERO, 0))


def test_announce_provider_with_value_not_matching_amount_reverts(net: Net) -> None:
    with reverts("InvalidAmount"):
        net.tx(
            net.agent,
            net.terminal.functions.announceProvider(net.stranger.address, ETHER),
            value=ETHER - 1,
        )


def test_a_provider_cannot_announce_a_provider(net: Net) -> None:
    with reverts("NotMaster"):
        net.tx(net.provider, net.terminal.functions.announceProvider(net.stranger.address, 0))


def test_a_provider_paired_to_another_master_cannot_be_announced(net: Net) -> None:
    with reverts("AlreadyPaired"):
        net.tx(net.agent, net.terminal.functions.announceProvider(net.provider.address, 0))


def test_announce_master_by_an_unannounced_account_reverts(net: Net) -> None:
    with reverts("NotProvider"):
        net.tx(net.stranger, net.terminal.functions.announceMaster(net.master.address))


def test_announce_master_naming_a_master_that_did_not_announce_reverts(net: Net) -> None:
    net.tx(net.agent, net.terminal.functions.announceProvider(net.stranger.address, 0))
    with reverts("NotMaster"):
        net.tx(net.stranger, net.terminal.functions.announceMaster(net.master2.address))


def test_remove_provider_undoes_the_pairing_but_keeps_the_lockup(net: Net) -> None:
    net.tx(
        net.agent, net.terminal.functions.announceProvider(net.stranger.address, ETHER), value=ETHER
    )
    net.tx(net.stranger, net.terminal.functions.announceMaster(net.agent.address))
    receipt = net.tx(net.agent, net.terminal.functions.removeProvider(net.stranger.address))
    t = net.terminal.functions
    assert t.isProvider(net.stranger.address).call() is False
    assert t.isMaster(net.agent.address).call() is False
    assert t.masterOf(net.stranger.address).call() == ZERO
    assert t.providerOf(net.agent.address).call() == ZERO
    assert net.ledgers(net.stranger.address)["lockup"] == ETHER
    assert net.events(receipt, net.terminal, "ProviderRemoved") == [
        {"provider": net.stranger.address}
    ]


def test_remove_provider_by_someone_else_than_its_master_reverts(net: Net) -> None:
    with reverts("NotMaster"):
        net.tx(net.master2, net.terminal.functions.removeProvider(net.provider.address))


def test_remove_container_is_a_signal_from_the_master(net: Net) -> None:
    receipt = net.tx(
        net.master,
        net.terminal.functions.removeContainer(net.provider.address, net.stranger.address),
    )
    assert net.events(receipt, net.terminal, "RemoveContainer") == [
        {"provider": net.provider.address, "source": net.stranger.address}
    ]


def test_remove_container_by_someone_else_than_the_master_reverts(net: Net) -> None:
    with reverts("NotMaster"):
        net.tx(
            net.provider,
            net.terminal.functions.removeContainer(net.provider.address, net.stranger.address),
        )


def test_set_agent_records_the_raw_mapping_and_is_idempotent(net: Net) -> None:
    is_agent = net.terminal.functions.isAgentOf(net.master.address, net.agent.address)
    receipt = net.tx(net.master, net.terminal.functions.setAgent(net.agent.address, True))
    net.tx(net.master, net.terminal.functions.setAgent(net.agent.address, True))
    assert is_agent.call() is True
    assert net.events(receipt, net.terminal, "AgentSet") == [
        {"account": net.master.address, "agent": net.agent.address, "value": True}
    ]
    net.tx(net.master, net.terminal.functions.setAgent(net.agent.address, False))
    assert is_agent.call() is False


def test_a_provider_cannot_set_an_agent(net: Net) -> None:
    with reverts("ProviderCannotSetAgent"):
        net.tx(net.provider, net.terminal.functions.setAgent(net.agent.address, True))


def test_setting_the_zero_address_as_agent_reverts(net: Net) -> None:
    with reverts("InvalidAddress"):
        net.tx(net.client, net.terminal.functions.setAgent(ZERO, True))


def test_the_default_agent_counts_only_in_get_is_agent_of_until_disabled(net: Net) -> None:
    t = net.terminal.functions
    assert t.isAgentOf(net.master.address, DEFAULT_AGENT).call() is False
    assert t.getIsAgentOf(net.master.address, DEFAULT_AGENT).call() is True
    receipt = net.tx(net.master, t.setDefaultAgentDisabled(True))
    assert t.defaultAgentDisabled(net.master.address).call() is True
    assert t.getIsAgentOf(net.master.address, DEFAULT_AGENT).call() is False
    assert net.events(receipt, net.terminal, "DefaultAgentDisabled") == [
        {"master": net.master.address, "value": True}
    ]


def test_get_is_agent_of_includes_agents_set_explicitly(net: Net) -> None:
    net.tx(net.client, net.terminal.functions.setAgent(net.agent.address, True))
    assert net.terminal.functions.getIsAgentOf(net.client.address, net.agent.address).call()
    assert not net.terminal.functions.getIsAgentOf(net.client2.address, net.agent.address).call()


def test_providers_publish_base_and_live_data(net: Net) -> None:
    base = net.tx(net.provider, net.terminal.functions.setBaseData("ipfs://base"))
    live = net.tx(net.provider, net.terminal.functions.setLiveData("ipfs://live"))
    assert net.terminal.functions.baseDataOf(net.provider.address).call() == "ipfs://base"
    assert net.terminal.functions.liveDataOf(net.provider.address).call() == "ipfs://live"
    assert net.terminal.functions.liveDataOf(net.provider2.address).call() == ""
    assert net.events(base, net.terminal, "BaseDataUpdated") == [{"provider": net.provider.address}]
    assert net.events(live, net.terminal, "LiveDataUpdated") == [{"provider": net.provider.address}]


def test_only_providers_publish_base_or_live_data(net: Net) -> None:
    with reverts("NotProvider"):
        net.tx(net.master, net.terminal.functions.setBaseData("x"))
    with reverts("NotProvider"):
        net.tx(net.master, net.terminal.functions.setLiveData("x"))
