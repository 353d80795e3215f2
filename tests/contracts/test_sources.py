"""Nexus source registry, the Source state machine and registration.

See docs/protocol.md, sources and registration (and pagination for the getters).
"""

from __future__ import annotations

from ogpu_sim import protocol
from tests.contracts.harness import (
    ACTIVE,
    AMD,
    CPU,
    ETHER,
    FIRST,
    INACTIVE,
    NVIDIA,
    ZERO,
    Net,
    reverts,
)


def test_publish_source_deploys_a_source_owned_by_the_client(net: Net) -> None:
    params = net.source_params(net.client)
    receipt = net.tx(net.client, net.nexus.functions.publishSource(params))
    (event,) = net.events(receipt, net.nexus, "SourcePublished")
    source = protocol.instance(net.w3, "Source", event["source"])
    assert source.functions.getSourceParams().call() == params
    assert tuple(source.functions.sourceParams().call()) == params
    assert source.functions.getClient().call() == net.client.address
    assert source.functions.owner().call() == net.client.address
    assert source.functions.nexus().call() == net.nexus.address
    assert source.functions.getStatus().call() == ACTIVE


def test_publish_source_indexes_the_source_and_its_client(net: Net) -> None:
    n = net.nexus.functions
    baseline = [s.address for s in net.baseline_sources.values()]  # ids 1 and 2, of client
    first = net.publish_source(client=net.client2)
    second = net.publish_source(client=net.client2)
    third = net.publish_source(client=net.stranger)
    assert n.getSourceCount().call() == 5
    assert [n.getSourceId(s.address).call() for s in (first, second, third)] == [3, 4, 5]
    assert n.sourceId(second.address).call() == 4
    assert [n.sources(i).call() for i in range(5)] == [
        *baseline,
        first.address,
        second.address,
        third.address,
    ]
    assert [n.clients(i).call() for i in range(3)] == [
        net.client.address,
        net.client2.address,
        net.stranger.address,
    ]
    assert n.sourcesOf(net.client2.address, 1).call() == second.address
    assert n.getActiveSourceCount(net.client2.address).call() == 2
    assert n.activeSourceCountOf(net.stranger.address).call() == 1
    assert n.getActiveSourceCount(net.client.address).call() == 2


def test_a_client_agent_may_publish_a_source_for_the_client(net: Net) -> None:
    net.tx(net.client, net.terminal.functions.setAgent(net.agent.address, True))
    source = net.publish_source(client=net.client, signer=net.agent)
    assert source.functions.getClient().call() == net.client.address


def test_publishing_a_source_for_someone_else_reverts(net: Net) -> None:
    with reverts("NotOwner"):
        net.tx(net.stranger, net.nexus.functions.publishSource(net.source_params(net.client)))


def test_publishing_a_source_with_unknown_environment_bits_reverts(net: Net) -> None:
    with reverts("InvalidEnvironment"):
        net.tx(
            net.client,
            net.nexus.functions.publishSource(net.source_params(net.client, imageEnvironments=8)),
        )


def test_update_source_replaces_params_keeping_the_client(net: Net) -> None:
    source = net.publish_source()
    new = net.source_params(net.stranger, minPayment=777, deliveryMethod=FIRST)
    receipt = net.tx(net.client, net.nexus.functions.updateSource(source.address, new))
    stored = source.functions.getSourceParams().call()
    assert stored == (net.client.address, *new[1:])
    assert source.functions.getSourceParams().call()[3] == 777
    (event,) = net.events(receipt, net.nexus, "SourceUpdated")
    assert event["source"] == source.address
    assert tuple(event["sourceParams"].values()) == stored


def test_update_of_an_unknown_source_reverts(net: Net) -> None:
    with reverts("UnknownSource"):
        net.tx(
            net.client,
            net.nexus.functions.updateSource(net.stranger.address, net.source_params(net.client)),
        )


def test_update_by_someone_else_reverts(net: Net) -> None:
    source = net.publish_source()
    with reverts("NotOwner"):
        net.tx(
            net.client2,
            net.nexus.functions.updateSource(source.address, net.source_params(net.client2)),
        )


def test_update_of_an_inactive_source_reverts(net: Net) -> None:
    source = net.publish_source()
    net.tx(net.client, net.nexus.functions.inactivateSource(source.address))
    with reverts("SourceInactive"):
        net.tx(
            net.client,
            net.nexus.functions.updateSource(source.address, net.source_params(net.client)),
        )


def test_update_with_unknown_environment_bits_reverts(net: Net) -> None:
    source = net.publish_source()
    with reverts("InvalidEnvironment"):
        net.tx(
            net.client,
            net.nexus.functions.updateSource(
                source.address, net.source_params(net.client, imageEnvironments=9)
            ),
        )


def test_inactivate_source_closes_it_and_emits(net: Net) -> None:
    source = net.publish_source(client=net.client2)
    receipt = net.tx(net.client2, net.nexus.functions.inactivateSource(source.address))
    assert source.functions.getStatus().call() == INACTIVE
    assert net.nexus.functions.getActiveSourceCount(net.client2.address).call() == 0
    assert net.events(receipt, net.nexus, "SourceStatusChanged") == [
        {"source": source.address, "status": INACTIVE}
    ]


