"""``ModelState``: every table the reference model keeps, and the lookups all its parts share.

The protocol's writes live in mixins next to this module (one per contract family); they all
derive from :class:`ModelState`, so each sees the same tables and helpers.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

from .records import Ledger, Payment, ResponseState, SourceState, TaskState


class ModelState:
    """The whole protocol state: Terminal, Nexus, Controller, Vault and the instance contracts.

    Args:
        admin: the deployer; holds DEFAULT_ADMIN_ROLE and JUDGE in the Manager.
        unbonding_period: ``Vault.UNBONDING_PERIOD`` in seconds.
        min_lockup_per_source: ``Vault.MIN_LOCKUP_PER_SOURCE`` in wei.
        strict_publish: if True only the source's client (or its agent) may publish tasks
            (``NotOwner`` otherwise); if False anyone may, paying themselves.
    """

    def __init__(
        self,
        admin: str,
        unbonding_period: int = 10,
        min_lockup_per_source: int = 0,
        strict_publish: bool = False,
    ) -> None:
        self.admin = admin
        self.unbonding_period = unbonding_period
        self.min_lockup_per_source = min_lockup_per_source
        self.strict_publish = strict_publish
        self.sources: dict[str, SourceState] = {}
        self.tasks: dict[str, TaskState] = {}
        self.responses: dict[str, ResponseState] = {}
        self.ledgers: dict[str, Ledger] = {}
        self.payments: list[Payment] = []
        self.vault_native = 0
        self.is_provider: set[str] = set()
        self.is_master: set[str] = set()
        self.master_of: dict[str, str] = {}
        self.pending_master_of: dict[str, str] = {}
        self.provider_of: dict[str, str] = {}
        self.agents: set[tuple[str, str]] = set()  # (principal, agent)
        self._ids = itertools.count(1)

    # ----------------------------------------------------------------- lookups
    def ledger(self, account: str) -> Ledger:
        """The Vault ledger of ``account`` (all zero if it never touched the Vault)."""
        return self.ledgers.get(account) or Ledger()

    def _ledger(self, account: str) -> Ledger:
        return self.ledgers.setdefault(account, Ledger())

    def _new_address(self, kind: str, address: str | None) -> str:
        return address if address is not None else f"model:{kind}:{next(self._ids)}"

    def rename(self, placeholder: str, address: str) -> None:
        """Give a source, task or response created under ``placeholder`` its chain address.

        Lets a caller run an operation on the model before the chain has told it the address of
        the contract the operation creates.
        """
        if placeholder in self.sources:
            self.sources[address] = self.sources.pop(placeholder)
            self.sources[address].address = address
        if placeholder in self.tasks:
            task = self.tasks[address] = self.tasks.pop(placeholder)
            task.address = address
            source_tasks = self.sources[task.source].tasks
            source_tasks[source_tasks.index(placeholder)] = address
        if placeholder in self.responses:
            response = self.responses[address] = self.responses.pop(placeholder)
            response.address = address
            self.tasks[response.task].responses[response.provider] = address
        self.payments = [
            replace(p, task=address) if p.task == placeholder else p for p in self.payments
        ]

    def is_agent_of(self, principal: str, agent: str) -> bool:
        """Raw ``Terminal.isAgentOf(principal, agent)``."""
        return (principal, agent) in self.agents

    def is_eligible(self, account: str) -> bool:
        """``Vault.isEligible``: whitelisted, or unsanctioned with the global minimum lockup."""
        ledger = self.ledger(account)
        if ledger.whitelisted:
            return True
        return ledger.sanction == 0 and ledger.lockup >= self.min_lockup_per_source

    def _principal_or_agent(self, principal: str, sender: str) -> bool:
        return sender == principal or self.is_agent_of(principal, sender)

    def _provider_operator(self, provider: str, sender: str) -> bool:
        if sender == provider:
            return True
        master = self.master_of.get(provider)
        return master is not None and (sender == master or self.is_agent_of(master, sender))

    def open_escrow(self) -> int:
        """Sum of the escrow of every task that is not yet terminal."""
        return sum(task.escrow for task in self.tasks.values())

    def ledger_total(self) -> int:
        """What the Vault's native balance must be: the sum of all ledgers' holdings."""
        return sum(ledger.holdings() for ledger in self.ledgers.values())
