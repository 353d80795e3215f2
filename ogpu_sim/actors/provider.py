"""Simulated providers: the off-chain half of the protocol, driven deterministically.

A :class:`SimulatedProvider` does what a provider app does on the real network
(docs/protocol.md, providers, masters and agents): its master announces it with a stake, it
announces its master, registers to a source with a preferred environment, discovers the
source's tasks (including those published before it joined), attempts them, runs the source's
handler for its environment, pins the handler's output to IPFS and submits the response with
the full task payment. Behaviours make it misbehave
in documented ways (see :data:`ogpu_sim.vocabulary.BEHAVIOUR_HELP`).

Providers act only when stepped: :meth:`SimulatedProvider.discover` and
:meth:`SimulatedProvider.respond` are called by the simulator's driver (``run_until_idle`` or the
autorun thread), in a fixed order, so a run is reproducible. They decide from the protocol's
events (a :class:`~ogpu_sim.actors.board.TaskBoard` the driver hands them) and send their own
transactions the lean way (:mod:`ogpu_sim.actors.lean`); the timeline entries they record are
the ones the SDK's typed errors would give.
"""

from __future__ import annotations

import copy
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eth_account.signers.local import LocalAccount
from ogpu.types import DeliveryMethod, TaskStatus
from web3 import Web3

from ogpu_sim.actors.board import TaskBoard
from ogpu_sim.actors.codec import checksum
from ogpu_sim.actors.lean import LeanSender
from ogpu_sim.actors.tasks import (
    TaskFacts,
    expired_by,
    fetch_config,
    read_attempted,
    read_status,
    read_task_facts,
    read_tasks_of,
)
from ogpu_sim.errors import (  # noqa: F401
    ConfigError,
    HandlerFailure,
    HandlerStillRunning,
    ProviderError,
)
from ogpu_sim.vocabulary import BEHAVIOURS, ENVIRONMENT_BITS, choices

TERMINAL_STATUSES = frozenset({TaskStatus.CANCELED, TaskStatus.EXPIRED, TaskStatus.FINALIZED})
OPEN_STATUSES = frozenset({TaskStatus.NEW, TaskStatus.ATTEMPTED})


NO_RESULT = "no callback: the handler returned nothing, or its expose(timeout=...) ran out"
"""The ``handler-failed`` detail of a handler run that gave nothing and raised nothing."""


@dataclass
class Action:
    """One thing a provider did, for the simulator's timeline."""

    provider: str
    kind: str  # attempt, expire, respond, lost, handler-failed, revert
    task: str
    detail: str = ""


@dataclass
class _Pending:
    task: str
    expiry: int
    payment: int
    ready_at: float  # wall-clock time the response may go out (slow behaviour)
    running: Any = None  # the handler's run, still going at the last run_until_idle deadline


@dataclass
class _State:
    """Everything a provider remembers; copied on simulator snapshots, restored on reverts."""

    next_task_index: int = 0
    open_tasks: list[str] = field(default_factory=list)
    first_seen: dict[str, float] = field(default_factory=dict)
    pending: list[_Pending] = field(default_factory=list)
    done: set[str] = field(default_factory=set)
    nonce: int | None = None  # the operator's next nonce (None: read it on the next send)


Runner = Callable[..., "dict[str, Any] | None"]
"""``runner(function_name, task_address, data, until=..., running=...) -> output or None``
(None: the handler failed); ``until`` and ``running`` as ``Handler.run`` takes them."""


