"""Specification of the reference model: sources, pairing and registration."""

from __future__ import annotations

import pytest

from ogpu_sim.testing.model import (
    ZERO_ADDRESS,
    ProtocolModel,
    SourceParams,
    SourceStatus,
)

from .modelkit import (
    ADMIN,
    AGENT,
    CLIENT,
    MASTER,
    MASTER2,
    OTHER,
    PROVIDER,
    PROVIDER2,
    P,
    fresh_model,
    paired,
    reverts,
    source,
)


@pytest.fixture
def model() -> ProtocolModel:
    return fresh_model()


# ------------------------------------------------------------------------ sources
def test_publish_source_records_an_active_source_owned_by_the_client(model):
    s = source(model, min_payment=5)
    assert model.sources[s].status == SourceStatus.ACTIVE
    assert model.sources[s].client == CLIENT
    assert model.active_source_count(CLIENT) == 1


def test_publish_source_for_another_client_reverts_not_owner(model):
    with reverts("NotOwner"):
        model.publish_source(OTHER, SourceParams(client=CLIENT))


def test_publish_source_by_the_clients_agent_succeeds(model):
    model.set_agent(CLIENT, AGENT, True)
    s = model.publish_source(AGENT, SourceParams(client=CLIENT))
    assert model.sources[s].client == CLIENT


def test_publish_source_with_environment_mask_above_seven_reverts_invalid_environment(model):
    with reverts("InvalidEnvironment"):
        source(model, image_environments=8)


def test_not_owner_is_checked_before_invalid_environment(model):
    with reverts("NotOwner"):
        model.publish_source(OTHER, SourceParams(client=CLIENT, image_environments=8))


def test_update_source_keeps_the_original_client(model):
    s = source(model)
    model.set_agent(CLIENT, AGENT, True)
    model.update_source(AGENT, s, SourceParams(client=AGENT, min_payment=7))
    assert model.sources[s].params.client == CLIENT
    assert model.sources[s].params.min_payment == 7


def test_update_unknown_source_reverts_unknown_source(model):
    with reverts("UnknownSource"):
        model.update_source(CLIENT, "nowhere", SourceParams(client=CLIENT))


def test_update_inactive_source_reverts_source_inactive(model):
    s = source(model)
    model.inactivate_source(CLIENT, s)
    with reverts("SourceInactive"):
        model.update_source(CLIENT, s, SourceParams(client=CLIENT))


def test_inactivate_source_is_one_way_and_second_call_reverts(model):
    s = source(model)
    model.inactivate_source(CLIENT, s)
    assert model.sources[s].status == SourceStatus.INACTIVE
    assert model.active_source_count(CLIENT) == 0
    with reverts("SourceInactive"):
        model.inactivate_source(CLIENT, s)


def test_inactivate_by_a_stranger_reverts_not_owner(model):
    s = source(model)
    with reverts("NotOwner"):
        model.inactivate_source(OTHER, s)


# ------------------------------------------------------------------------ pairing
def test_pairing_handshake_sets_master_of_only_after_announce_master(model):
    model.announce_provider(MASTER, PROVIDER, 0, 0)
    assert PROVIDER in model.is_provider
    assert PROVIDER not in model.master_of
    model.announce_master(PROVIDER, MASTER)
    assert model.master_of[PROVIDER] == MASTER
    assert MASTER in model.is_master
    assert model.provider_of[MASTER] == PROVIDER


def test_announce_provider_value_is_credited_to_the_providers_lockup(model):
    model.announce_provider(MASTER, PROVIDER, 3 * P, 3 * P)
    assert model.ledger(PROVIDER).lockup == 3 * P
    assert model.vault_native == model.ledger_total()


@pytest.mark.parametrize(
    ("provider", "amount", "value", "reason"),
    [(ZERO_ADDRESS, 0, 0, "InvalidAddress"), (PROVIDER, 2, 1, "InvalidAmount")],
)
def test_announce_provider_argument_checks(model, provider, amount, value, reason):
    with reverts(reason):
        model.announce_provider(MASTER, provider, amount, value)


def test_a_provider_cannot_announce_a_provider(model):
    paired(model)
    with reverts("NotMaster"):
        model.announce_provider(PROVIDER, PROVIDER2, 0, 0)


def test_a_paired_provider_cannot_be_announced_by_another_master(model):
    paired(model)
    with reverts("AlreadyPaired"):
        model.announce_provider(MASTER2, PROVIDER, 0, 0)


def test_announce_master_by_a_non_provider_reverts_not_provider(model):
    with reverts("NotProvider"):
        model.announce_master(OTHER, MASTER)


