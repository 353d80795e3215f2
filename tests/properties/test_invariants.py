"""Each protocol invariant holds on a consistent model and names itself, with the values
that break it, when a model breaks it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ogpu_sim.errors import ModelMismatch
from ogpu_sim.testing.cast import Outside
from ogpu_sim.testing.invariants import protocol_invariants
from ogpu_sim.testing.model import DeliveryMethod, ProtocolModel
from ogpu_sim.testing.model.records import Payment, ResponseStatus, TaskStatus

from .modelkit import CLIENT, NOW, PROVIDER, PROVIDER2, P, fresh_model, ready_task

ACCOUNTS = ("admin", CLIENT, PROVIDER, PROVIDER2, "master", "master2")


def _market() -> tuple[ProtocolModel, str]:
    """A model with a NEW task of payment P, its escrow frozen, and the Vault's balance."""
    m = fresh_model()
    _, task = ready_task(m, DeliveryMethod.MANUAL_CONFIRMATION)
    m.vault_native = m.ledger_total()
    return m, task


def _check(m: ProtocolModel, seen: dict[str, object] | None = None) -> None:
    protocol_invariants(m, Outside(), ACCOUNTS, {} if seen is None else seen)


def test_a_consistent_model_breaks_no_invariant_and_its_statuses_are_remembered() -> None:
    m, task = _market()
    seen: dict[str, object] = {}
    _check(m, seen)
    assert seen == {task: TaskStatus.NEW}


def _broken(m: ProtocolModel, seen: dict[str, object] | None = None) -> ModelMismatch:
    with pytest.raises(ModelMismatch) as raised:
        _check(m, seen)
    return raised.value


def _cases(task: str) -> list[tuple[str, Callable[[ProtocolModel], None], str]]:
    def extra_native(m: ProtocolModel) -> None:
        m.vault_native += 5

    def unfrozen(m: ProtocolModel) -> None:
        m.ledgers[CLIENT].frozen -= 1
        m.ledgers[CLIENT].balance += 1

    def sanctioned(m: ProtocolModel) -> None:
        m.sanctioned_amount = 7

    def drained(m: ProtocolModel) -> None:
        m.tasks[task].escrow = 0
        m.ledgers[CLIENT].frozen -= P
        m.ledgers[CLIENT].balance += P

    def paid_twice(m: ProtocolModel) -> None:
        m.payments.extend([Payment(task, PROVIDER, 0), Payment(task, PROVIDER, 0)])

    def unearned(m: ProtocolModel) -> None:
        m.payments.append(Payment(task, PROVIDER2, 3))

    name = "task1"
    return [
        ("Vault conservation", extra_native, f"Vault holds {10 * P + 5}, ledgers sum to {10 * P}"),
        ("escrow accounting", unfrozen, f"frozen payments {P - 1} != escrow held for tasks {P}"),
        ("sanction accounting", sanctioned, "sanctionedAmount 7 != sum of sanctions 0"),
        ("escrow of a task", drained, f"{name} (<TaskStatus.NEW: 0>) holds escrow 0"),
        ("no double payment", paid_twice, "paid twice for a task"),
        ("earnings are payments", unearned, f"{PROVIDER2} earned 0 but was paid 3"),
    ]


@pytest.mark.parametrize("index", range(6))
def test_a_broken_invariant_is_named_with_the_values_that_break_it(index: int) -> None:
    m, task = _market()
    name, breaking, message = _cases(task)[index]
    breaking(m)
    error = _broken(m)
    assert error.check == f"invariant: {name}"
    assert str(error) == f"invariant '{name}' broken: {message}"


def test_a_task_that_left_a_terminal_status_breaks_absorption() -> None:
    m, task = _market()
    m.tasks[task].status = TaskStatus.NEW
    error = _broken(m, {task: TaskStatus.CANCELED})
    assert error.check == "invariant: terminal states are absorbing"
    assert str(error) == (
        "invariant 'terminal states are absorbing' broken: "
        "task1 left <TaskStatus.CANCELED: 3> for <TaskStatus.NEW: 0>"
    )


def test_two_confirmed_responses_of_one_task_break_the_one_confirmed_rule() -> None:
    m, task = _market()
    for provider in (PROVIDER, PROVIDER2):
        m.attempt(provider, task, provider, NOW)
        m.submit_response(provider, task, provider, f"data of {provider}", 0, NOW, provider)
    for response in m.responses.values():
        response.status = ResponseStatus.CONFIRMED
    error = _broken(m)
    assert error.check == "invariant: one confirmed response per task"
    assert str(error) == (
        "invariant 'one confirmed response per task' broken: task1 has 2 confirmed responses"
    )


def test_a_forced_task_is_exempt_from_the_per_task_invariants() -> None:
    m, task = _market()
    m.tasks[task].forced = True
    m.tasks[task].status = TaskStatus.NEW
    _check(m, {task: TaskStatus.CANCELED})
