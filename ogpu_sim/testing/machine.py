"""The core of :class:`LifecycleMachine`: the cast, the model, acting and the invariants.

Every rule goes through :meth:`MachineCore.act`: it performs the action on the chain (through
the SDK), performs the same action on the :class:`~ogpu_sim.testing.model.ProtocolModel`, and
fails the example unless both succeed or both revert with the same reason. After every step one
batched read of the chain is compared with the model and the protocol invariants are checked.
"""

from __future__ import annotations

import copy
import time as _time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from eth_account.signers.local import LocalAccount
from hypothesis import event
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant
from web3 import Web3

from ..accounts import derive
from ..errors import (
    ChainError,
    ConfigError,
    ModelMismatch,
)
from .chainview import ChainView, ProtocolState, deploy_batch_read, expected_state, state_diff
from .model import TERMINAL_TASK_STATUSES, ModelRevert, ProtocolModel, TaskStatus
from .outcomes import HarnessError, RuleStatistics, revert_reason

#: HD index of the machine's first cast member: far from the simulator's own fresh accounts.
CAST_INDEX_BASE = 50_000
CAST = ("client2", "master1", "master2", "provider1", "provider2", "agent", "stranger")
OPEN_STATUSES = (TaskStatus.NEW, TaskStatus.ATTEMPTED, TaskStatus.RESPONDED)


@dataclass(frozen=True)
class Actor:
    """A named account of the machine's cast (its name is what a failing program shows)."""

    name: str
    account: LocalAccount

    @property
    def address(self) -> str:
        """The checksum address."""
        return str(self.account.address)

    def __repr__(self) -> str:
        return self.name


#: How far ahead of the wall clock the start state puts chain time (see ``_build_start``).
CHAIN_TIME_LEAD = 86_400


class FrozenClock:
    """A wall clock that stands still, for the in-process chain while a machine runs.

    Block time is wall clock + offset, so an example's outcome could depend on how long it ran,
    and hypothesis needs a deterministic test to replay and shrink. Frozen, chain time moves
    only by :meth:`Simulator.advance_time` and by one second per block. Remote chains (anvil, a
    node) keep their own clock.
    """

    def __init__(self) -> None:
        self.at = int(_time.time())
        self._chain: Any = None

    def time(self) -> float:
        """The frozen wall-clock reading."""
        return float(self.at)

    def install(self, chain: Any) -> None:
        """Make ``chain`` follow this clock (a no-op for chains that cannot)."""
        try:
            chain.set_clock(self.time)
        except ChainError:
            return
        self._chain = chain

    def uninstall(self) -> None:
        """Give the chain its real clock back."""
        if self._chain is not None:
            self._chain.set_clock(None)
            self._chain = None


@dataclass
class _Start:
    """The start state every example begins from: a chain snapshot plus the machine's state."""

    snapshot: str
    state: dict[str, Any]