def test_announce_master_naming_the_wrong_master_reverts_not_master(model):
    model.announce_provider(MASTER, PROVIDER, 0, 0)
    with reverts("NotMaster"):
        model.announce_master(PROVIDER, MASTER2)


def test_remove_provider_undoes_the_pairing_but_keeps_the_lockup(model):
    paired(model, stake=P)
    model.remove_provider(MASTER, PROVIDER)
    assert PROVIDER not in model.is_provider
    assert MASTER not in model.is_master
    assert model.ledger(PROVIDER).lockup == P


def test_remove_provider_by_a_stranger_reverts_not_master(model):
    paired(model)
    with reverts("NotMaster"):
        model.remove_provider(OTHER, PROVIDER)


def test_a_provider_cannot_set_an_agent(model):
    paired(model)
    with reverts("ProviderCannotSetAgent"):
        model.set_agent(PROVIDER, AGENT, True)


def test_set_agent_is_idempotent_and_revocable(model):
    model.set_agent(CLIENT, AGENT, True)
    model.set_agent(CLIENT, AGENT, True)
    assert model.is_agent_of(CLIENT, AGENT)
    model.set_agent(CLIENT, AGENT, False)
    assert not model.is_agent_of(CLIENT, AGENT)


# ------------------------------------------------------------------------ registration
def test_register_records_the_preferred_environment(model):
    s = source(model, image_environments=3)
    paired(model)
    model.register(PROVIDER, s, PROVIDER, 2)
    assert model.sources[s].registrants == {PROVIDER: 2}


def test_register_by_the_masters_agent_succeeds(model):
    s = source(model)
    paired(model)
    model.set_agent(MASTER, AGENT, True)
    model.register(AGENT, s, PROVIDER, 1)
    assert PROVIDER in model.sources[s].registrants


@pytest.mark.parametrize(
    ("environment", "mask"),
    [(3, 3), (0, 7), (2, 1), (8, 7)],
    ids=["two-bits", "zero", "unsupported", "eight"],
)
def test_register_with_a_bad_environment_reverts_invalid_environment(model, environment, mask):
    s = source(model, image_environments=mask)
    paired(model)
    with reverts("InvalidEnvironment"):
        model.register(PROVIDER, s, PROVIDER, environment)


def test_register_check_order(model):
    s = source(model, min_available_lockup=P)
    with reverts("UnknownSource"):
        model.register(PROVIDER, "nowhere", PROVIDER, 1)
    with reverts("NotProvider"):
        model.register(PROVIDER, s, PROVIDER, 1)
    paired(model)
    with reverts("NotProvider"):
        model.register(OTHER, s, PROVIDER, 1)
    with reverts("InvalidEnvironment"):
        model.register(PROVIDER, s, PROVIDER, 2)
    with reverts("InsufficientLockup"):
        model.register(PROVIDER, s, PROVIDER, 1)
    model.deposit(PROVIDER, PROVIDER, 2 * P)
    model.lock(PROVIDER, 2 * P)
    model.sanction(ADMIN, PROVIDER, 1)
    with reverts("NotEligible"):
        model.register(PROVIDER, s, PROVIDER, 1)
    model.inactivate_source(CLIENT, s)
    with reverts("SourceInactive"):
        model.register(PROVIDER, s, PROVIDER, 1)


def test_register_lockup_threshold_is_the_larger_of_global_and_source_minimum(model):
    model.min_lockup_per_source = 5
    s = source(model, min_available_lockup=3)
    paired(model, stake=4)
    with reverts("InsufficientLockup"):
        model.register(PROVIDER, s, PROVIDER, 1)
    model.deposit(PROVIDER, PROVIDER, 1)
    model.lock(PROVIDER, 1)
    model.register(PROVIDER, s, PROVIDER, 1)
    assert PROVIDER in model.sources[s].registrants


def test_whitelisted_provider_skips_the_lockup_check(model):
    s = source(model, min_available_lockup=P)
    paired(model)
    model.set_whitelist(ADMIN, PROVIDER, True)
    model.register(PROVIDER, s, PROVIDER, 1)
    assert PROVIDER in model.sources[s].registrants


def test_whitelisted_provider_may_register_while_sanctioned(model):
    s = source(model)
    paired(model, stake=2)
    model.sanction(ADMIN, PROVIDER, 1)
    model.set_whitelist(ADMIN, PROVIDER, True)
    model.register(PROVIDER, s, PROVIDER, 1)
    assert model.is_eligible(PROVIDER)


def test_unregister_of_an_unregistered_provider_reverts_not_registered(model):
    s = source(model)
    paired(model)
    with reverts("NotRegistered"):
        model.unregister(PROVIDER, s, PROVIDER)


