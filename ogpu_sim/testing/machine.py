"""The core of :class:`LifecycleMachine`: the cast, the model, acting and the invariants.

Every rule goes through :meth:`MachineCore.act`: it performs the action on the chain (through
the SDK), performs the same action on the :class:`~ogpu_sim.testing.model.ProtocolModel`, and
fails the example unless both succeed or both revert with the same reason. After every step a
batched read of what the chain exposes (:mod:`ogpu_sim.testing.expected`: all of it at a full
check, else what the model changed) is compared with the model, and the protocol invariants
are checked on the (then equal) state.

Over 400 lines: it is the one base class every rule module extends, and its parts (set-up,
acting, checking, choosing) share the example's state.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Sequence
from contextlib import ExitStack, suppress
from typing import Any, ClassVar, TypeVar

from hexbytes import HexBytes
from hypothesis import event, note
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.stateful import (
    RULE_MARKER,
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
)
from web3._utils.contracts import decode_transaction_data
from web3._utils.normalizers import BASE_RETURN_NORMALIZERS

from ..accounts import derive
from ..errors import ConfigError, ModelMismatch
from .cast import (
    CAST,
    CAST_INDEX_BASE,
    Actor,
    FrozenClock,
    Start,
    adopt_chain_state,
    learn_pinned_values,
)
from .chainview import ChainView, deploy_batch_read
from .drawing import draw, noting
from .expected import ROLE_IDS, World, probe_sections
from .invariants import protocol_invariants
from .model import ModelRevert, ProtocolModel
from .outcomes import HarnessError, RuleStatistics, revert_reason
from .probes import (
    ALL,
    Agreed,
    Section,
    Verified,
    calldata,
    decode_result,
    differences,
    remember,
    section_parts,
    unverified_sections,
)

T = TypeVar("T")
#: The ABI of each (contract, selector) :meth:`MachineCore.last_call` decoded.
_CALLED: dict[tuple[str, bytes], Any] = {}


def _quietly(report: Callable[[str], None], text: str) -> None:
    """hypothesis's ``event``/``note``, or nothing when a rule is called outside a test."""
    with suppress(InvalidArgument):
        report(text)


#: Strategies rules build from the state they see (:func:`sampled`, :func:`memoized`), by
#: what they were built from: a fresh strategy costs hypothesis a validation and a label on
#: its first draw, more than the draw itself.
_STRATEGIES: dict[Any, st.SearchStrategy[Any]] = {}
_STRATEGIES_LIMIT = 4096


def _key(value: Any) -> Any:
    """``value`` with the type of each part (``1`` and ``True`` are equal keys otherwise);
    unhashable when a part is (a list: a drawn value a caller might change)."""
    if isinstance(value, tuple):
        return (type(value), tuple(_key(v) for v in value))
    return (type(value), value)


def memoized(build: Callable[..., st.SearchStrategy[T]], *args: Any) -> st.SearchStrategy[T]:
    """``build(*args)``, built once per run of equal ``args`` (hashable; else built anew).

    The strategy is equal to a fresh one, so drawing from it makes the same choices.
    """
    try:
        key = (build, _key(args))
        strategy = _STRATEGIES.get(key)
    except TypeError:  # unhashable arguments
        return build(*args)
    if strategy is None:
        if len(_STRATEGIES) >= _STRATEGIES_LIMIT:
            _STRATEGIES.clear()
        strategy = _STRATEGIES[key] = build(*args)
    return strategy


def _sampled_from(*values: Any) -> st.SearchStrategy[Any]:
    return st.sampled_from(list(values))


def sampled(values: Sequence[T]) -> st.SearchStrategy[T]:
    """``st.sampled_from(values)``, built once per run of equal values (:func:`memoized`)."""
    return memoized(_sampled_from, *values)


#: The cast by name, for rules that draw an account (``self.cast[name]`` is the Actor).
ACTORS = st.sampled_from(("client", *CAST))
CLIENTS = st.sampled_from(("client", "client2"))
#: Positions a choice is drawn from (modulo the pool's size; see ``MachineCore.choose``).
POSITIONS = st.integers(min_value=0, max_value=63)
#: A valid choice four times out of five (shrinking prefers the valid one).
VALID_MOSTLY = st.sampled_from([True, True, True, True, False])
#: For who signs: the wrong signer is the near miss access control exists for, so a third.
VALID_SIGNER = st.sampled_from([True, True, False])