@dataclass
class SimulatedProvider:
    """A provider/master pair (and optionally an agent) serving one source.

    Args:
        w3: web3 of the simulator's chain.
        contracts: builds a contract handle, ``contracts(kind, address)`` with kind ``Source`` or
            ``Task``.
        now: chain time of the next block.
        pin: pins a JSON-able result to IPFS and returns its link.
        source: the source address it serves.
        account: the provider key.
        master: the master key that announced it.
        environment: ``cpu``, ``nvidia`` or ``amd``; must be one the source declares.
        behaviour: one of :data:`ogpu_sim.vocabulary.BEHAVIOURS`.
        runner: runs the handler; ``None`` answers with a canned JSON echo of the input.
        agent: when given, register/attempt/submit are signed by this agent of the master.
        delay: seconds a ``slow`` provider waits between attempt and response.
        act_after: seconds to wait after first seeing a task before attempting it (lets async
            SDK watchers started right after ``publish_task`` see the ``Attempted`` event).
        seed: orders racers deterministically.
    """

    w3: Web3
    contracts: Callable[[Any, str], Any]
    now: Callable[[], int]
    pin: Callable[[Any], str]
    source: str
    account: LocalAccount
    master: LocalAccount
    environment: str = "cpu"
    behaviour: str = "honest"
    runner: Runner | None = None
    agent: LocalAccount | None = None
    delay: float = 1.0
    act_after: float = 0.0
    seed: int = 0
    record: Callable[[Action], None] = lambda action: None
    static: Callable[[str], TaskFacts] | None = None
    state: _State = field(default_factory=_State)
    _sender: LeanSender | None = field(default=None, init=False, repr=False)
    _board: TaskBoard | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.behaviour not in BEHAVIOURS:
            raise ProviderError(
                "behaviour", f"unknown behaviour {self.behaviour!r}; known: {choices(BEHAVIOURS)}"
            )
        if self.environment not in ENVIRONMENT_BITS:
            raise ProviderError(
                "environment",
                f"unknown environment {self.environment!r}; known: {choices(ENVIRONMENT_BITS)}",
            )

    @property
    def address(self) -> str:
        """The provider's address (the one tasks record as attempter and payee)."""
        return str(self.account.address)

    @property
    def operator(self) -> LocalAccount:
        """Who signs provider-side calls: the agent when one acts, else the provider itself."""
        return self.agent or self.account

    def __repr__(self) -> str:
        return (
            f"SimulatedProvider({self.address}, source={self.source}, "
            f"environment={self.environment!r}, behaviour={self.behaviour!r})"
        )

    # -- set-up ---------------------------------------------------------------------------

    def register(self) -> None:
        """Register to the source with ``Nexus.register``.

        Raises:
            ogpu.types.errors.OGPUError: the SDK's typed error for the revert
                (``InsufficientLockupError``, ``SourceInactiveError`` ...).
        """
        s, p = Web3.to_checksum_address(self.source), self.address
        self._transact(
            "register", (s, p, ENVIRONMENT_BITS[self.environment]), f"Nexus.register({s}, {p})"
        )

    # -- the two phases the driver calls ----------------------------------------------------

    def discover(self, board: TaskBoard | None = None) -> int:
        """Find new tasks of the source and attempt the open ones; return the actions taken.

        Args:
            board: the protocol's events as the driver collected them; without one (or for a
                source published before the timeline started) the chain is read instead.
        """
        self._board = board
        try:
            if board is not None and board.knows_source(self.source):
                tasks = board.tasks_of(self.source)
                self.state.open_tasks.extend(tasks[self.state.next_task_index :])
                self.state.next_task_index = max(self.state.next_task_index, len(tasks))
            else:
                self._read_new_tasks()
            actions = 0
            for task in list(self.state.open_tasks):
                actions += self._consider(task)
            return actions
        finally:
            self._board = None

    def respond(self, board: TaskBoard | None = None, until: float | None = None) -> int:
        """Answer the attempted tasks whose response is due; return the actions taken.

        Raises:
            HandlerStillRunning: a handler had not called back by ``until`` (a monotonic
                deadline); its task stays pending and the next call resumes the wait.
        """
        self._board = board
        try:
            actions = 0
            for item in list(self.state.pending):
                if self.behaviour == "slow" and time.time() < item.ready_at:
                    continue
                if self.behaviour == "late" and self.now() <= item.expiry:
                    continue
                place = self.state.pending.index(item)
                del self.state.pending[place]
                try:
                    self._answer(item, until)
                except HandlerStillRunning:
                    self.state.pending.insert(place, item)
                    raise
                actions += 1
            return actions
        finally:
            self._board = None

    def busy(self) -> bool:
        """True while work is due without chain time moving (a slow response, a fresh task)."""
        if any(item.running for item in self.state.pending):
            return True
        if self.behaviour == "slow" and self.state.pending:
            return True
        return bool(self.act_after and any(t not in self.state.done for t in self.state.open_tasks))

    def waiting_on_time(self) -> bool:
        """True when work remains that only moving chain time can unblock (late responses)."""
        return self.behaviour == "late" and bool(self.state.pending)

    # -- internals ------------------------------------------------------------------------

    def _facts(self, task: str) -> TaskFacts:
        if self.static is not None:
            return self.static(task)
        return read_task_facts(self.w3, task)

    def _read_new_tasks(self) -> None:
        new = read_tasks_of(self.w3, self.source, self.state.next_task_index)
        self.state.open_tasks.extend(new)
        self.state.next_task_index += len(new)

    def _status(self, task: str) -> TaskStatus:
        known = self._board.status(task) if self._board is not None else None
        return read_status(self.w3, task) if known is None else known

    def _attempted(self, task: str) -> bool:
        board = self._board
        if board is not None and board.status(task) is not None:
            return board.attempted(task, self.address)
        return read_attempted(self.w3, task, self.address)

    def _transact(self, function: str, args: tuple[Any, ...], context: str) -> dict[str, Any]:
        """Send a Nexus call signed by the operator (see :class:`LeanSender`); its receipt."""
        if self._sender is None:
            from ogpu.chain.config import ChainConfig

            nexus = ChainConfig.get_contract_address("NEXUS")
            self._sender = LeanSender(self.w3, self.operator, nexus, self._mined)
        self._sender.nonce = self.state.nonce
        try:
            return self._sender.transact(function, args, context)
        finally:
            self.state.nonce = self._sender.nonce

    def _expired_by(self, receipt: dict[str, Any], task: str, facts: TaskFacts) -> bool:
        """Whether a successful attempt expired ``task`` instead of recording the attempt."""
        assert self._sender is not None
        verdict = expired_by(receipt, self._sender.nexus, task, self.address)
        return self.now() > facts.expiry if verdict is None else verdict

    def _mined(self, receipt: dict[str, Any]) -> None:
        if self._board is not None:  # its events are the next thing the timeline records
            self._board.timeline.ingest(receipt)

    def _consider(self, task: str) -> int:
        status = self._status(task)
        if status in TERMINAL_STATUSES:
            self._forget(task)
            return 0
        if self._attempted(task):
            self._forget(task)
            return 0
        facts = self._facts(task)
        if status == TaskStatus.RESPONDED and facts.delivery != DeliveryMethod.MANUAL_CONFIRMATION:
            self._forget(task)
            return 0
        if self.act_after:
            first = self.state.first_seen.setdefault(task, time.time())
            if time.time() - first < self.act_after:
                return 0
        if status == TaskStatus.RESPONDED and self.now() > facts.expiry:
            self._forget(task)  # an expired task with a response is the client's to settle
            return 0
        return self._attempt(task)

    def _attempt(self, task: str) -> int:
        """Attempt ``task``; past its expiry the same call marks it EXPIRED (lazy expiry), and
        the receipt's events tell which of the two happened."""
        from ogpu.types.errors import OGPUError

        facts = self._facts(task)
        payment = facts.payment
        t, p = checksum(task), self.address
        self._forget(task)
        try:
            receipt = self._transact("attempt", (t, p, payment), f"Nexus.attempt({t}, {p})")
        except OGPUError as exc:
            self.record(
                Action(self.address, "revert", task, f"attempt: {type(exc).__name__}: {exc}")
            )
            return 1
        if self._expired_by(receipt, t, facts):
            self.record(Action(self.address, "expire", task, "attempt after expiry: task EXPIRED"))
            return 1
        self.record(Action(self.address, "attempt", task))
        if self.behaviour != "silent":
            self.state.pending.append(
                _Pending(task, facts.expiry, payment, time.time() + self.delay)
            )
        return 1

    def _forget(self, task: str) -> None:
        if task in self.state.open_tasks:
            self.state.open_tasks.remove(task)
        self.state.done.add(task)
        self.state.first_seen.pop(task, None)

    def _answer(self, item: _Pending, until: float | None) -> None:
        status = self._status(item.task)
        if status in (TaskStatus.CANCELED, TaskStatus.FINALIZED) and self.behaviour != "late":
            self.record(Action(self.address, "lost", item.task, f"task already {status.name}"))
            return
        try:
            output = self._run_handler(item, until)
        except HandlerStillRunning as exc:
            item.running = exc.running
            raise
        except HandlerFailure as exc:
            self.record(Action(self.address, "handler-failed", item.task, str(exc)))
            return
        if output is None:
            self.record(Action(self.address, "handler-failed", item.task, NO_RESULT))
            return
        if self.behaviour == "wrong":
            output = {"ogpu_sim_wrong_output": True, "expected_keys": sorted(output)}
        link = self.pin(output)
        self._submit(item, link)
        if self.behaviour == "late":
            # Past expiry our response reverted; the next attempt marks the task EXPIRED.
            self._expire_late(item.task)

    def _run_handler(self, item: _Pending, until: float | None) -> dict[str, Any] | None:
        if self.behaviour == "failing":
            raise HandlerFailure("no callback: the failing behaviour's handler fails on purpose")
        config = self._task_config(item.task)
        function_name = str(config.get("function_name", ""))
        data = config.get("data", {})
        if self.runner is None:
            return {"ogpu_sim": "canned", "function_name": function_name, "input": data}
        data = data if isinstance(data, dict) else {"data": data}
        return self.runner(function_name, item.task, data, until=until, running=item.running)

    def _task_config(self, task: str) -> dict[str, Any]:
        config = fetch_config(self._facts(task).config_url)
        return config if isinstance(config, dict) else {"data": config}

    def _submit(self, item: _Pending, link: str) -> None:
        from ogpu.types.errors import OGPUError

        params = (item.task, self.address, link, item.payment)
        context = f"Nexus.submitResponse({item.task}, {self.address})"
        try:
            self._transact("submitResponse", (params,), context)
        except OGPUError as exc:
            detail = f"submitResponse: {type(exc).__name__}: {exc}"
            self.record(Action(self.address, "revert", item.task, detail))
            return
        self.record(Action(self.address, "respond", item.task, link))

    def _expire_late(self, task: str) -> None:
        if self._status(task) in OPEN_STATUSES:
            self._attempt(task)

    def forget_nonce(self) -> None:
        """Read the operator's nonce from the chain before the next send (after a reorg)."""
        self.state.nonce = None

    # -- snapshots ------------------------------------------------------------------------

    def save(self) -> _State:
        """A copy of this provider's memory, for the simulator's snapshot."""
        return copy.deepcopy(self.state)

    def restore(self, state: _State) -> None:
        """Go back to a memory saved by :meth:`save`."""
        self.state = copy.deepcopy(state)


def racer_order(providers: list[SimulatedProvider], seed: int) -> list[SimulatedProvider]:
    """The order providers answer in: racers shuffled by ``seed``, others in creation order."""
    racers = [p for p in providers if p.behaviour == "racer"]
    rng = random.Random(seed)
    rng.shuffle(racers)
    shuffled = iter(racers)
    return [next(shuffled) if p.behaviour == "racer" else p for p in providers]