class MachineCore(RuleBasedStateMachine):
    """Cast, model, :meth:`act` and invariants; :class:`LifecycleMachine` adds the rules.

    The first example of a run builds the start state (cast funded, helper deployed, model read
    from the chain, then :meth:`build_start_state`) and snapshots it; every example, and every
    replay while hypothesis shrinks, begins by reverting to that snapshot, which costs
    microseconds instead of the set-up's transactions.
    """

    simulator: ClassVar[Any] = None
    statistics: ClassVar[RuleStatistics] = RuleStatistics()
    #: Attributes saved with the start state and restored (deep-copied) for each example.
    start_state_attributes: ClassVar[tuple[str, ...]] = (
        "model",
        "outside_holdings",
        "outside_frozen",
        "seen_status",
        "start_sources",
        "start_tasks",
        "helper_address",
    )
    _base: ClassVar[str | None] = None
    _clock: ClassVar[FrozenClock | None] = None
    _start: ClassVar[_Start | None] = None

    accounts = Bundle("accounts")
    clients = Bundle("clients")
    masters = Bundle("masters")
    providers = Bundle("providers")
    sources = Bundle("sources")
    tasks = Bundle("tasks")
    responses = Bundle("responses")

    def __init__(self) -> None:
        super().__init__()
        cls = type(self)
        if cls.simulator is None:
            raise ConfigError(
                f"{cls.__name__}.simulator",
                f"no Simulator bound; call {cls.__name__}.bind(sim) first",
            )
        self.sim = sim = cls.simulator
        self.w3 = sim.w3
        self.admin = sim.accounts.deployer
        self.cast = {"client": Actor("client", sim.accounts.client)}
        for offset, name in enumerate(CAST):
            self.cast[name] = Actor(name, derive(CAST_INDEX_BASE + offset, sim.accounts.mnemonic))
        self.by_address = {actor.address: actor for actor in self.cast.values()}
        if cls._start is None:
            cls._start = self._build_start()
        else:
            sim.revert(cls._start.snapshot)
        for name, value in copy.deepcopy(cls._start.state).items():
            setattr(self, name, value)
        self.view = ChainView(self.w3, dict(sim.deployment.addresses), self.helper_address)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "statistics" not in cls.__dict__:  # each machine class counts its own rules
            cls.statistics = RuleStatistics()

    @classmethod
    def bind(cls, sim: Any) -> None:
        """Run this machine's examples against ``sim`` (a started Simulator).

        Takes a snapshot that :meth:`release` returns to and freezes the in-process chain's
        clock (:class:`FrozenClock`) until then; the start state is rebuilt on the next example.
        """
        if cls._clock is not None:  # bound before and never released
            cls._clock.uninstall()
        cls.simulator = sim
        cls._base = sim.snapshot()
        cls._start = None
        cls._clock = FrozenClock()
        cls._clock.install(sim.chain)

    @classmethod
    def release(cls) -> None:
        """Revert the bound simulator to where :meth:`bind` found it; unfreeze its clock."""
        if cls._clock is not None:
            cls._clock.uninstall()
            cls._clock = None
        if cls.simulator is not None and cls._base is not None:
            cls.simulator.revert(cls._base)
        cls._base = None
        cls._start = None

    @classmethod
    def run(cls, sim: Any, settings: Any = None) -> None:
        """Bind to ``sim``, run the machine as a test (raises on failure), then release."""
        from hypothesis.stateful import run_state_machine_as_test

        cls.bind(sim)
        try:
            run_state_machine_as_test(cls, settings=settings)
        finally:
            cls.release()

    # -- set-up and teardown ---------------------------------------------------------------
    def _build_start(self) -> _Start:
        sim = self.sim
        for actor in self.cast.values():
            if actor.name != "client":
                sim.accounts.fund(actor.address, sim.accounts.native_balance)
        # chain time far ahead of the wall clock: ogpu.client's local expiry check never fires
        sim.advance_time(CHAIN_TIME_LEAD)
        self.helper_address = deploy_batch_read(self.w3, self.admin)
        self.view = ChainView(self.w3, dict(sim.deployment.addresses), self.helper_address)
        vault = sim.deployment.contracts["VAULT"]
        self.model = ProtocolModel(
            admin=self.admin.address,
            unbonding_period=vault.functions.UNBONDING_PERIOD().call(),
            min_lockup_per_source=vault.functions.MIN_LOCKUP_PER_SOURCE().call(),
        )
        start = self.view.read(self.by_address)
        for address in self.by_address:
            self.model.ledgers[address] = copy.copy(start.ledgers[address])
            if start.providers[address]:
                self.model.is_provider.add(address)
            if start.masters[address]:
                self.model.is_master.add(address)
        self.outside_holdings = start.vault_native - self.model.ledger_total()
        # escrow of tasks published before the machine started (by earlier tests, say)
        self.outside_frozen = sum(ledger.frozen for ledger in start.ledgers.values())
        self.model.vault_native = start.vault_native
        self.seen_status: dict[str, int] = {}
        self.start_sources: list[str] = []
        self.start_tasks: list[str] = []
        self.build_start_state()
        state = {name: getattr(self, name) for name in self.start_state_attributes}
        return _Start(sim.snapshot(), copy.deepcopy(state))

    def build_start_state(self) -> None:
        """Extra set-up every example starts from (runs once per run; override to extend).

        Record what you create in ``self.start_sources`` / ``self.start_tasks`` (or your own
        attributes, added to ``start_state_attributes``) and act through :meth:`act`.
        """

    def teardown(self) -> None:
        """Return the simulator to the start state (the next example begins there)."""
        start = type(self)._start
        if start is not None:
            self.sim.revert(start.snapshot)

    # -- acting ------------------------------------------------------------------------------
    def block_time(self) -> int:
        """Timestamp of the latest block (the block the last transaction was mined in)."""
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def act(
        self,
        rule: str,
        chain: Callable[[], Any],
        model: Callable[[ProtocolModel, int], Any],
    ) -> tuple[bool, Any, Any]:
        """Do ``chain()`` and ``model(now)``; fail unless they agree.

        Args:
            rule: the rule's name (statistics and messages).
            chain: performs the action on the chain; returns a value; raises on revert.
            model: ``model(m, now)`` performs the action on model ``m`` at block time ``now``;
                it raises :class:`ModelRevert` when the model predicts a revert.

        Returns:
            ``(succeeded, chain_value, model_value)``.
        """
        before = self.sim.now()
        try:
            value, reason = chain(), None
        except Exception as exc:
            reason = revert_reason(exc)
            if reason is None:
                raise HarnessError(rule, exc) from exc
            value = None
        # a mined call ran at its block's time; a reverted one at some instant in between
        times = [self.block_time()] if reason is None else sorted({before, self.sim.now()})
        predictions: list[tuple[str | None, Any]] = []
        for i, now in enumerate(times):
            trial = self.model if i == len(times) - 1 else copy.deepcopy(self.model)
            try:
                predictions.append((None, model(trial, now)))
            except ModelRevert as revert:
                predictions.append((revert.reason, None))
            if predictions[-1][0] == reason:
                self.model = trial
                break
        else:
            expected = " or ".join(f"revert {r}" if r else "success" for r, _ in predictions)
            got = f"reverted with {reason}" if reason else "succeeded"
            raise ModelMismatch(f"{rule}: the chain {got} but the model predicted {expected}")
        type(self).statistics.record(rule, reason)
        event(f"{rule}: {reason or 'ok'}")
        return reason is None, value, predictions[-1][1]

    # -- invariants ----------------------------------------------------------------------------
    def read_state(self) -> tuple[ProtocolState, ProtocolState]:
        """(chain state, model state) for the whole cast and every known entity."""
        model = self.model
        entities = {
            "accounts": list(self.by_address),
            "sources": list(model.sources),
            "tasks": list(model.tasks),
            "responses": list(model.responses),
            "providers": [self.cast["provider1"].address, self.cast["provider2"].address],
        }
        chain = self.view.read(**entities)
        want = expected_state(model, vault_native=model.vault_native, **entities)
        return chain, want

    @invariant()
    def chain_matches_model_and_invariants_hold(self) -> None:
        """Chain == model; conservation, absorbing terminal states, single confirmation, escrow."""
        chain, want = self.read_state()
        diff = state_diff(chain, want)
        if diff:
            raise ModelMismatch("chain state differs from the model:\n  " + "\n  ".join(diff))
        holdings = sum(ledger.holdings() for ledger in chain.ledgers.values())
        assert chain.vault_native == self.outside_holdings + holdings, (
            f"Vault native balance {chain.vault_native} != sum of ledgers "
            f"{self.outside_holdings + holdings}"
        )
        for task, view in chain.tasks.items():
            previous = self.seen_status.get(task)
            if previous in TERMINAL_TASK_STATUSES:
                assert view.status == previous, f"terminal task {task} left {previous}"
            self.seen_status[task] = view.status
        confirmed: dict[str, int] = {}
        for response, status in chain.response_status.items():
            if status == 1:
                task = self.model.responses[response].task
                confirmed[task] = confirmed.get(task, 0) + 1
        assert all(n == 1 for n in confirmed.values()), f"tasks with >1 confirmation: {confirmed}"
        paid = [(p.task, p.provider) for p in self.model.payments]
        assert len(paid) == len(set(paid)), "a provider was paid twice for one task"
        frozen = sum(ledger.frozen for ledger in chain.ledgers.values()) - self.outside_frozen
        open_escrow = sum(v.payment for v in chain.tasks.values() if v.status in OPEN_STATUSES)
        assert frozen == open_escrow, (
            f"frozen payments {frozen} != open tasks' escrow {open_escrow}"
        )

    # -- helpers for rules -------------------------------------------------------------------------
    def actor(self, address: str) -> Actor | None:
        """The cast member with this address, if any."""
        return self.by_address.get(Web3.to_checksum_address(address))

    def operator(self, provider: Actor, kind: str) -> Actor:
        """Who signs a provider-side call: the provider, its master, the agent or a stranger."""
        if kind == "master":
            master = self.model.master_of.get(provider.address) or self.model.pending_master_of.get(
                provider.address
            )
            return self.by_address.get(master or "", self.cast["master1"])
        return provider if kind == "self" else self.cast[kind]