class MachineCore(RuleBasedStateMachine):
    """Cast, model, :meth:`act` and invariants; :class:`LifecycleMachine` adds the rules.

    The first example of a run builds the start state (cast funded, helper deployed, model read
    from the chain, then :meth:`build_start_state`). Every example, and every replay while
    hypothesis shrinks, runs inside :meth:`Simulator.isolated` entered at that state: its
    teardown reverts the chain there, which costs microseconds instead of the set-up's
    transactions, and the model is restored from a copy taken with the start state.
    """

    simulator: ClassVar[Any] = None
    statistics: ClassVar[RuleStatistics] = RuleStatistics()
    #: Attributes saved with the start state and restored (deep-copied) for each example.
    start_state_attributes: ClassVar[tuple[str, ...]] = (
        "model",
        "outside",
        "seen_status",
        "start_sources",
        "start_tasks",
        "helper_address",
    )
    _bound: ClassVar[ExitStack | None] = None
    _clock: ClassVar[FrozenClock | None] = None
    _start: ClassVar[Start | None] = None
    #: The probes the chain agreed with at the start state (its first full check in a run).
    _start_verified: ClassVar[Verified | None] = None
    #: The light sections of the start state (:func:`~ogpu_sim.testing.probes.unverified_sections`).
    _start_agreed: ClassVar[Agreed | None] = None
    #: The run's sections by their facts (:func:`~ogpu_sim.testing.expected.probe_sections`).
    _run_memo: ClassVar[dict[Any, Section] | None] = None

    #: Rules that create sources, tasks and responses add them to these bundles (the start
    #: state's sources and tasks are in them from the first step), for rules that draw from
    #: them; the cast is drawn by name (:data:`ACTORS`, :data:`CLIENTS`).
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
        self.admin = Actor("admin", sim.accounts.deployer)
        self.cast = {"client": Actor("client", sim.accounts.client)}
        for offset, name in enumerate(CAST):
            self.cast[name] = Actor(name, derive(CAST_INDEX_BASE + offset, sim.accounts.mnemonic))
        self.by_address = {actor.address: actor for actor in (*self.cast.values(), self.admin)}
        self.addresses = dict(sim.deployment.addresses)
        self._names = {address: name.title() for name, address in self.addresses.items()}
        self._recording = True
        self._checks = 0
        self._mined = False
        self._path = 0
        if cls._start is None:
            before = sim.snapshot()
            cls._start_verified = None
            cls._start_agreed = None
            try:
                cls._start = self._build_start()
            except BaseException as error:
                sim.revert(before)  # the next attempt builds from the same chain
                if isinstance(error, ModelMismatch):
                    error.check = f"{error.check} (building the start state)"
                raise
        for name, value in cls._start.state.items():
            setattr(self, name, value)
        self.view = self._view()
        self.world = self._world()
        self._path = 0
        self._mined = False  # building the start state mined; the chain is at it now
        self._verified: Verified = dict(cls._start_verified or {})
        self._agreed: Agreed = dict(cls._start_agreed or {})
        self._memo: dict[Any, Section] = cls._run_memo if cls._run_memo is not None else {}
        # last, so nothing can fail once entered: teardown leaves it
        self._example = ExitStack()
        self._example.enter_context(sim.isolated())

    def _view(self) -> ChainView:
        return ChainView(self.w3, self.helper_address)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "statistics" not in cls.__dict__:  # each machine class counts its own rules
            cls.statistics = RuleStatistics()

    @classmethod
    def bind(cls, sim: Any) -> None:
        """Run this machine's examples against ``sim`` (a started Simulator).

        Enters :meth:`Simulator.isolated`, which :meth:`release` leaves (reverting everything
        the run did), and freezes the in-process chain's clock (:class:`FrozenClock`) until
        then; the start state is rebuilt on the next example. (The started network already
        runs the garbage collector's young generation rarely: :mod:`ogpu_sim.network.heap`.)
        """
        if cls._bound is not None:  # bound before and never released
            cls.release()
        cls.simulator = sim
        cls._bound = ExitStack()
        cls._bound.enter_context(sim.isolated())
        cls._start = None
        cls._start_verified = None
        cls._start_agreed = None
        cls._run_memo = {}
        cls._clock = FrozenClock()
        cls._clock.install(sim.chain)

    @classmethod
    def release(cls) -> None:
        """Revert the bound simulator to where :meth:`bind` found it; unfreeze its clock."""
        if cls._clock is not None:
            cls._clock.uninstall()
            cls._clock = None
        if cls._bound is not None:
            cls._bound.close()
        cls._bound = None
        cls._start = None
        cls._start_verified = None
        cls._start_agreed = None
        cls._run_memo = None

    @classmethod
    def rule_names(cls) -> list[str]:
        """The names of this machine's rules (its statistics count each under its name)."""
        return sorted(
            name
            for name, member in inspect.getmembers(cls)
            if getattr(member, RULE_MARKER, None) is not None
        )

    @classmethod
    def ran(cls) -> list[type[Any]]:
        """This machine class and its subclasses whose rules were called in this process, the
        class first, then its subclasses as they were defined (for a run's summary).

        A ``conftest.py`` that prints statistics finds the classes that ran here instead of
        importing the test module by name, which under pytest's default import mode would
        load a second copy whose statistics are empty.
        """
        found: list[type[Any]] = []
        pending: list[type[Any]] = [cls]
        while pending:
            machine = pending.pop(0)
            if machine.statistics.calls:
                found.append(machine)
            pending.extend(machine.__subclasses__())
        return found

    @classmethod
    def run(cls, sim: Any, settings: Any = None) -> None:
        """Bind to ``sim``, run the machine as a test (raises on failure), then release."""
        from hypothesis.stateful import run_state_machine_as_test

        cls.bind(sim)
        try:
            run_state_machine_as_test(cls, settings=settings)
        finally:
            cls.release()

    # -- the cast enters the bundles -----------------------------------------------------------
    @initialize(target=sources)
    def the_sources(self) -> Any:
        return multiple(*self.start_sources)

    @initialize(target=tasks)
    def the_tasks(self) -> Any:
        return multiple(*self.start_tasks)

    # -- set-up and teardown ---------------------------------------------------------------
    def _world(self) -> World:
        return World(
            addresses=self.addresses,
            helper=self.helper_address,
            accounts=tuple(self.by_address),
            providers=tuple(a.address for n, a in self.cast.items() if n.startswith("provider")),
            agents=(self.cast["agent"].address, self.cast["stranger"].address),
        )

    def _build_start(self) -> Start:
        sim = self.sim
        self._recording = False
        for actor in self.cast.values():
            if actor.name != "client":
                sim.accounts.fund(actor.address, sim.accounts.native_balance)
        # chain time far ahead of the wall clock: ogpu.client's local expiry check never fires
        sim.advance_time(FrozenClock.CHAIN_TIME_LEAD)
        self.helper_address = deploy_batch_read(self.w3, self.admin.account)
        self.view = self._view()
        self.world = self._world()
        vault = sim.deployment.contracts["VAULT"]
        self.model = ProtocolModel(
            admin=self.admin.address,
            unbonding_period=vault.functions.UNBONDING_PERIOD().call(),
            min_lockup_per_source=vault.functions.MIN_LOCKUP_PER_SOURCE().call(),
            controllers=(self.addresses["CONTROLLER"], self.addresses["NEXUS"]),
        )
        self.outside = adopt_chain_state(self.model, self.view, self.world)
        self.seen_status: dict[str, int] = {}
        self.start_sources: list[str] = []
        self.start_tasks: list[str] = []
        self.build_start_state()
        self._recording = True
        state = {name: getattr(self, name) for name in self.start_state_attributes}
        return Start(state)

    def build_start_state(self) -> None:
        """Extra set-up every example starts from (runs once per run; override to extend).

        Record what you create in ``self.start_sources`` / ``self.start_tasks`` (or your own
        attributes, added to ``start_state_attributes``) and act through :meth:`act`.
        """

    def teardown(self) -> None:
        """Leave the example's isolation: the chain is back at the start state."""
        self._example.close()

    # -- acting ------------------------------------------------------------------------------
    def block_time(self) -> int:
        """Timestamp of the latest block (the block the last transaction was mined in).

        Asked of the provider directly: web3's block formatters cost more than the node.
        """
        answer = self.w3.provider.make_request("eth_getBlockByNumber", ["latest", False])
        if "error" in answer:  # web3's own call raises the right error
            return int(self.w3.eth.get_block("latest")["timestamp"])
        stamp = answer["result"]["timestamp"]
        return int(stamp, 16) if isinstance(stamp, str) else int(stamp)

    def act(
        self,
        rule: str,
        chain: Callable[[], Any],
        model: Callable[[ProtocolModel, int], Any],
        via: str | None = None,
    ) -> tuple[bool, Any, Any]:
        """Do ``chain()`` and ``model(now)``; fail unless they agree.

        Args:
            rule: the rule's name (statistics and messages).
            chain: performs the action on the chain; returns a value; raises on revert.
            model: ``model(m, now)`` performs the action on model ``m`` at block time ``now``;
                it raises :class:`ModelRevert` when the model predicts a revert.
            via: the SDK function ``chain`` calls (counted per entry point).

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
            raise ModelMismatch(
                f"{rule}{f' via {via}' if via else ''}: the chain {got} "
                f"but the model predicted {expected}",
                check=f"outcome of {rule}",
            )
        self.record(rule, reason, via)
        self._mined = self._mined or reason is None
        return reason is None, value, predictions[-1][1]

    def view_call(self, contract: str, target: str, function: str, args: tuple[Any, ...]) -> Any:
        """``contract.function(*args)`` at ``target`` (a view), decoded; asked of the provider
        directly, as in :meth:`block_time` (web3's own call, on an error, raises it)."""
        data = "0x" + calldata(contract, function, args).hex()
        answer = self.w3.provider.make_request("eth_call", [{"to": target, "data": data}, "latest"])
        result = answer.get("result")
        if "error" in answer or not isinstance(result, str):
            handle = self.sim.network.instance(contract, target)
            return getattr(handle.functions, function)(*args).call()
        return decode_result(contract, function, bytes.fromhex(result[2:]))

    def learn_pinned_values(self) -> None:
        """Fill in what the model left to the chain (see :func:`learn_pinned_values`)."""
        learn_pinned_values(self.model, self.sim.network)

    def move_time_to(self, timestamp: int) -> bool:
        """Make ``timestamp`` the next block's time, if it is still ahead; True if it was."""
        gap = timestamp - self.sim.now()
        if gap > 0:
            self.sim.advance_time(gap)
        return gap >= 0

    def record(self, rule: str, reason: str | None = None, via: str | None = None) -> None:
        """Count a call in the statistics (:meth:`act` does; time travel calls it itself).

        The call's fingerprint chains everything this example did so far with the model's
        state after it, so a replayed prefix is one experiment, not several.
        """
        self._path = hash((self._path, rule, via, reason, self.model.digest(), self.sim.now()))
        if self._recording:
            type(self).statistics.record(rule, reason, via, self._path)
            _quietly(event, f"{rule}: {reason or 'ok'}")

    def last_call(self, contract: str) -> dict[str, Any]:
        """The arguments of the latest block's transaction, decoded with ``contract``'s ABI.

        Lets the model see exactly what the SDK sent (metadata URLs it pinned, timestamps it
        took from the wall clock).
        """
        answer = self.w3.provider.make_request("eth_getBlockByNumber", ["latest", True])
        if "error" in answer:  # web3's own call raises the right error
            data = self.w3.eth.get_block("latest", full_transactions=True)["transactions"][-1]
        else:  # asked of the provider directly, as in block_time
            data = answer["result"]["transactions"][-1]
        raw = HexBytes(data["input"])
        key = (contract, bytes(raw[:4]))
        function = _CALLED.get(key)
        if function is None:  # web3's selector lookup scans the ABI: once per function
            handle = self.sim.deployment.contracts[contract]
            function = _CALLED[key] = handle.get_function_by_selector(raw[:4]).abi
        # what Contract.decode_function_input does once it has found the function
        args = decode_transaction_data(function, data["input"], normalizers=BASE_RETURN_NORMALIZERS)
        return dict(args)

    # -- invariants ----------------------------------------------------------------------------
    def name(self, value: Any) -> str:
        """The cast's or the model's name for an address, a role or a page bound (else the
        value itself)."""
        if isinstance(value, bytes):
            role = next((name for name, rid in ROLE_IDS.items() if rid == value), None)
            return role or "0x" + value.hex()[:8] + "..."
        if value == ALL:
            return "ALL"
        text = str(value)
        actor = self.by_address.get(text)
        if actor is not None:
            return actor.name
        if text == getattr(self, "helper_address", None):
            return "helper"
        return self._names.get(text) or self.model.names.get(text, text)

    #: Every how many checks every view of the full probe set (aliases, constants, access
    #: control) is read from the chain; the checks between read what the model changed.
    FULL_CHECK_EVERY = 8

    @invariant()
    def chain_matches_model_and_invariants_hold(self) -> None:
        """Chain == model for every view; conservation, escrow, terminal states, payments.

        A full check (the first of an example, then every :attr:`FULL_CHECK_EVERY`-th) reads
        every probe; the others read each probe whose prediction differs from the one the
        chain last agreed with, and its neighbours
        (:func:`~ogpu_sim.testing.probes.unverified_sections`): every change the model predicts, and
        every new view. The start state, where every example begins, is read in full once per
        run: a chain reverted there answers as it did then. A step that mined nothing (a
        revert, a move of the clock) changed no storage, and the model did not change either:
        the comparison before it still holds, so it is skipped.
        """
        full = self._checks % self.FULL_CHECK_EVERY == 0
        if not (full or self._mined):
            return
        cls = type(self)
        pristine = self._checks == 0 and not self._mined  # the chain is at the start state
        self._checks += 1
        self._mined = False
        self.learn_pinned_values()
        if pristine and cls._start_verified is not None:
            # the chain and the model are both at the start state the run's first check read
            # in full, so every prediction is the one the chain agreed with: nothing to read
            self.check_invariants_on_model()
            return
        sections = probe_sections(self.model, self.world, full, self._memo)
        if full:
            read = [probe for section in sections for probe in section.probes]
            calls = [call for section in sections for call in section.calls]
            # None: the chain's reply is, byte for byte, the one the model predicts
            results = self.view.read_parts(section_parts(sections))
        else:
            read = unverified_sections(sections, self._verified, self._agreed)
            calls = [p.call() for p in read]
            results = self.view.read(calls)
        diff = differences(read, results, self.name) if results is not None else []
        if diff:
            raise ModelMismatch(
                "chain state differs from the model:\n  " + "\n  ".join(diff),
                check="state: " + diff[0].split(":")[0],
            )
        remember(self._verified, read, calls)
        if full:  # the light probes are among the full ones: all agreed too
            sections = probe_sections(self.model, self.world, False, self._memo)
        self._agreed = {section.key: section for section in sections}
        if pristine:
            cls._start_verified = dict(self._verified)
            cls._start_agreed = dict(self._agreed)
        self.check_invariants_on_model()

    def check_invariants_on_model(self) -> None:
        """The protocol's invariants, on the model (which the chain now equals everywhere)."""
        protocol_invariants(self.model, self.outside, self.world.accounts, self.seen_status)

    # -- helpers for rules -------------------------------------------------------------------------
    def actor(self, address: str) -> Actor | None:
        """The cast member (or the admin) with this address, if any."""
        return self.by_address.get(address)

    def choose(
        self,
        data: st.DataObject,
        label: str,
        valid: Sequence[T],
        anything: Sequence[T],
        odds: st.SearchStrategy[bool] = VALID_MOSTLY,
    ) -> T:
        """Draw from ``valid`` four times out of five (when it is not empty), else from
        ``anything``: valid arguments most of the time, invalid ones on purpose (``odds``
        says how often: :data:`VALID_MOSTLY`, or :data:`VALID_SIGNER` for signers).

        Put the most telling choice first in each pool: shrinking moves toward it. The draw is
        a position in a fixed range taken modulo the pool's size, so a replay that lost an
        earlier step (as shrinking tries) still makes the same choice when the pool is the
        same; the choice itself is noted in a failing program.
        """
        pool: list[T] = list(anything)
        if valid:
            use_valid: bool = draw(data, odds, label=f"{label} valid")
            if use_valid or not pool:
                pool = list(valid)
        position: int = draw(data, POSITIONS, label=label)
        choice = pool[position % len(pool)]
        if noting():
            note(f"{label}: {self.describe(choice)}")
        return choice

    def describe(self, value: Any) -> str:
        """A choice in the cast's and the model's names (for notes and messages)."""
        if isinstance(value, tuple):
            return ", ".join(self.describe(v) for v in value)
        if isinstance(value, Actor):
            return value.name
        return self.name(value)

    def client_side(self, data: st.DataObject, principal: str) -> Actor:
        """Who signs for ``principal`` (a client): itself or its agent mostly, else anyone
        (a stranger first)."""
        agent = self.cast["agent"]
        valid = [self.by_address[principal]] if principal in self.by_address else []
        if self.model.is_agent_of(principal, agent.address):
            valid.append(agent)
        others = [a for a in self.cast.values() if a not in valid and a.name != "stranger"]
        return self.choose(data, "signer", valid, [self.cast["stranger"], *others], VALID_SIGNER)

    def provider_side(self, data: st.DataObject, provider: Actor) -> Actor:
        """Who signs for ``provider``: itself, its master or its master's agent mostly."""
        m, valid = self.model, [provider]
        master = m.master_of.get(provider.address)
        if master in self.by_address:
            valid.append(self.by_address[master])
            if m.is_agent_of(master, self.cast["agent"].address):
                valid.append(self.cast["agent"])
        others = [a for n, a in self.cast.items() if n.startswith("master") and a not in valid]
        return self.choose(data, "signer", valid, [self.cast["stranger"], *others], VALID_SIGNER)
