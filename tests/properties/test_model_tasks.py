"""Specification of the reference model: tasks, attempts, responses and confirmation."""

from __future__ import annotations

import pytest

from ogpu_sim.testing.model import (
    AttemptOutcome,
    DeliveryMethod,
    ProtocolModel,
    ResponseStatus,
    TaskStatus,
)

from .modelkit import (
    ADMIN,
    AGENT,
    CLIENT,
    NOW,
    OTHER,
    PROVIDER,
    PROVIDER2,
    P,
    fresh_model,
    paired,
    ready_task,
    reverts,
    source,
)


@pytest.fixture
def model() -> ProtocolModel:
    return fresh_model()


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


# ---------------------------------------------------------- times and the owner's force
def test_attempts_and_responses_record_their_block_time(model):
    _, t = ready_task(model, DeliveryMethod.MANUAL_CONFIRMATION)
    model.attempt(PROVIDER, t, PROVIDER, NOW + 3)
    model.attempt(PROVIDER2, t, PROVIDER2, NOW + 4)
    r = model.submit_response(PROVIDER, t, PROVIDER, "ipfs://a", P, NOW + 5)
    assert model.tasks[t].attempt_times == [NOW + 3, NOW + 4]
    assert model.responses[r].timestamp == NOW + 5


def test_confirming_a_response_of_a_task_forced_back_to_attempted_reverts_not_responded(model):
    _, t = ready_task(model, DeliveryMethod.MANUAL_CONFIRMATION)
    model.attempt(PROVIDER, t, PROVIDER, NOW)
    r = model.submit_response(PROVIDER, t, PROVIDER, "ipfs://a", P, NOW)
    model.force_task_status(ADMIN, t, TaskStatus.ATTEMPTED)
    with reverts("NotResponded"):
        model.confirm_response(CLIENT, r)


def test_a_released_escrow_cannot_pay_a_response(model):
    _, t = ready_task(model, DeliveryMethod.FIRST_RESPONSE)
    model.attempt(PROVIDER, t, PROVIDER, NOW)
    model.force_release_payment(ADMIN, t)
    assert (model.tasks[t].escrow, model.ledger(CLIENT).frozen) == (0, 0)
    with reverts("InsufficientEscrow"):
        model.submit_response(PROVIDER, t, PROVIDER, "ipfs://a", P, NOW)
    model.submit_response(PROVIDER, t, PROVIDER, "ipfs://a", 0, NOW)  # nothing to pay
    assert model.tasks[t].status == TaskStatus.FINALIZED


def test_forcing_finalized_names_the_first_attempter_with_a_confirmed_response(model):
    _, t = ready_task(model, DeliveryMethod.MANUAL_CONFIRMATION)
    model.attempt(PROVIDER, t, PROVIDER, NOW)
    model.attempt(PROVIDER2, t, PROVIDER2, NOW)
    model.submit_response(PROVIDER, t, PROVIDER, "ipfs://a", P, NOW)
    r2 = model.submit_response(PROVIDER2, t, PROVIDER2, "ipfs://b", P, NOW)
    model.force_response_status(ADMIN, r2, ResponseStatus.CONFIRMED)
    model.force_task_status(ADMIN, t, TaskStatus.FINALIZED)
    assert model.tasks[t].winner == PROVIDER2
    assert model.tasks[t].escrow == P  # forcing moves no money
    assert model.tasks[t].forced


def test_only_the_owner_or_a_controller_forces_statuses(model):
    _, t = ready_task(model, DeliveryMethod.MANUAL_CONFIRMATION)
    with reverts("NotController"):
        model.force_task_status(CLIENT, t, TaskStatus.CANCELED)
    with reverts("UnknownTask"):
        model.force_task_status(ADMIN, "nowhere", TaskStatus.CANCELED)


def test_confirming_a_first_response_task_is_a_no_op_only_for_its_winner(model):
    _, t = ready_task(model, DeliveryMethod.FIRST_RESPONSE)
    model.attempt(PROVIDER, t, PROVIDER, NOW)
    model.attempt(PROVIDER2, t, PROVIDER2, NOW)
    won = model.submit_response(PROVIDER, t, PROVIDER, "ipfs://a", P, NOW)
    assert model.confirm_response(CLIENT, won) is False
    model.force_task_status(ADMIN, t, TaskStatus.ATTEMPTED)
    late = model.submit_response(PROVIDER2, t, PROVIDER2, "ipfs://b", 0, NOW)
    with reverts("AlreadyConfirmed"):
        model.confirm_response(CLIENT, late)  # confirmed, but not the winner
