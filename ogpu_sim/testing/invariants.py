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


def _holds(holds: bool, name: str, message: str) -> None:
    if not holds:
        raise ModelMismatch(f"invariant '{name}' broken: {message}", check=f"invariant: {name}")


def protocol_invariants(
    m: ProtocolModel, outside: Outside, accounts: Sequence[str], seen_status: dict[str, Any]
) -> None:
    """Raise :class:`ModelMismatch` (``check="invariant: <name>"``) for the first broken one.

    Args:
        m: the model, equal to the chain in every view when this runs.
        outside: what the Vault holds beyond ``accounts``, and their earnings at start.
        accounts: the accounts whose ledgers the model keeps.
        seen_status: each task's status at the previous check (updated here).
    """
    holdings = sum(m.ledger(a).holdings() for a in accounts)
    _holds(
        m.vault_native == outside.holdings + holdings,
        "Vault conservation",
        f"Vault holds {m.vault_native}, ledgers sum to {outside.holdings + holdings}",
    )
    frozen = sum(m.ledger(a).frozen for a in accounts) - outside.frozen
    _holds(
        frozen == m.open_escrow(),
        "escrow accounting",
        f"frozen payments {frozen} != escrow held for tasks {m.open_escrow()}",
    )
    sanctions = sum(m.ledger(a).sanction for a in accounts) + outside.sanctioned
    _holds(
        m.sanctioned_amount == sanctions,
        "sanction accounting",
        f"sanctionedAmount {m.sanctioned_amount} != sum of sanctions {sanctions}",
    )
    for task in m.tasks.values():
        if task.forced:
            continue
        name, previous = m.name(task.address), seen_status.get(task.address)
        _holds(
            previous not in TERMINAL_TASK_STATUSES or task.status == previous,
            "terminal states are absorbing",
            f"{name} left {previous!r} for {task.status!r}",
        )
        seen_status[task.address] = task.status
        open_task = task.status not in TERMINAL_TASK_STATUSES
        _holds(
            task.escrow == (task.payment if open_task else 0),
            "escrow of a task",
            f"{name} ({task.status!r}) holds escrow {task.escrow}",
        )
        confirmed = [
            r for r in task.responses.values() if m.responses[r].status == ResponseStatus.CONFIRMED
        ]
        _holds(
            len(confirmed) <= 1,
            "one confirmed response per task",
            f"{name} has {len(confirmed)} confirmed responses",
        )
    paid = [(p.task, p.provider) for p in m.payments]
    _holds(len(paid) == len(set(paid)), "no double payment", "paid twice for a task")
    for account in accounts:
        received = sum(p.amount for p in m.payments if p.provider == account)
        earned = m.ledger(account).earnings - outside.earnings.get(account, 0)
        _holds(
            earned == received,
            "earnings are payments",
            f"{account} earned {earned} but was paid {received}",
        )