def test_inactivating_twice_reverts(net: Net) -> None:
    source = net.publish_source()
    net.tx(net.client, net.nexus.functions.inactivateSource(source.address))
    with reverts("SourceInactive"):
        net.tx(net.client, net.nexus.functions.inactivateSource(source.address))


def test_inactivate_by_someone_else_reverts(net: Net) -> None:
    source = net.publish_source()
    with reverts("NotOwner"):
        net.tx(net.stranger, net.nexus.functions.inactivateSource(source.address))


def test_inactivate_of_an_unknown_source_reverts(net: Net) -> None:
    with reverts("UnknownSource"):
        net.tx(net.client, net.nexus.functions.inactivateSource(net.stranger.address))


def test_client_closing_through_source_set_status_goes_through_nexus(net: Net) -> None:
    source = net.publish_source(client=net.client2)
    receipt = net.tx(net.client2, source.functions.setStatus(INACTIVE))
    assert source.functions.status().call() == INACTIVE
    assert net.nexus.functions.activeSourceCountOf(net.client2.address).call() == 0
    assert net.events(receipt, net.nexus, "SourceStatusChanged") == [
        {"source": source.address, "status": INACTIVE}
    ]


def test_client_cannot_reactivate_through_source_set_status(net: Net) -> None:
    source = net.publish_source()
    net.tx(net.client, source.functions.setStatus(INACTIVE))
    with reverts("SourceInactive"):
        net.tx(net.client, source.functions.setStatus(ACTIVE))


def test_source_set_status_by_someone_else_reverts(net: Net) -> None:
    source = net.publish_source()
    with reverts("NotOwner"):
        net.tx(net.stranger, source.functions.setStatus(INACTIVE))


def test_owner_can_reactivate_through_the_admin_route(net: Net) -> None:
    source = net.publish_source(client=net.client2)
    net.tx(net.client2, net.nexus.functions.inactivateSource(source.address))
    receipt = net.tx(net.deployer, net.nexus.functions.setSourceStatus(source.address, ACTIVE))
    assert source.functions.getStatus().call() == ACTIVE
    assert net.nexus.functions.getActiveSourceCount(net.client2.address).call() == 1
    assert net.events(receipt, net.nexus, "SourceStatusChanged") == [
        {"source": source.address, "status": ACTIVE}
    ]


# ---- registration -------------------------------------------------------------------


def test_register_gives_one_based_ids_and_records_the_environment(net: Net) -> None:
    source = net.publish_source()
    first = net.register(source, net.provider, CPU)
    net.register(source, net.provider2, NVIDIA)
    s = source.functions
    assert s.getRegistrantId(net.provider.address).call() == 1
    assert s.registrantId(net.provider2.address).call() == 2
    assert s.preferredEnvironmentOf(net.provider2.address).call() == NVIDIA
    assert s.getRegistrantCount().call() == 2
    assert s.getRegistrants(0, 1).call() == [net.provider.address, net.provider2.address]
    assert net.events(first, net.nexus, "Registered") == [
        {
            "provider": net.provider.address,
            "registrantId": 1,
            "source": source.address,
            "preferredEnvironment": CPU,
        }
    ]


def test_registering_again_keeps_the_id_and_updates_the_environment(net: Net) -> None:
    source = net.publish_source()
    net.register(source, net.provider, CPU)
    again = net.register(source, net.provider, NVIDIA)
    assert source.functions.getRegistrantCount().call() == 1
    assert source.functions.preferredEnvironmentOf(net.provider.address).call() == NVIDIA
    assert net.events(again, net.nexus, "Registered")[0]["registrantId"] == 1


def test_the_master_and_an_agent_of_the_master_may_register_the_provider(net: Net) -> None:
    source = net.publish_source()
    net.register(source, net.provider, signer=net.master)
    net.tx(net.master, net.terminal.functions.setAgent(net.agent.address, True))
    net.register(source, net.provider, signer=net.agent)
    assert source.functions.getRegistrantId(net.provider.address).call() == 1


def test_register_to_an_unknown_source_reverts(net: Net) -> None:
    with reverts("UnknownSource"):
        net.tx(
            net.provider,
            net.nexus.functions.register(net.stranger.address, net.provider.address, CPU),
        )


def test_register_of_an_unannounced_provider_reverts(net: Net) -> None:
    source = net.publish_source()
    with reverts("NotProvider"):
        net.register(source, net.stranger)


def test_register_by_someone_not_operating_the_provider_reverts(net: Net) -> None:
    source = net.publish_source()
    with reverts("NotProvider"):
        net.register(source, net.provider, signer=net.master2)
    with reverts("NotProvider"):
        net.register(source, net.provider, signer=net.agent)


def test_register_to_an_inactive_source_reverts(net: Net) -> None:
    source = net.publish_source()
    net.tx(net.client, net.nexus.functions.inactivateSource(source.address))
    with reverts("SourceInactive"):
        net.register(source, net.provider)


