"""Specification of the pure-Python reference model (docs/protocol.md: task lifecycle, escrow)."""

from __future__ import annotations

import pytest

from ogpu_sim.testing.model import (
    ZERO_ADDRESS,
    AttemptOutcome,
    DeliveryMethod,
    ModelRevert,
    ProtocolModel,
    ResponseStatus,
    SourceParams,
    SourceStatus,
    TaskStatus,
)

ADMIN, CLIENT, OTHER, AGENT = "admin", "client", "other", "agent"
PROVIDER, MASTER, PROVIDER2, MASTER2 = "provider", "master", "provider2", "master2"
NOW = 1_000
P = 10**18


def reverts(reason: str):
    """Expect a ModelRevert with exactly ``reason``."""
    return pytest.raises(ModelRevert, match=f"^.*: {reason}$")


@pytest.fixture
def model() -> ProtocolModel:
    m = ProtocolModel(admin=ADMIN, unbonding_period=10)
    m.deposit(CLIENT, CLIENT, 10 * P)
    return m


def paired(
    m: ProtocolModel, provider: str = PROVIDER, master: str = MASTER, stake: int = 0
) -> None:
    m.announce_provider(master, provider, stake, stake)
    m.announce_master(provider, master)


def source(m: ProtocolModel, **params: object) -> str:
    return m.publish_source(CLIENT, SourceParams(client=CLIENT, **params))  # type: ignore[arg-type]


def ready_task(m: ProtocolModel, delivery: DeliveryMethod, payment: int = P) -> tuple[str, str]:
    """A source with PROVIDER and PROVIDER2 registered and one NEW task; returns (source, task)."""
    s = source(m, delivery_method=delivery)
    paired(m)
    paired(m, PROVIDER2, MASTER2)
    m.register(PROVIDER, s, PROVIDER, 1)
    m.register(PROVIDER2, s, PROVIDER2, 1)
    return s, m.publish_task(CLIENT, s, NOW + 100, payment, NOW)


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


# ------------------------------------------------------------------------ publish task
def test_publish_task_freezes_the_payment_from_the_client_balance(model):
    s = source(model)
    t = model.publish_task(CLIENT, s, NOW + 10, P, NOW)
    assert model.tasks[t].status == TaskStatus.NEW
    assert model.ledger(CLIENT).balance == 9 * P
    assert model.ledger(CLIENT).frozen == P
    assert model.open_escrow() == P


@pytest.mark.parametrize(
    ("expiry", "payment", "reason"),
    [
        (NOW, P, "Expired"),
        (NOW - 1, P, "Expired"),
        (NOW + 3601, P, "ExpiryTooLong"),
        (NOW + 10, 4, "PaymentTooLow"),
        (NOW + 10, 11 * P, "InsufficientBalance"),
    ],
)
def test_publish_task_guards(model, expiry, payment, reason):
    s = source(model, min_payment=5)
    with reverts(reason):
        model.publish_task(CLIENT, s, expiry, payment, NOW)
    assert model.ledger(CLIENT).frozen == 0


def test_publish_task_accepts_expiry_exactly_at_max_duration(model):
    s = source(model, max_expiry_duration=60)
    t = model.publish_task(CLIENT, s, NOW + 60, 0, NOW)
    assert model.tasks[t].expiry_time == NOW + 60


def test_publish_task_to_an_inactive_source_reverts_before_the_balance_check(model):
    s = source(model)
    model.inactivate_source(CLIENT, s)
    with reverts("SourceInactive"):
        model.publish_task(CLIENT, s, NOW + 10, 100 * P, NOW)


def test_publish_task_by_a_stranger_bills_the_stranger(model):
    s = source(model)
    model.deposit(OTHER, OTHER, P)
    t = model.publish_task(OTHER, s, NOW + 10, P, NOW)
    assert model.tasks[t].client == OTHER
    assert model.ledger(OTHER).frozen == P


def test_strict_publishing_rejects_a_stranger_with_not_owner(model):
    model.strict_publish = True
    s = source(model)
    with reverts("NotOwner"):
        model.publish_task(OTHER, s, NOW + 10, 0, NOW)


def test_publish_task_by_the_clients_agent_bills_the_client(model):
    s = source(model)
    model.set_agent(CLIENT, AGENT, True)
    t = model.publish_task(AGENT, s, NOW + 10, P, NOW)
    assert model.tasks[t].client == CLIENT


# ------------------------------------------------------------------------ cancel
def test_cancel_new_task_refunds_everything(model):
    s = source(model)
    t = model.publish_task(CLIENT, s, NOW + 10, P, NOW)
    model.cancel_task(CLIENT, t)
    assert model.tasks[t].status == TaskStatus.CANCELED
    assert model.ledger(CLIENT).balance == 10 * P
    assert model.ledger(CLIENT).frozen == 0


