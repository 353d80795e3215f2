"""A pure-Python reference model of the OpenGPU protocol (docs/protocol.md).

The model is the oracle the hypothesis :class:`~ogpu_sim.testing.LifecycleMachine` compares the
chain against. It holds sources, tasks, responses, the Terminal's pairing and agent tables and the
Vault ledger, and exposes one method per protocol write. Each method either applies all of its
effects or raises :class:`ModelRevert` with the exact revert string the contract uses, checking
conditions in the order the contracts check them (so the same typed SDK error results).
Every check runs before any effect, so a revert leaves the model untouched.

The model knows nothing about web3: addresses are plain strings (the caller decides their
spelling, normally checksum addresses), block time is an explicit ``now`` argument, and the
addresses of contracts the chain creates (sources, tasks, responses) are passed in by the caller
once the chain has made them (a synthetic ``model:<kind>:<n>`` address is used otherwise).

Over 450 lines: one model method per protocol write, each with the contract's checks in order;
splitting it per contract family is the planned next step.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from enum import IntEnum

from .errors import (
    ModelRevert,
)

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
ALL_ENVIRONMENTS = 7  # CPU=1 | NVIDIA=2 | AMD=4
SINGLE_ENVIRONMENTS = (1, 2, 4)


class TaskStatus(IntEnum):
    """Task status, same values as the Solidity enum and ``ogpu.types.enums.TaskStatus``."""

    NEW = 0
    ATTEMPTED = 1
    RESPONDED = 2
    CANCELED = 3
    EXPIRED = 4
    FINALIZED = 5


TERMINAL_TASK_STATUSES = frozenset({TaskStatus.CANCELED, TaskStatus.EXPIRED, TaskStatus.FINALIZED})


class SourceStatus(IntEnum):
    """Source status (ACTIVE=0, INACTIVE=1)."""

    ACTIVE = 0
    INACTIVE = 1


class ResponseStatus(IntEnum):
    """Response status (SUBMITTED=0, CONFIRMED=1)."""

    SUBMITTED = 0
    CONFIRMED = 1


class DeliveryMethod(IntEnum):
    """How a task's response is accepted (MANUAL_CONFIRMATION=0, FIRST_RESPONSE=1)."""

    MANUAL_CONFIRMATION = 0
    FIRST_RESPONSE = 1


class AttemptOutcome(IntEnum):
    """What a successful ``attempt`` did: recorded the attempt, or lazily expired the task."""

    ATTEMPTED = 0
    EXPIRED = 1


@dataclass(frozen=True)
class SourceParams:
    """The ten ``SourceParams`` fields in ABI order (docs/protocol.md, types)."""

    client: str
    image_metadata_url: str = ""
    image_environments: int = 1
    min_payment: int = 0
    min_available_lockup: int = 0
    max_expiry_duration: int = 3600
    privacy_enabled: bool = False
    optional_params_url: str = ""
    delivery_method: DeliveryMethod = DeliveryMethod.MANUAL_CONFIRMATION
    last_update_time: int = 0


@dataclass
class SourceState:
    """One published source: its params, status, registrants (provider -> env) and tasks."""

    address: str
    params: SourceParams
    status: SourceStatus = SourceStatus.ACTIVE
    registrants: dict[str, int] = field(default_factory=dict)
    tasks: list[str] = field(default_factory=list)

    @property
    def client(self) -> str:
        """The source's owner (``Source.getClient()``)."""
        return self.params.client


@dataclass
class TaskState:
    """One published task, including who pays for it (the Vault's task -> payer record)."""

    address: str
    source: str
    client: str
    config: str
    expiry_time: int
    payment: int
    delivery_method: DeliveryMethod
    status: TaskStatus = TaskStatus.NEW
    attempters: list[str] = field(default_factory=list)
    responses: dict[str, str] = field(default_factory=dict)  # provider -> response address
    submitted_data: set[tuple[str, str]] = field(default_factory=set)
    winner: str | None = None
    escrow: int = 0


@dataclass
class ResponseState:
    """One submitted response."""

    address: str
    task: str
    provider: str
    data: str
    payment: int
    status: ResponseStatus = ResponseStatus.SUBMITTED


