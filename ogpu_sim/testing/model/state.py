"""``ModelState``: every table the reference model keeps, and the lookups all its parts share.

The protocol's writes live in mixins next to this module (one per contract family); they all
derive from :class:`ModelState`, so each sees the same tables and helpers.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

from .records import (
    ROLES,
    Ledger,
    Payment,
    ResponseState,
    ResponseStatus,
    SourceState,
    TaskState,
    TaskStatus,
)


class ModelState:
    """The whole protocol state: Terminal, Nexus, Controller, Vault, Manager and the instances.

    Args:
        admin: the deployer; holds DEFAULT_ADMIN_ROLE and JUDGE in the Manager and owns the
            Ownable singletons (so it may force statuses through the Nexus).
        unbonding_period: ``Vault.UNBONDING_PERIOD`` in seconds.
        min_lockup_per_source: ``Vault.MIN_LOCKUP_PER_SOURCE`` in wei.
        strict_publish: if True only the source's client (or its agent) may publish tasks
            (``NotOwner`` otherwise); if False anyone may, paying themselves.
        controllers: the accounts holding the CONTROLLER role (the Controller and the Nexus).
    """

    def __init__(
        self,
        admin: str,
        unbonding_period: int = 10,
        min_lockup_per_source: int = 0,
        strict_publish: bool = False,
        controllers: tuple[str, ...] = (),
    ) -> None:
        self.admin = admin
        self.unbonding_period = unbonding_period
        self.min_lockup_per_source = min_lockup_per_source
        self.strict_publish = strict_publish
        # Nexus, Controller and the instance contracts
        self.sources: dict[str, SourceState] = {}
        self.source_list: list[str] = []  # Nexus.sources, in publication order
        self.clients: list[str] = []  # Nexus.clients: each source owner once
        self.sources_of: dict[str, list[str]] = {}
        #: active sources each client had before the model started (not modelled themselves)
        self.outside_active: dict[str, int] = {}
        self.tasks: dict[str, TaskState] = {}
        self.responses: dict[str, ResponseState] = {}
        #: model name of every source, task and response ("source1", "task2", ...)
        self.names: dict[str, str] = {}
        # Vault
        self.ledgers: dict[str, Ledger] = {}
        self.payments: list[Payment] = []
        self.vault_native = 0
        self.sanctioned_amount = 0
        # Terminal
        self.is_provider: set[str] = set()
        self.is_master: set[str] = set()
        self.master_of: dict[str, str] = {}
        self.pending_master_of: dict[str, str] = {}
        self.provider_of: dict[str, str] = {}
        self.agents: set[tuple[str, str]] = set()  # (principal, agent)
        self.default_agent_disabled: set[str] = set()
        self.base_data: dict[str, str] = {}
        self.live_data: dict[str, str] = {}
        # Manager
        self.roles: dict[str, set[str]] = {role: set() for role in ROLES}
        self.roles["DEFAULT_ADMIN_ROLE"].add(admin)
        self.roles["JUDGE"].add(admin)
        self.roles["CONTROLLER"].update(controllers)
        self._ids = itertools.count(1)
        self._counts: dict[str, int] = {}

    def digest(self) -> int:
        """A cheap hash of the state (what an action changed shows in it).

        Sources count by the params a caller chose (:meth:`SourceParams.chosen`): what the
        SDK took from the wall clock would make a replayed example a new experiment. Built
        from list comprehensions, not generators: each action records one."""
        return hash(
            (
                tuple(
                    [
                        (a, x.balance, x.lockup, x.unbonding, x.frozen, x.sanction, x.whitelisted)
                        for a, x in self.ledgers.items()
                    ]
                ),
                tuple([(t.status, len(t.attempters), t.escrow) for t in self.tasks.values()]),
                tuple(
                    [
                        (s.status, len(s.registrants), s.params.chosen())
                        for s in self.sources.values()
                    ]
                ),
                tuple([r.status for r in self.responses.values()]),
                frozenset(self.master_of.items()),
                frozenset(self.is_provider),
                frozenset(self.agents),
                frozenset(self.default_agent_disabled),
                frozenset(self.base_data.items()),
                frozenset(self.live_data.items()),
                tuple([frozenset(holders) for holders in self.roles.values()]),
                (self.unbonding_period, self.min_lockup_per_source),
            )
        )

    # ----------------------------------------------------------------- lookups
    def ledger(self, account: str) -> Ledger:
        """The Vault ledger of ``account`` (all zero if it never touched the Vault)."""
        return self.ledgers.get(account) or Ledger()

    def _ledger(self, account: str) -> Ledger:
        return self.ledgers.setdefault(account, Ledger())

    def _new_address(self, kind: str, address: str | None) -> str:
        name = f"{kind}{self._counts.get(kind, 0) + 1}"
        self._counts[kind] = self._counts.get(kind, 0) + 1
        new = address if address is not None else f"model:{kind}:{next(self._ids)}"
        self.names[new] = name
        return new

    def name(self, address: str) -> str:
        """The model's name of a source, task or response (its address if it has none)."""
        return self.names.get(address, address)

    def rename(self, placeholder: str, address: str) -> None:
        """Give a source, task or response created under ``placeholder`` its chain address.

        Lets a caller run an operation on the model before the chain has told it the address of
        the contract the operation creates.
        """
        if placeholder in self.names:
            self.names[address] = self.names.pop(placeholder)
        if placeholder in self.sources:
            state = self.sources[address] = self.sources.pop(placeholder)
            state.address = address
            self.source_list[self.source_list.index(placeholder)] = address
            own = self.sources_of[state.client]
            own[own.index(placeholder)] = address
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

    def has_role(self, role: str, account: str) -> bool:
        """``Manager.hasRole(role, account)`` by role name."""
        return account in self.roles[role]

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

    def _is_controller_or_owner(self, sender: str) -> bool:
        """The Nexus's ``_requireControllerOrOwner`` (the admin owns the Nexus)."""
        return sender == self.admin or self.has_role("CONTROLLER", sender)

    def open_escrow(self) -> int:
        """Sum of the escrow the Vault still holds for tasks."""
        return sum(task.escrow for task in self.tasks.values())

    def ledger_total(self) -> int:
        """What the Vault's native balance must be: the sum of all ledgers' holdings."""
        return sum(ledger.holdings() for ledger in self.ledgers.values())

    # ----------------------------------------------------------------- shared effects
    def _set_task_status(self, state: TaskState, status: TaskStatus) -> None:
        """``Task.setStatus``: on FINALIZED the winner is the first attempter whose response
        is confirmed (derived once; the Task has no setter for it)."""
        state.status = status
        if status != TaskStatus.FINALIZED or state.winner is not None:
            return
        for provider in state.attempters:
            response = state.responses.get(provider)
            if response is not None and self.responses[response].status == ResponseStatus.CONFIRMED:
                state.winner = provider
                return

    def _release(self, state: TaskState) -> None:
        """``Vault._release``: whatever escrow the task still holds goes back to its payer."""
        if state.escrow == 0:
            return
        ledger = self._ledger(state.client)
        ledger.frozen -= state.escrow
        ledger.balance += state.escrow
        state.escrow = 0
