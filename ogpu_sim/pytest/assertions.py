"""Assertions for lifecycle tests, with failure messages a user can act on.

Each helper reads through the SDK and, when it fails, says what was expected, what the chain
holds, and the task's own timeline (its events and the providers' actions), e.g.::

    AssertionError: task 0xAb…: expected status FINALIZED, got RESPONDED
    the task's timeline:
         #12 event    NEXUS      TaskPublished(task=0xAb…, source=0x5F…)
         ...
"""

from __future__ import annotations

from typing import Any

from web3 import Web3


def _address(value: Any) -> str:
    return Web3.to_checksum_address(getattr(value, "address", value))


def task_timeline(sim: Any, task: Any) -> str:
    """The timeline entries that mention ``task`` (its events and provider actions), as text."""
    address = _address(task)
    everything = list(sim.timeline)
    responses = {
        e.args["response"]
        for e in everything
        if e.args.get("task") == address and e.args.get("response")
    }
    entries = [
        e
        for e in everything
        if e.args.get("task") == address or e.args.get("response") in responses
    ]
    return sim.timeline.render(entries) or "  (nothing recorded for this task)"


def assert_task_status(task: Any, expected: Any, sim: Any | None = None) -> None:
    """Assert an SDK task's status; on failure show the status and the task's timeline.

    Args:
        task: an SDK ``Task`` or its address.
        expected: a ``TaskStatus`` or its name (``"FINALIZED"``).
        sim: the simulator, to include the task's timeline in the message.
    """
    from ogpu.protocol.task import Task
    from ogpu.types import TaskStatus

    want = TaskStatus[expected] if isinstance(expected, str) else TaskStatus(expected)
    got = Task(_address(task)).get_status()
    if got != want:
        message = f"task {_address(task)}: expected status {want.name}, got {got.name}"
        if sim is not None:
            message += "\nthe task's timeline:\n" + task_timeline(sim, task)
        raise AssertionError(message)


def assert_vault(
    account: Any,
    *,
    balance: int | None = None,
    lockup: int | None = None,
    frozen: int | None = None,
    earnings: int | None = None,
) -> None:
    """Assert Vault ledgers of an account in wei; on failure list every field that differs."""
    from ogpu.protocol import vault

    address = _address(account)
    readers = {
        "balance": vault.get_balance_of,
        "lockup": vault.get_lockup_of,
        "frozen": vault.get_frozen_payment,
        "earnings": vault.get_total_earnings_of,
    }
    wanted = {"balance": balance, "lockup": lockup, "frozen": frozen, "earnings": earnings}
    wrong = []
    for name, value in wanted.items():
        if value is None:
            continue
        actual = readers[name](address)
        if actual != value:
            wrong.append(f"{name}: expected {value} wei, got {actual} wei ({actual - value:+d})")
    if wrong:
        raise AssertionError(f"vault of {address}:\n  " + "\n  ".join(wrong))


def assert_winner(task: Any, provider: Any, sim: Any | None = None) -> None:
    """Assert the task finalized with ``provider`` as its winning provider."""
    from ogpu.protocol.task import Task

    want = _address(provider)
    got = Task(_address(task)).get_winning_provider()
    if got != want:
        message = f"task {_address(task)}: expected winner {want}, got {got or 'none'}"
        if sim is not None:
            message += "\nthe task's timeline:\n" + task_timeline(sim, task)
        raise AssertionError(message)


__all__ = ["assert_task_status", "assert_vault", "assert_winner", "task_timeline"]