@dataclass
class Ledger:
    """An account's Vault ledger, one field per public Vault mapping."""

    balance: int = 0
    lockup: int = 0
    unbonding: int = 0
    unbonding_timestamp: int = 0
    frozen: int = 0
    earnings: int = 0
    sanction: int = 0
    whitelisted: bool = False

    def holdings(self) -> int:
        """Native tokens the Vault holds for this account (everything but earnings)."""
        return self.balance + self.lockup + self.unbonding + self.frozen + self.sanction


@dataclass(frozen=True)
class Payment:
    """One ``Vault.processPayment``: ``amount`` paid to ``provider`` for ``task``."""

    task: str
    provider: str
    amount: int


def _require(condition: bool, reason: str, operation: str) -> None:
    if not condition:
        raise ModelRevert(reason, operation)


class ProtocolModel:
    """The whole protocol state: Terminal, Nexus, Controller, Vault and the instance contracts.

    Args:
        admin: the deployer; holds DEFAULT_ADMIN_ROLE and JUDGE in the Manager.
        unbonding_period: ``Vault.UNBONDING_PERIOD`` in seconds.
        min_lockup_per_source: ``Vault.MIN_LOCKUP_PER_SOURCE`` in wei.
        strict_publish: if True only the source's client (or its agent) may publish tasks
            (``NotOwner`` otherwise); if False anyone may, paying themselves (section 3.5 step 3).
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

    # ----------------------------------------------------------------- helpers and views
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

    # ----------------------------------------------------------------- Terminal
    def announce_provider(self, sender: str, provider: str, amount: int, value: int) -> None:
        """``Terminal.announceProvider(provider, amount)`` with ``msg.value == value``."""
        op = "announceProvider"
        _require(provider != ZERO_ADDRESS, "InvalidAddress", op)
        _require(value == amount, "InvalidAmount", op)
        _require(sender not in self.is_provider, "NotMaster", op)
        _require(self.master_of.get(provider, sender) == sender, "AlreadyPaired", op)
        self.is_provider.add(provider)
        self.pending_master_of[provider] = sender
        self.provider_of[sender] = provider
        if amount > 0:
            self._ledger(provider).lockup += amount
            self.vault_native += amount

    def announce_master(self, sender: str, master: str) -> None:
        """``Terminal.announceMaster(master)`` signed by the provider."""
        op = "announceMaster"
        _require(sender in self.is_provider, "NotProvider", op)
        _require(self.pending_master_of.get(sender) == master, "NotMaster", op)
        self.master_of[sender] = master
        self.is_master.add(master)
        self.provider_of[master] = sender

    def remove_provider(self, sender: str, provider: str) -> None:
        """``Terminal.removeProvider(provider)`` signed by its master."""
        op = "removeProvider"
        _require(
            sender in (self.master_of.get(provider), self.pending_master_of.get(provider)),
            "NotMaster",
            op,
        )
        self.master_of.pop(provider, None)
        self.pending_master_of.pop(provider, None)
        self.provider_of.pop(sender, None)
        self.is_provider.discard(provider)
        self.is_master.discard(sender)

    def set_agent(self, sender: str, agent: str, value: bool) -> None:
        """``Terminal.setAgent(agent, value)``: ``agent`` acts for ``sender`` (or stops to)."""
        op = "setAgent"
        _require(sender not in self.is_provider, "ProviderCannotSetAgent", op)
        _require(agent != ZERO_ADDRESS, "InvalidAddress", op)
        if value:
            self.agents.add((sender, agent))
        else:
            self.agents.discard((sender, agent))

    # ----------------------------------------------------------------- Nexus: sources
    def publish_source(self, sender: str, params: SourceParams, address: str | None = None) -> str:
        """``Nexus.publishSource(params)``; returns the new source's address."""
        op = "publishSource"
        _require(self._principal_or_agent(params.client, sender), "NotOwner", op)
        _require(params.image_environments <= ALL_ENVIRONMENTS, "InvalidEnvironment", op)
        source = self._new_address("source", address)
        self.sources[source] = SourceState(address=source, params=params)
        return source

    def update_source(self, sender: str, source: str, params: SourceParams) -> None:
        """``Nexus.updateSource(source, params)``; the source keeps its original client."""
        op = "updateSource"
        state = self.sources.get(source)
        _require(state is not None, "UnknownSource", op)
        assert state is not None
        _require(self._principal_or_agent(state.client, sender), "NotOwner", op)
        _require(state.status == SourceStatus.ACTIVE, "SourceInactive", op)
        _require(params.image_environments <= ALL_ENVIRONMENTS, "InvalidEnvironment", op)
        state.params = replace(params, client=state.client)

    def inactivate_source(self, sender: str, source: str) -> None:
        """``Nexus.inactivateSource(source)`` (one-way)."""
        op = "inactivateSource"
        state = self.sources.get(source)
        _require(state is not None, "UnknownSource", op)
        assert state is not None
        _require(self._principal_or_agent(state.client, sender), "NotOwner", op)
        _require(state.status == SourceStatus.ACTIVE, "SourceInactive", op)
        state.status = SourceStatus.INACTIVE

    def active_source_count(self, client: str) -> int:
        """``Nexus.getActiveSourceCount(client)``."""
        return sum(
            1
            for s in self.sources.values()
            if s.client == client and s.status == SourceStatus.ACTIVE
        )

    # ----------------------------------------------------------------- Nexus: providers
    def register(self, sender: str, source: str, provider: str, environment: int) -> None:
        """``Nexus.register(source, provider, environment)`` (idempotent re-registration)."""
        op = "register"
        state = self.sources.get(source)
        _require(state is not None, "UnknownSource", op)
        assert state is not None
        _require(provider in self.is_provider, "NotProvider", op)
        _require(self._provider_operator(provider, sender), "NotProvider", op)
        _require(state.status == SourceStatus.ACTIVE, "SourceInactive", op)
        _require(
            environment in SINGLE_ENVIRONMENTS
            and bool(environment & state.params.image_environments),
            "InvalidEnvironment",
            op,
        )
        ledger = self.ledger(provider)
        if not ledger.whitelisted:
            needed = max(self.min_lockup_per_source, state.params.min_available_lockup)
            _require(ledger.lockup >= needed, "InsufficientLockup", op)
        _require(self.is_eligible(provider), "NotEligible", op)
        state.registrants[provider] = environment

    def unregister(self, sender: str, source: str, provider: str) -> None:
        """``Nexus.unregister(source, provider)``."""
        op = "unregister"
        state = self.sources.get(source)
        _require(state is not None, "UnknownSource", op)
        assert state is not None
        _require(self._provider_operator(provider, sender), "NotProvider", op)
        _require(provider in state.registrants, "NotRegistered", op)
        del state.registrants[provider]

    # ----------------------------------------------------------------- Controller: tasks
    def publish_task(
        self,
        sender: str,
        source: str,
        expiry_time: int,
        payment: int,
        now: int,
        config: str = "",
        address: str | None = None,
    ) -> str:
        """``Controller.publishTask((source, config, expiry_time, payment))`` at block time ``now``.

        Returns:
            The new task's address. Its payer is the source's client when the sender is that
            client or its agent, else the sender (permissive publishing).
        """
        op = "publishTask"
        state = self.sources.get(source)
        _require(state is not None, "UnknownSource", op)
        assert state is not None
        _require(state.status == SourceStatus.ACTIVE, "SourceInactive", op)
        owner_side = self._principal_or_agent(state.client, sender)
        if self.strict_publish:
            _require(owner_side, "NotOwner", op)
        client = state.client if owner_side else sender
        _require(expiry_time > now, "Expired", op)
        _require(expiry_time - now <= state.params.max_expiry_duration, "ExpiryTooLong", op)
        _require(payment >= state.params.min_payment, "PaymentTooLow", op)
        _require(self.ledger(client).balance >= payment, "InsufficientBalance", op)
        task = self._new_address("task", address)
        ledger = self._ledger(client)
        ledger.balance -= payment
        ledger.frozen += payment
        self.tasks[task] = TaskState(
            address=task,
            source=source,
            client=client,
            config=config,
            expiry_time=expiry_time,
            payment=payment,
            delivery_method=state.params.delivery_method,
            escrow=payment,
        )
        state.tasks.append(task)
        return task

    def cancel_task(self, sender: str, task: str) -> None:
        """``Controller.cancelTask(task)``: only from NEW (also after expiry); full refund."""
        op = "cancelTask"
        state = self.tasks.get(task)
        _require(state is not None, "UnknownTask", op)
        assert state is not None
        _require(self._principal_or_agent(state.client, sender), "NotOwner", op)
        _require(state.status == TaskStatus.NEW, "AlreadyFinalized", op)
        state.status = TaskStatus.CANCELED
        self._release(state)

    def attempt(self, sender: str, task: str, provider: str, now: int) -> AttemptOutcome:
        """``Nexus.attempt(task, provider, suggestedPayment)`` at block time ``now``.

        Returns:
            ``AttemptOutcome.EXPIRED`` when the call lazily expired the task (refunding the
            client and recording nothing), else ``AttemptOutcome.ATTEMPTED``.
        """
        op = "attempt"
        state = self.tasks.get(task)
        _require(state is not None, "UnknownTask", op)
        assert state is not None
        _require(provider in self.is_provider, "NotProvider", op)
        _require(self._provider_operator(provider, sender), "NotProvider", op)
        _require(provider in self.sources[state.source].registrants, "NotRegistered", op)
        _require(
            state.status not in (TaskStatus.FINALIZED, TaskStatus.CANCELED), "AlreadyFinalized", op
        )
        _require(state.status != TaskStatus.EXPIRED, "Expired", op)
        if now > state.expiry_time:
            _require(state.status != TaskStatus.RESPONDED, "Expired", op)
            state.status = TaskStatus.EXPIRED
            self._release(state)
            return AttemptOutcome.EXPIRED
        _require(provider not in state.attempters, "AlreadyAttempted", op)
        _require(self.is_eligible(provider), "NotEligible", op)
        state.attempters.append(provider)
        if state.status == TaskStatus.NEW:
            state.status = TaskStatus.ATTEMPTED
        return AttemptOutcome.ATTEMPTED

    def submit_response(
        self,
        sender: str,
        task: str,
        provider: str,
        data: str,
        payment: int,
        now: int,
        address: str | None = None,
    ) -> str:
        """``Nexus.submitResponse((task, provider, data, payment))`` at block time ``now``.

        FIRST_RESPONSE tasks finalize at once (response confirmed, provider paid ``payment``,
        remainder refunded); MANUAL_CONFIRMATION tasks move to RESPONDED.

        Returns:
            The new response's address.
        """
        op = "submitResponse"
        state = self.tasks.get(task)
        _require(state is not None, "UnknownTask", op)
        assert state is not None
        _require(
            provider in self.is_provider and self._provider_operator(provider, sender),
            "NotProvider",
            op,
        )
        _require(provider in state.attempters, "NotAttempted", op)
        _require(
            state.status not in (TaskStatus.FINALIZED, TaskStatus.CANCELED), "AlreadyFinalized", op
        )
        _require(state.status != TaskStatus.EXPIRED, "Expired", op)
        _require(now <= state.expiry_time, "Expired", op)
        _require(provider not in state.responses, "AlreadySubmitted", op)
        _require(payment <= state.payment, "InvalidPayment", op)
        _require((provider, data) not in state.submitted_data, "AlreadySubmitted", op)
        response = self._new_address("response", address)
        self.responses[response] = ResponseState(response, task, provider, data, payment)
        state.responses[provider] = response
        state.submitted_data.add((provider, data))
        if state.delivery_method == DeliveryMethod.FIRST_RESPONSE:
            self._finalize(state, self.responses[response])
        elif state.status == TaskStatus.ATTEMPTED:
            state.status = TaskStatus.RESPONDED
        return response

    def confirm_response(self, sender: str, response: str) -> bool:
        """``Controller.confirmResponse(response)``.

        Returns:
            False for the successful no-op on an auto-confirmed FIRST_RESPONSE winner, True when
            the call confirmed the response, finalized the task and paid the provider.
        """
        op = "confirmResponse"
        resp = self.responses.get(response)
        _require(resp is not None, "UnknownResponse", op)
        assert resp is not None
        state = self.tasks[resp.task]
        _require(self._principal_or_agent(state.client, sender), "NotOwner", op)
        if resp.status == ResponseStatus.CONFIRMED:
            _require(state.delivery_method == DeliveryMethod.FIRST_RESPONSE, "AlreadyConfirmed", op)
            return False
        _require(
            state.status not in (TaskStatus.FINALIZED, TaskStatus.CANCELED), "AlreadyFinalized", op
        )
        _require(state.status != TaskStatus.EXPIRED, "Expired", op)
        self._finalize(state, resp)
        return True

    def _finalize(self, state: TaskState, resp: ResponseState) -> None:
        resp.status = ResponseStatus.CONFIRMED
        state.status = TaskStatus.FINALIZED
        state.winner = resp.provider
        payer = self._ledger(state.client)
        payee = self._ledger(resp.provider)
        state.escrow -= resp.payment
        payer.frozen -= resp.payment
        payee.balance += resp.payment
        payee.earnings += resp.payment
        self.payments.append(Payment(state.address, resp.provider, resp.payment))
        self._release(state)

    def _release(self, state: TaskState) -> None:
        ledger = self._ledger(state.client)
        ledger.frozen -= state.escrow
        ledger.balance += state.escrow
        state.escrow = 0

    # ----------------------------------------------------------------- Vault
    def deposit(self, sender: str, account: str, value: int) -> None:
        """``Vault.deposit{value}(account)`` by anyone but the Terminal: credits the balance."""
        _require(value > 0, "ZeroAmount", "deposit")
        self._ledger(account).balance += value
        self.vault_native += value

    def withdraw(self, sender: str, amount: int) -> None:
        """``Vault.withdraw(amount)``: liquid balance back to the sender's wallet."""
        _require(self.ledger(sender).balance >= amount, "InsufficientBalance", "withdraw")
        self._ledger(sender).balance -= amount
        self.vault_native -= amount

    def lock(self, sender: str, amount: int) -> None:
        """``Vault.lock(amount)``: balance -> lockup."""
        _require(self.ledger(sender).balance >= amount, "InsufficientBalance", "lock")
        ledger = self._ledger(sender)
        ledger.balance -= amount
        ledger.lockup += amount

    def unbond(self, sender: str, amount: int, now: int) -> None:
        """``Vault.unbond(amount)``: lockup -> unbonding; restarts the whole bucket's clock."""
        _require(self.ledger(sender).lockup >= amount, "InsufficientLockup", "unbond")
        ledger = self._ledger(sender)
        ledger.lockup -= amount
        ledger.unbonding += amount
        ledger.unbonding_timestamp = now + self.unbonding_period

    def cancel_unbonding(self, sender: str) -> None:
        """``Vault.cancelUnbonding()``: unbonding -> lockup."""
        _require(self.ledger(sender).unbonding > 0, "NothingUnbonding", "cancelUnbonding")
        ledger = self._ledger(sender)
        ledger.lockup += ledger.unbonding
        ledger.unbonding = 0
        ledger.unbonding_timestamp = 0

    def claim(self, sender: str, now: int) -> int:
        """``Vault.claim()``: matured unbonding -> liquid balance; returns the amount."""
        ledger = self.ledger(sender)
        _require(ledger.unbonding > 0, "NothingToClaim", "claim")
        _require(now >= ledger.unbonding_timestamp, "UnbondingNotElapsed", "claim")
        ledger = self._ledger(sender)
        amount = ledger.unbonding
        ledger.balance += amount
        ledger.unbonding = 0
        ledger.unbonding_timestamp = 0
        return amount

    def sanction(self, sender: str, account: str, amount: int) -> None:
        """``Vault.sanction(account, amount)`` by the JUDGE: lockup -> sanction."""
        _require(sender == self.admin, "NotJudge", "sanction")
        _require(self.ledger(account).lockup >= amount, "InsufficientLockup", "sanction")
        ledger = self._ledger(account)
        ledger.lockup -= amount
        ledger.sanction += amount

    def waive(self, sender: str, account: str, amount: int) -> None:
        """``Vault.waive(account, amount)`` by the JUDGE: sanction -> lockup."""
        _require(sender == self.admin, "NotJudge", "waive")
        _require(self.ledger(account).sanction >= amount, "InsufficientSanction", "waive")
        ledger = self._ledger(account)
        ledger.sanction -= amount
        ledger.lockup += amount

    def set_whitelist(self, sender: str, account: str, value: bool) -> None:
        """``Vault.setWhitelist(account, value)`` by the admin."""
        _require(sender == self.admin, "NotAdmin", "setWhitelist")
        self._ledger(account).whitelisted = value
