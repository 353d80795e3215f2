"""The protocol's invariants, checked after every step once the chain equals the model.

Model-independent statements about the protocol: the Vault holds exactly what its ledgers sum
to; frozen payments are the escrow held for tasks; sanctioned funds are the sum of sanctions;
terminal task statuses are absorbing, an open task holds its whole payment and a closed one
none, a task has at most one confirmed response and no provider is paid twice for a task; an
account's earnings are the payments it received. A task whose status, response or escrow the
Nexus owner or a judge forced is exempt from the per-task ones (forcing moves no money).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import ModelMismatch
from .cast import Outside
from .model import TERMINAL_TASK_STATUSES, ProtocolModel, ResponseStatus


def _broken(name: str, message: str) -> None:
    raise ModelMismatch(f"invariant '{name}' broken: {message}", check=f"invariant: {name}")


def protocol_invariants(
    m: ProtocolModel, outside: Outside, accounts: Sequence[str], seen_status: dict[str, Any]
) -> None:
    """Raise :class:`ModelMismatch` (``check="invariant: <name>"``) for the first broken one.

    A message is built only for an invariant that is broken (this runs after every step).

    Args:
        m: the model, equal to the chain in every view when this runs.
        outside: what the Vault holds beyond ``accounts``, and their earnings at start.
        accounts: the accounts whose ledgers the model keeps.
        seen_status: each task's status at the previous check (updated here).
    """
    ledgers = [m.ledger(a) for a in accounts]
    holdings = sum(ledger.holdings() for ledger in ledgers)
    if m.vault_native != outside.holdings + holdings:
        _broken(
            "Vault conservation",
            f"Vault holds {m.vault_native}, ledgers sum to {outside.holdings + holdings}",
        )
    frozen = sum(ledger.frozen for ledger in ledgers) - outside.frozen
    if frozen != m.open_escrow():
        _broken(
            "escrow accounting",
            f"frozen payments {frozen} != escrow held for tasks {m.open_escrow()}",
        )
    sanctions = sum(ledger.sanction for ledger in ledgers) + outside.sanctioned
    if m.sanctioned_amount != sanctions:
        _broken(
            "sanction accounting",
            f"sanctionedAmount {m.sanctioned_amount} != sum of sanctions {sanctions}",
        )
    responses = m.responses
    for task in m.tasks.values():
        if task.forced:
            continue
        previous = seen_status.get(task.address)
        if previous in TERMINAL_TASK_STATUSES and task.status != previous:
            _broken(
                "terminal states are absorbing",
                f"{m.name(task.address)} left {previous!r} for {task.status!r}",
            )
        seen_status[task.address] = task.status
        open_task = task.status not in TERMINAL_TASK_STATUSES
        if task.escrow != (task.payment if open_task else 0):
            _broken(
                "escrow of a task",
                f"{m.name(task.address)} ({task.status!r}) holds escrow {task.escrow}",
            )
        confirmed = [
            r for r in task.responses.values() if responses[r].status == ResponseStatus.CONFIRMED
        ]
        if len(confirmed) > 1:
            _broken(
                "one confirmed response per task",
                f"{m.name(task.address)} has {len(confirmed)} confirmed responses",
            )
    paid = [(p.task, p.provider) for p in m.payments]
    if len(paid) != len(set(paid)):
        _broken("no double payment", "paid twice for a task")
    received: dict[str, int] = {}
    for payment in m.payments:
        received[payment.provider] = received.get(payment.provider, 0) + payment.amount
    for account, ledger in zip(accounts, ledgers, strict=True):
        earned = ledger.earnings - outside.earnings.get(account, 0)
        if earned != received.get(account, 0):
            _broken(
                "earnings are payments",
                f"{account} earned {earned} but was paid {received.get(account, 0)}",
            )
