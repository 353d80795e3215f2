"""Drive simulated providers deterministically: one step at a time, until idle, or autorun.

A step first collects the protocol events mined since the last one (one poll of the timeline),
lets every provider discover and attempt new tasks, then lets them respond in a seeded order
(racers). Providers decide from those events (a :class:`TaskBoard`), and the events of their own
transactions come from the receipts, so a step costs no reads beyond the poll. The same seed
and call sequence give the same run; ``autorun`` does the same in a background thread so live SDK
watchers see events as on a real network.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ogpu_sim.actors.board import TaskBoard
from ogpu_sim.actors.provider import SimulatedProvider, racer_order
from ogpu_sim.actors.timeline import Timeline
from ogpu_sim.errors import HandlerStillRunning, IdleTimeoutError


@dataclass
class Driver:
    """The providers of one simulator and the loop that makes them act.

    Args:
        timeline: where actions and events are recorded.
        seed: seeds the racers' response order.
    """

    timeline: Timeline
    seed: int = 0
    providers: list[SimulatedProvider] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    before_step: list[Callable[[], int]] = field(default_factory=list, repr=False)
    """Called at the start of every step (e.g. recruiting providers for new sources); each
    returns how many actions it took, which count as the step's work."""
    _steps: int = 0
    _autorun: threading.Thread | None = field(default=None, repr=False)
    _stopping: threading.Event = field(default_factory=threading.Event, repr=False)
    board: TaskBoard = field(init=False, repr=False)
    _reorgs: int = 0

    def __post_init__(self) -> None:
        self.board = TaskBoard(self.timeline)

    @property
    def autorunning(self) -> bool:
        """True while the background thread drives the providers."""
        return self._autorun is not None

    def save(self) -> tuple[list[SimulatedProvider], list[Any]]:
        """The providers and their states, for :meth:`restore` after a chain revert."""
        with self.lock:
            return list(self.providers), [p.save() for p in self.providers]

    def restore(self, saved: tuple[list[SimulatedProvider], list[Any]]) -> None:
        """Go back to the providers (and their memories) of :meth:`save`."""
        providers, states = saved
        with self.lock:
            self.providers = list(providers)
            for provider, state in zip(self.providers, states, strict=False):
                provider.restore(state)

    def step(self, follow_on: bool = False, until: float | None = None) -> int:
        """Let every provider act once (discover/attempt, then respond); return the actions.

        Args:
            follow_on: this step follows a productive one of :meth:`run_until_idle` at once
                (see :meth:`Timeline.trusting`).
            until: a ``time.monotonic()`` deadline for waits on handlers.

        Raises:
            HandlerStillRunning: a handler had not called back by ``until``.
        """
        with self.lock:
            actions = sum(hook() for hook in list(self.before_step))
            with self.timeline.trusting(follow_on):
                board = self.board
                if board.reorgs != self._reorgs:  # undone blocks took provider nonces back
                    self._reorgs = board.reorgs
                    for provider in self.providers:
                        provider.forget_nonce()
                actions += sum(p.discover(board) for p in list(self.providers))
                # Seeded by productive steps only, so wall-clock polling (slow providers)
                # cannot change which racer answers first.
                order = racer_order(list(self.providers), self.seed * 1_000_003 + self._steps)
                actions += sum(p.respond(board, until) for p in order)
            if actions:
                self._steps += 1
            return actions

    def run_until_idle(self, timeout: float = 60.0) -> int:
        """Drive providers in the caller's thread until no work is due; return the actions.

        Work that only moving chain time can unblock (a ``late`` provider's response) does not
        count as due. Deterministic for a given seed and call sequence.

        On a node reached over JSON-RPC the first step and each step after a wait poll the
        chain; a step right after a productive one works from what that step saw and the
        receipts of its transactions when every transaction this process sent since the last
        poll came back with a receipt the timeline took (a send from another thread, or one
        lost, makes it poll). What another process mines meanwhile is seen by the next call,
        as if it had come a moment later.

        Raises:
            IdleTimeoutError: providers were still busy when ``timeout`` seconds ran out.
        """
        deadline = time.monotonic() + timeout
        total, done = 0, 0
        while True:
            try:
                done = self.step(follow_on=done > 0, until=deadline)
            except HandlerStillRunning as exc:
                busy = [p.address for p in self.providers if p.busy()]
                raise IdleTimeoutError(timeout, busy, str(exc)) from None
            total += done
            if done == 0:
                busy = [p.address for p in self.providers if p.busy()]
                if not busy:
                    return total
                if time.monotonic() > deadline:
                    raise IdleTimeoutError(timeout, busy)
                time.sleep(0.05)
            elif time.monotonic() > deadline:
                raise IdleTimeoutError(timeout, [p.address for p in self.providers])

    def start_autorun(self, interval: float = 0.2) -> None:
        """Let providers act on their own in a background thread until :meth:`stop_autorun`."""
        if self._autorun is not None:
            return
        self._stopping.clear()

        def loop() -> None:
            while not self._stopping.wait(interval):
                try:
                    self.step()
                except Exception as exc:  # keep serving; the failure is on the timeline
                    self.timeline.add("note", "autorun-error", error=f"{type(exc).__name__}: {exc}")

        self._autorun = threading.Thread(target=loop, name="ogpu-sim-autorun", daemon=True)
        self._autorun.start()

    def stop_autorun(self) -> None:
        """Stop the background provider thread (idempotent)."""
        if self._autorun is None:
            return
        self._stopping.set()
        self._autorun.join(timeout=30)
        self._autorun = None