# ------------------------------------------------------------------------ lists, statuses, data
def test_sources_are_listed_in_order_and_each_client_once(model):
    first, second = source(model), source(model)
    assert model.source_list == [first, second]
    assert model.clients == [CLIENT]
    assert model.sources_of[CLIENT] == [first, second]
    assert model.names[first] == "source1" and model.names[second] == "source2"


def test_unregister_swaps_the_last_registrant_into_the_hole(model):
    s = source(model)
    for provider, master in ((PROVIDER, MASTER), (PROVIDER2, MASTER2), ("p3", "m3")):
        paired(model, provider, master)
        model.register(provider, s, provider, 1)
    model.unregister(PROVIDER, s, PROVIDER)
    assert model.sources[s].registrant_list == ["p3", PROVIDER2]


def test_registering_again_changes_only_the_environment(model):
    s = source(model, image_environments=3)
    paired(model)
    model.register(PROVIDER, s, PROVIDER, 1)
    model.register(PROVIDER, s, PROVIDER, 2)
    assert model.sources[s].registrant_list == [PROVIDER]
    assert model.sources[s].registrants == {PROVIDER: 2}


def test_the_owner_closes_its_source_on_the_instance_but_its_agent_may_not(model):
    s = source(model)
    model.set_agent(CLIENT, AGENT, True)
    with reverts("NotOwner"):
        model.set_status_on_source(AGENT, s, SourceStatus.INACTIVE)
    model.set_status_on_source(CLIENT, s, SourceStatus.ACTIVE)  # a no-op
    assert model.sources[s].status == SourceStatus.ACTIVE
    model.set_status_on_source(CLIENT, s, SourceStatus.INACTIVE)
    assert model.active_source_count(CLIENT) == 0
    with reverts("SourceInactive"):
        model.set_status_on_source(CLIENT, s, SourceStatus.ACTIVE)


def test_only_the_admin_reopens_a_closed_source_through_the_nexus(model):
    s = source(model)
    model.inactivate_source(CLIENT, s)
    with reverts("NotController"):
        model.force_source_status(CLIENT, s, SourceStatus.ACTIVE)
    model.force_source_status(ADMIN, s, SourceStatus.ACTIVE)
    assert model.active_source_count(CLIENT) == 1


def test_the_default_agent_acts_for_everyone_until_disabled(model):
    from ogpu_sim.testing.model import DEFAULT_AGENT

    assert model.get_is_agent_of(MASTER, DEFAULT_AGENT)
    assert not model.is_agent_of(MASTER, DEFAULT_AGENT)
    model.set_default_agent_disabled(MASTER, True)
    assert not model.get_is_agent_of(MASTER, DEFAULT_AGENT)


def test_only_providers_publish_base_and_live_data(model):
    with reverts("NotProvider"):
        model.set_base_data(PROVIDER, "gpu=1")
    paired(model)
    model.set_base_data(PROVIDER, "gpu=1")
    model.set_live_data(PROVIDER, "load=0")
    assert (model.base_data[PROVIDER], model.live_data[PROVIDER]) == ("gpu=1", "load=0")


def test_only_the_paired_master_removes_a_container(model):
    s = source(model)
    model.announce_provider(MASTER, PROVIDER, 0, 0)
    with reverts("NotMaster"):
        model.remove_container(MASTER, PROVIDER, s)  # announced, not yet paired
    model.announce_master(PROVIDER, MASTER)
    model.remove_container(MASTER, PROVIDER, s)
    with reverts("NotMaster"):
        model.remove_container(OTHER, PROVIDER, s)


# ------------------------------------------------------------------------ digest
def test_the_digest_ignores_the_metadata_url_and_update_time_the_sdk_takes_from_the_wall_clock():
    first, second = fresh_model(), fresh_model()
    source(first, image_metadata_url="ipfs://a", last_update_time=1_700_000_000)
    source(second, image_metadata_url="ipfs://b", last_update_time=1_700_000_007)
    assert first.digest() == second.digest()


def test_the_digest_tells_sources_apart_by_a_param_the_caller_chose():
    first, second = fresh_model(), fresh_model()
    source(first, min_payment=5)
    source(second, min_payment=6)
    assert first.digest() != second.digest()


def test_source_params_chosen_are_every_field_but_the_wall_clock_ones():
    params = SourceParams(
        client=CLIENT,
        image_metadata_url="ipfs://a",
        image_environments=3,
        min_payment=4,
        min_available_lockup=5,
        max_expiry_duration=6,
        privacy_enabled=True,
        optional_params_url="ipfs://o",
        last_update_time=7,
    )
    assert params.chosen() == (
        CLIENT,
        3,
        4,
        5,
        6,
        True,
        "ipfs://o",
        params.delivery_method,
    )