def test_second_cancel_reverts_already_finalized(model):
    s = source(model)
    t = model.publish_task(CLIENT, s, NOW + 10, P, NOW)
    model.cancel_task(CLIENT, t)
    with reverts("AlreadyFinalized"):
        model.cancel_task(CLIENT, t)


def test_cancel_after_an_attempt_reverts_already_finalized(model):
    _, t = ready_task(model, DeliveryMethod.MANUAL_CONFIRMATION)
    model.attempt(PROVIDER, t, PROVIDER, NOW)
    with reverts("AlreadyFinalized"):
        model.cancel_task(CLIENT, t)


def test_cancel_by_a_stranger_reverts_not_owner(model):
    s = source(model)
    t = model.publish_task(CLIENT, s, NOW + 10, P, NOW)
    with reverts("NotOwner"):
        model.cancel_task(OTHER, t)


def test_cancel_of_an_unknown_task_reverts_unknown_task(model):
    with reverts("UnknownTask"):
        model.cancel_task(CLIENT, "nowhere")


# ------------------------------------------------------------------------ attempt
def test_first_attempt_moves_new_to_attempted(model):
    _, t = ready_task(model, DeliveryMethod.MANUAL_CONFIRMATION)
    assert model.attempt(PROVIDER, t, PROVIDER, NOW) == AttemptOutcome.ATTEMPTED
    assert model.tasks[t].status == TaskStatus.ATTEMPTED
    assert model.tasks[t].attempters == [PROVIDER]


def test_attempt_twice_by_the_same_provider_reverts_already_attempted(model):
    _, t = ready_task(model, DeliveryMethod.MANUAL_CONFIRMATION)
    model.attempt(PROVIDER, t, PROVIDER, NOW)
    with reverts("AlreadyAttempted"):
        model.attempt(PROVIDER, t, PROVIDER, NOW)


def test_attempt_by_an_unregistered_provider_reverts_not_registered(model):
    _, t = ready_task(model, DeliveryMethod.MANUAL_CONFIRMATION)
    paired(model, "provider3", "master3")
    with reverts("NotRegistered"):
        model.attempt("provider3", t, "provider3", NOW)


def test_attempt_signed_by_a_stranger_reverts_not_provider(model):
    _, t = ready_task(model, DeliveryMethod.MANUAL_CONFIRMATION)
    with reverts("NotProvider"):
        model.attempt(OTHER, t, PROVIDER, NOW)


def test_attempt_at_expiry_time_still_counts(model):
    _, t = ready_task(model, DeliveryMethod.MANUAL_CONFIRMATION)
    assert model.attempt(PROVIDER, t, PROVIDER, NOW + 100) == AttemptOutcome.ATTEMPTED


def test_late_attempt_lazily_expires_and_refunds_without_recording(model):
    _, t = ready_task(model, DeliveryMethod.MANUAL_CONFIRMATION)
    model.attempt(PROVIDER, t, PROVIDER, NOW)
    assert model.attempt(PROVIDER2, t, PROVIDER2, NOW + 101) == AttemptOutcome.EXPIRED
    assert model.tasks[t].status == TaskStatus.EXPIRED
    assert model.tasks[t].attempters == [PROVIDER]
    assert model.ledger(CLIENT).balance == 10 * P
    with reverts("Expired"):
        model.attempt(PROVIDER2, t, PROVIDER2, NOW + 102)


def test_late_attempt_on_a_responded_task_reverts_expired(model):
    _, t = ready_task(model, DeliveryMethod.MANUAL_CONFIRMATION)
    model.attempt(PROVIDER, t, PROVIDER, NOW)
    model.submit_response(PROVIDER, t, PROVIDER, "out", P, NOW)
    with reverts("Expired"):
        model.attempt(PROVIDER2, t, PROVIDER2, NOW + 101)
    assert model.tasks[t].status == TaskStatus.RESPONDED


def test_sanctioned_provider_cannot_attempt(model):
    _, t = ready_task(model, DeliveryMethod.MANUAL_CONFIRMATION)
    model.deposit(PROVIDER, PROVIDER, 1)
    model.lock(PROVIDER, 1)
    model.sanction(ADMIN, PROVIDER, 1)
    with reverts("NotEligible"):
        model.attempt(PROVIDER, t, PROVIDER, NOW)


