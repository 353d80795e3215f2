"""Specification of the reference model: the Vault, the judge and the admin."""

from __future__ import annotations

import pytest

from ogpu_sim.testing.model import (
    DeliveryMethod,
    ProtocolModel,
)

from .modelkit import (
    ADMIN,
    CLIENT,
    NOW,
    OTHER,
    PROVIDER,
    P,
    fresh_model,
    ready_task,
    reverts,
    source,
)


@pytest.fixture
def model() -> ProtocolModel:
    return fresh_model()


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


# ------------------------------------------------------------------------ payouts, settings, roles
def test_a_withdrawn_sanction_leaves_the_vault_for_the_admin(model):
    model.lock(CLIENT, 5)
    model.sanction(ADMIN, CLIENT, 3)
    assert model.withdraw_sanction_of(ADMIN, CLIENT) == 3
    assert (model.ledger(CLIENT).sanction, model.sanctioned_amount) == (0, 0)
    assert model.vault_native == 10 * P - 3
    with reverts("NotAdmin"):
        model.withdraw_sanction_of(OTHER, CLIENT)


def test_an_emergency_exit_pays_out_balance_lockup_and_unbonding_but_not_escrow(model):
    s = source(model)
    model.publish_task(CLIENT, s, NOW + 60, P, NOW)
    model.lock(CLIENT, 2 * P)
    model.unbond(CLIENT, P, NOW)
    assert model.emergency_exit(ADMIN, CLIENT) == 9 * P
    ledger = model.ledger(CLIENT)
    assert (ledger.balance, ledger.lockup, ledger.unbonding, ledger.frozen) == (0, 0, 0, P)
    assert ledger.unbonding_timestamp == 0


def test_the_admin_sets_the_unbonding_period_and_the_minimum_lockup(model):
    model.set_unbonding_period(ADMIN, 30)
    model.lock(CLIENT, 5)
    model.unbond(CLIENT, 1, NOW)
    assert model.ledger(CLIENT).unbonding_timestamp == NOW + 30
    model.set_min_lockup_per_source(ADMIN, 5)
    assert not model.is_eligible(CLIENT)
    with reverts("NotAdmin"):
        model.set_min_lockup_per_source(CLIENT, 0)


def test_the_admin_makes_judges_and_a_judge_may_step_down(model):
    model.lock(CLIENT, 5)
    with reverts("AccessControlUnauthorizedAccount"):
        model.grant_role(OTHER, "JUDGE", OTHER)
    model.grant_role(ADMIN, "JUDGE", OTHER)
    model.sanction(OTHER, CLIENT, 1)
    with reverts("AccessControlBadConfirmation"):
        model.renounce_role(OTHER, "JUDGE", ADMIN)
    model.renounce_role(OTHER, "JUDGE", OTHER)
    with reverts("NotJudge"):
        model.sanction(OTHER, CLIENT, 1)


def test_a_judge_or_the_admin_forces_an_escrow_back_to_its_payer(model):
    _, t = ready_task(model, DeliveryMethod.MANUAL_CONFIRMATION)
    with reverts("NotJudge"):
        model.force_release_payment(OTHER, t)
    model.force_release_payment(ADMIN, t)
    assert (model.ledger(CLIENT).balance, model.ledger(CLIENT).frozen) == (10 * P, 0)
    model.force_release_payment(ADMIN, "not-a-task")  # nothing held: a no-op
