"""Plain records of a ``simulate`` run: task records, actors, Vault ledgers, the run's data.

The runner fills them; the checks (:mod:`ogpu_sim.simulate.checks`) and the report
(:mod:`ogpu_sim.simulate.report`) read them, so both can be tested on synthetic runs. Times are
simulated seconds since the workload started, amounts are wei.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ogpu_sim.vocabulary import VAULT_BUCKET_GETTERS

BUCKETS = tuple(VAULT_BUCKET_GETTERS)
"""Vault buckets that together must equal the Vault's native balance (docs/protocol.md,
escrow and payments)."""
TERMINAL = ("FINALIZED", "EXPIRED", "CANCELED")
STATUSES = ("NEW", "ATTEMPTED", "RESPONDED", "CANCELED", "EXPIRED", "FINALIZED")


@dataclass
class Account:
    """One account's Vault figures (wei) at one moment."""

    balance: int = 0
    lockup: int = 0
    unbonding: int = 0
    frozen: int = 0
    sanction: int = 0
    earnings: int = 0

    @property
    def held(self) -> int:
        """Everything the Vault holds for this account."""
        return sum(getattr(self, name) for name in BUCKETS)


@dataclass
class Ledger:
    """The Vault at one moment: its native balance and every known account's buckets."""

    vault_balance: int
    accounts: dict[str, Account] = field(default_factory=dict)

    def account(self, address: str) -> Account:
        """The figures of ``address`` (zeros when the Vault never saw it)."""
        return self.accounts.get(address, Account())


@dataclass
class TaskRecord:
    """One task of the workload, as the runner saw it. Times are simulated seconds."""

    index: int
    address: str
    source: str
    delivery: str
    client: str
    payment: int
    published_at: int
    expires_at: int
    status: str = "NEW"
    ended_at: int | None = None
    attempts: int = 0
    responses: int = 0
    winner: str | None = None
    paid: int = 0
    cancel_planned: bool = False
    explanation: str | None = None
    rejected: list[str] = field(default_factory=list)
    """Providers whose responses the client's review rejected."""

    @property
    def latency(self) -> int | None:
        """Seconds from publication to finalization (None unless FINALIZED)."""
        if self.status != "FINALIZED" or self.ended_at is None:
            return None
        return self.ended_at - self.published_at


@dataclass
class Actor:
    """A client or provider of the run."""

    name: str
    role: str
    address: str
    behaviour: str = ""
    source: str = ""
    environment: str = ""
    master: str = ""


@dataclass
class AttachFacts:
    """What an attached run (``--network``) can know on a shared chain, for its checks.

    Amounts are wei. "Own" accounts are the user's keys the run spends from; ``held`` is an
    account's native balance plus everything the Vault holds for it.
    """

    network: str
    cap: int | None
    counted_spend: int = 0
    """What the spend ledger counted against the cap (after fresh accounts were swept back)."""
    own_start: dict[str, int] = field(default_factory=dict)
    """Native + Vault holdings of each of the user's keys before set-up."""
    own_end: dict[str, int] = field(default_factory=dict)
    """The same after the run's fresh accounts were swept back."""
    published: list[str] = field(default_factory=list)
    """Tasks whose ``TaskPublished`` came from a transaction the run sent, in order."""
    task_payments: dict[str, int] = field(default_factory=dict)
    """Each published task's payment as its Task contract records it (what the Vault froze)."""
    task_status: dict[str, str] = field(default_factory=dict)
    """Each published task's status read from its contract at the end of the run."""
    left_in_vault: dict[str, int] = field(default_factory=dict)
    """What fresh accounts still hold in the Vault after the run (locked stakes cannot be
    withdrawn before their unbonding period): swept native balances do not include it."""
    kept_keys: str | None = None
    """The file that keeps those accounts' keys (owner-only), when anything was left."""

    @property
    def own_loss(self) -> int:
        """How much the user's keys hold less than before the run."""
        return sum(self.own_start.values()) - sum(self.own_end.get(a, 0) for a in self.own_start)


@dataclass(frozen=True)
class Skipped:
    """A check that was not run, and why (attach mode: it cannot be known on a shared chain)."""

    name: str
    reason: str


@dataclass
class RunData:
    """Everything a run produced; the input of :func:`check_run` and :func:`build_report`."""

    scenario: str
    seed: int
    backend: str
    runtime: str
    tasks: list[TaskRecord]
    actors: list[Actor]
    ledger_start: Ledger
    ledger_end: Ledger
    events: list[dict[str, Any]] = field(default_factory=list)
    provider_actions: dict[str, dict[str, int]] = field(default_factory=dict)
    blocks: int = 0
    transactions: int = 0
    duration: int = 0
    timing: dict[str, float] = field(default_factory=dict)
    chain_faults: int = 0
    """Chain faults injected during the workload (``chain_fault_rate``)."""
    reviews_unavailable: dict[str, str] = field(default_factory=dict)
    """Sources whose output model the clients could not load (their responses went unreviewed)."""
    runtimes_used: dict[str, list[str]] = field(default_factory=dict)
    """The runtimes the handlers ran on, keyed ``source:environment`` (what ``auto`` chose)."""
    attach: AttachFacts | None = None
    """Set for a run attached to a live network: its checks are the attach ones."""

    def by_role(self, role: str) -> list[Actor]:
        """The actors with ``role`` (``client`` or ``provider``), in creation order."""
        return [a for a in self.actors if a.role == role]