def test_register_with_an_environment_the_source_lacks_reverts(net: Net) -> None:
    source = net.publish_source(imageEnvironments=CPU | NVIDIA)
    with reverts("InvalidEnvironment"):
        net.register(source, net.provider, AMD)
    with reverts("InvalidEnvironment"):
        net.register(source, net.provider, CPU | NVIDIA)


def test_register_below_the_sources_minimum_lockup_reverts(net: Net) -> None:
    source = net.publish_source(minAvailableLockup=ETHER)
    net.deposit(net.provider, ETHER)
    net.tx(net.provider, net.vault.functions.lock(ETHER - 1))
    with reverts("InsufficientLockup"):
        net.register(source, net.provider)
    net.tx(net.provider, net.vault.functions.lock(1))
    net.register(source, net.provider)
    assert source.functions.getRegistrantId(net.provider.address).call() == 1


def test_register_below_the_global_minimum_lockup_reverts(net: Net) -> None:
    source = net.publish_source(minAvailableLockup=0)
    net.tx(net.deployer, net.vault.functions.setMinLockupPerSource(5))
    with reverts("InsufficientLockup"):
        net.register(source, net.provider)


def test_whitelisted_providers_skip_the_lockup_check(net: Net) -> None:
    source = net.publish_source(minAvailableLockup=ETHER)
    net.tx(net.deployer, net.vault.functions.setWhitelist(net.provider.address, True))
    net.register(source, net.provider)
    assert source.functions.getRegistrantId(net.provider.address).call() == 1


def test_a_sanctioned_provider_is_not_eligible_to_register(net: Net) -> None:
    source = net.publish_source()
    net.deposit(net.provider, ETHER)
    net.tx(net.provider, net.vault.functions.lock(ETHER))
    net.tx(net.deployer, net.vault.functions.sanction(net.provider.address, 1))
    with reverts("NotEligible"):
        net.register(source, net.provider)


def test_unregister_swaps_the_last_registrant_into_the_hole(net: Net) -> None:
    source = net.publish_source()
    net.tx(net.agent, net.terminal.functions.announceProvider(net.stranger.address, 0))
    for provider in (net.provider, net.provider2, net.stranger):
        net.register(source, provider)
    net.tx(net.provider, net.nexus.functions.unregister(source.address, net.provider.address))
    s = source.functions
    assert s.getRegistrantCount().call() == 2
    assert s.getRegistrants(0, 1).call() == [net.stranger.address, net.provider2.address]
    assert s.getRegistrantId(net.stranger.address).call() == 1
    assert s.getRegistrantId(net.provider.address).call() == 0
    assert s.preferredEnvironmentOf(net.provider.address).call() == 0


def test_unregister_of_a_provider_not_registered_reverts(net: Net) -> None:
    source = net.publish_source()
    with reverts("NotRegistered"):
        net.tx(net.provider, net.nexus.functions.unregister(source.address, net.provider.address))


def test_unregister_by_a_non_operator_reverts(net: Net) -> None:
    source = net.publish_source()
    net.register(source, net.provider)
    with reverts("NotProvider"):
        net.tx(net.stranger, net.nexus.functions.unregister(source.address, net.provider.address))


def test_unregister_from_an_unknown_source_reverts(net: Net) -> None:
    with reverts("UnknownSource"):
        net.tx(
            net.provider, net.nexus.functions.unregister(net.stranger.address, net.provider.address)
        )


# ---- pagination (docs/protocol.md, pagination) --------------------------------------


def test_get_sources_is_inclusive_relative_and_clamped(net: Net) -> None:
    baseline = [s.address for s in net.baseline_sources.values()]
    sources = baseline + [net.publish_source().address for _ in range(3)]
    get = net.nexus.functions.getSources
    assert get(0, 4).call() == sources
    assert get(1, 2).call() == sources[1:3]
    assert get(2, 2).call() == [sources[2]]
    assert get(2, 100).call() == sources[2:]
    assert get(5, 10).call() == []
    assert get(3, 1).call() == []


def test_get_tasks_and_registrants_support_a_lower_bound_above_zero(net: Net) -> None:
    source = net.ready_source()
    tasks = [net.publish_task(source).address for _ in range(3)]
    s = source.functions
    assert s.getTaskCount().call() == 3
    assert s.getTasks(0, 2).call() == tasks
    assert s.getTasks(1, 9).call() == tasks[1:]
    assert s.tasks(2).call() == tasks[2]
    assert s.getRegistrants(1, 1).call() == [net.provider2.address]
    assert s.getRegistrants(2, 5).call() == []
    assert s.registrants(0).call() == net.provider.address


def test_getters_on_empty_lists_return_empty_arrays(net: Net) -> None:
    source = net.publish_source()
    assert source.functions.getTasks(0, 0).call() == []
    assert source.functions.getRegistrants(0, 99).call() == []
    assert source.functions.getRegistrantId(ZERO).call() == 0