# ------------------------------------------------------------------------ responses
def test_first_response_finalizes_pays_and_refunds_the_remainder(model):
    _, t = ready_task(model, DeliveryMethod.FIRST_RESPONSE, payment=3 * P)
    model.attempt(PROVIDER, t, PROVIDER, NOW)
    r = model.submit_response(PROVIDER, t, PROVIDER, "out", 2 * P, NOW)
    assert model.tasks[t].status == TaskStatus.FINALIZED
    assert model.tasks[t].winner == PROVIDER
    assert model.responses[r].status == ResponseStatus.CONFIRMED
    assert model.ledger(PROVIDER).balance == 2 * P
    assert model.ledger(PROVIDER).earnings == 2 * P
    assert model.ledger(CLIENT).balance == 8 * P
    assert model.ledger(CLIENT).frozen == 0


def test_second_response_on_a_first_response_task_reverts_already_finalized(model):
    _, t = ready_task(model, DeliveryMethod.FIRST_RESPONSE)
    model.attempt(PROVIDER, t, PROVIDER, NOW)
    model.attempt(PROVIDER2, t, PROVIDER2, NOW)
    model.submit_response(PROVIDER, t, PROVIDER, "a", P, NOW)
    with reverts("AlreadyFinalized"):
        model.submit_response(PROVIDER2, t, PROVIDER2, "b", P, NOW)
    assert model.ledger(PROVIDER2).earnings == 0


def test_manual_response_moves_to_responded_and_waits(model):
    _, t = ready_task(model, DeliveryMethod.MANUAL_CONFIRMATION)
    model.attempt(PROVIDER, t, PROVIDER, NOW)
    r = model.submit_response(PROVIDER, t, PROVIDER, "a", P, NOW)
    assert model.tasks[t].status == TaskStatus.RESPONDED
    assert model.responses[r].status == ResponseStatus.SUBMITTED
    assert model.ledger(CLIENT).frozen == P


@pytest.mark.parametrize(
    ("data", "payment", "now", "reason"),
    [
        ("b", P, NOW + 101, "Expired"),
        ("b", P + 1, NOW, "InvalidPayment"),
    ],
)
def test_submit_response_guards(model, data, payment, now, reason):
    _, t = ready_task(model, DeliveryMethod.MANUAL_CONFIRMATION)
    model.attempt(PROVIDER, t, PROVIDER, NOW)
    model.attempt(PROVIDER2, t, PROVIDER2, NOW)
    model.submit_response(PROVIDER, t, PROVIDER, "a", P, NOW)
    with reverts(reason):
        model.submit_response(PROVIDER2, t, PROVIDER2, data, payment, now)


def test_two_providers_may_submit_the_same_data(model):
    _, t = ready_task(model, DeliveryMethod.MANUAL_CONFIRMATION)
    model.attempt(PROVIDER, t, PROVIDER, NOW)
    model.attempt(PROVIDER2, t, PROVIDER2, NOW)
    model.submit_response(PROVIDER, t, PROVIDER, "a", P, NOW)

    model.submit_response(PROVIDER2, t, PROVIDER2, "a", P, NOW)

    assert len(model.tasks[t].responses) == 2


def test_submit_without_attempt_reverts_not_attempted(model):
    _, t = ready_task(model, DeliveryMethod.MANUAL_CONFIRMATION)
    with reverts("NotAttempted"):
        model.submit_response(PROVIDER, t, PROVIDER, "a", P, NOW)


def test_submit_twice_reverts_already_submitted(model):
    _, t = ready_task(model, DeliveryMethod.MANUAL_CONFIRMATION)
    model.attempt(PROVIDER, t, PROVIDER, NOW)
    model.submit_response(PROVIDER, t, PROVIDER, "a", P, NOW)
    with reverts("AlreadySubmitted"):
        model.submit_response(PROVIDER, t, PROVIDER, "b", P, NOW)


# ------------------------------------------------------------------------ confirm
def test_confirm_finalizes_and_pays_the_chosen_provider_only(model):
    _, t = ready_task(model, DeliveryMethod.MANUAL_CONFIRMATION)
    model.attempt(PROVIDER, t, PROVIDER, NOW)
    model.attempt(PROVIDER2, t, PROVIDER2, NOW)
    model.submit_response(PROVIDER, t, PROVIDER, "a", P, NOW)
    r2 = model.submit_response(PROVIDER2, t, PROVIDER2, "b", P, NOW)
    assert model.confirm_response(CLIENT, r2) is True
    assert model.tasks[t].winner == PROVIDER2
    assert model.ledger(PROVIDER2).earnings == P
    assert model.ledger(PROVIDER).earnings == 0


def test_confirm_guards(model):
    _, t = ready_task(model, DeliveryMethod.MANUAL_CONFIRMATION)
    model.attempt(PROVIDER, t, PROVIDER, NOW)
    model.attempt(PROVIDER2, t, PROVIDER2, NOW)
    r1 = model.submit_response(PROVIDER, t, PROVIDER, "a", P, NOW)
    r2 = model.submit_response(PROVIDER2, t, PROVIDER2, "b", P, NOW)
    with reverts("UnknownResponse"):
        model.confirm_response(CLIENT, "nowhere")
    with reverts("NotOwner"):
        model.confirm_response(OTHER, r1)
    model.confirm_response(CLIENT, r1)
    with reverts("AlreadyConfirmed"):
        model.confirm_response(CLIENT, r1)
    with reverts("AlreadyFinalized"):
        model.confirm_response(CLIENT, r2)
    assert len(model.payments) == 1


def test_confirm_of_a_first_response_winner_is_a_no_op(model):
    _, t = ready_task(model, DeliveryMethod.FIRST_RESPONSE)
    model.attempt(PROVIDER, t, PROVIDER, NOW)
    r = model.submit_response(PROVIDER, t, PROVIDER, "a", P, NOW)
    assert model.confirm_response(CLIENT, r) is False
    assert model.ledger(PROVIDER).earnings == P
    assert len(model.payments) == 1


# ------------------------------------------------------------------------ vault
def test_scenario_05_staking_cycle(model):
    a = "actor"
    model.deposit(a, a, 50)
    model.lock(a, 20)
    model.unbond(a, 10, NOW)
    assert model.ledger(a) == model.ledger(a).__class__(
        balance=30, lockup=10, unbonding=10, unbonding_timestamp=NOW + 10
    )
    with reverts("UnbondingNotElapsed"):
        model.claim(a, NOW + 9)
    assert model.claim(a, NOW + 10) == 10
    assert (model.ledger(a).balance, model.ledger(a).unbonding_timestamp) == (40, 0)


def test_second_unbond_restarts_the_clock_for_the_whole_bucket(model):
    model.deposit(OTHER, OTHER, 10)
    model.lock(OTHER, 10)
    model.unbond(OTHER, 3, NOW)
    model.unbond(OTHER, 3, NOW + 5)
    assert model.ledger(OTHER).unbonding == 6
    assert model.ledger(OTHER).unbonding_timestamp == NOW + 15


@pytest.mark.parametrize(
    ("call", "reason"),
    [
        (lambda m: m.deposit(OTHER, OTHER, 0), "ZeroAmount"),
        (lambda m: m.withdraw(OTHER, 1), "InsufficientBalance"),
        (lambda m: m.lock(OTHER, 1), "InsufficientBalance"),
        (lambda m: m.unbond(OTHER, 1, NOW), "InsufficientLockup"),
        (lambda m: m.claim(OTHER, NOW), "NothingToClaim"),
        (lambda m: m.cancel_unbonding(OTHER), "NothingUnbonding"),
        (lambda m: m.sanction(OTHER, OTHER, 0), "NotJudge"),
        (lambda m: m.sanction(ADMIN, OTHER, 1), "InsufficientLockup"),
        (lambda m: m.waive(ADMIN, OTHER, 1), "InsufficientSanction"),
        (lambda m: m.set_whitelist(OTHER, OTHER, True), "NotAdmin"),
    ],
)
def test_vault_guards(model, call, reason):
    with reverts(reason):
        call(model)
    assert model.ledger(OTHER) == model.ledger("never-seen")


def test_withdraw_reduces_the_vaults_native_balance(model):
    model.withdraw(CLIENT, 4 * P)
    assert model.ledger(CLIENT).balance == 6 * P
    assert model.vault_native == 6 * P


def test_cancel_unbonding_returns_the_bucket_to_lockup(model):
    model.lock(CLIENT, 5)
    model.unbond(CLIENT, 5, NOW)
    model.cancel_unbonding(CLIENT)
    assert (model.ledger(CLIENT).lockup, model.ledger(CLIENT).unbonding) == (5, 0)


def test_sanction_and_waive_move_lockup_back_and_forth(model):
    model.lock(CLIENT, 5)
    model.sanction(ADMIN, CLIENT, 3)
    assert (model.ledger(CLIENT).lockup, model.ledger(CLIENT).sanction) == (2, 3)
    assert not model.is_eligible(CLIENT)
    model.waive(ADMIN, CLIENT, 3)
    assert (model.ledger(CLIENT).lockup, model.ledger(CLIENT).sanction) == (5, 0)
    assert model.is_eligible(CLIENT)


def test_a_revert_leaves_the_model_untouched(model):
    _, t = ready_task(model, DeliveryMethod.MANUAL_CONFIRMATION)
    before = (dict(model.ledgers), model.tasks[t].status, list(model.tasks[t].attempters))
    with reverts("NotProvider"):
        model.attempt(OTHER, t, PROVIDER, NOW + 500)
    assert (dict(model.ledgers), model.tasks[t].status, list(model.tasks[t].attempters)) == before
