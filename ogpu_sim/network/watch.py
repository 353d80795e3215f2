"""Waiting on a live network: which of the run's own tasks still expect an answer.

In attach mode nobody steps the providers: the live network answers in its own time. The run's
tasks are those whose ``TaskPublished`` event came from a transaction the run sent (the spend
ledger knows those hashes). :meth:`TaskWatch.wait` polls the chain, stepping any local
providers meanwhile, until none of them is waiting, with a timeout and a progress line every
few seconds. A task whose source only the run's own local providers serve is not waited for
beyond stepping them: no one else is there to answer it. Scopes (:meth:`TaskWatch.mark` /
:meth:`TaskWatch.truncate`) stand in for reverts: tasks published inside a test stop being
waited for once the test is over.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ogpu.types import TaskStatus
from web3 import Web3

from ogpu_sim.actors.timeline import Timeline
from ogpu_sim.errors import AttachModeError, LiveWaitTimeoutError
from ogpu_sim.network.spend import SpendLedger

if TYPE_CHECKING:
    from ogpu_sim.network import Network
    from ogpu_sim.network.attach import AttachOptions

log = logging.getLogger("ogpu_sim")

TERMINAL = frozenset({TaskStatus.FINALIZED, TaskStatus.EXPIRED, TaskStatus.CANCELED})
ANSWERED = TERMINAL | {TaskStatus.RESPONDED}
"""A task in one of these states expects nothing more from providers (MANUAL: the client)."""

POLL_SECONDS = 0.2
PROGRESS_SECONDS = 5.0


@dataclass
class TaskWatch:
    """The run's own tasks on a live network, in publication order.

    Args:
        timeline: the network's timeline (decoded ``TaskPublished`` events).
        ledger: knows the transactions the user's keys sent.
        status: reads a task's status (``TaskStatus``).
        expiry: reads a task's expiry (unix seconds).
        now: chain time of the next block.
        registrants: the providers registered to a task's source.
        local: the addresses of the run's own local providers.
        rpc_url: the live network's endpoint, for error messages.
    """

    timeline: Timeline
    ledger: SpendLedger
    status: Callable[[str], TaskStatus]
    expiry: Callable[[str], int]
    now: Callable[[], int]
    registrants: Callable[[str], list[str]] = lambda task: []
    local: Callable[[], set[str]] = set
    rpc_url: str = ""
    tasks: list[str] = field(default_factory=list)
    _seen: int = 0
    _done: set[str] = field(default_factory=set)

    @classmethod
    def over(
        cls,
        network: Network,
        facts: Callable[[str], Any],
        now: Callable[[], int],
        local: Callable[[], set[str]],
    ) -> TaskWatch:
        """The watch of an attached network.

        Args:
            network: the attached network (``network.live`` set).
            facts: a task's cached immutable facts (``.expiry``).
            now: chain time of the next block.
            local: the addresses of the run's local providers.
        """
        assert network.live is not None

        def registrants(task: str) -> list[str]:
            source_address = network.instance("Task", task).functions.getSource().call()
            source = network.instance("Source", source_address).functions
            count = int(source.getRegistrantCount().call())
            return [str(a) for a in source.getRegistrants(0, count - 1).call()] if count else []

        return cls(
            network.timeline,
            network.live.ledger,
            status=lambda t: TaskStatus(network.instance("Task", t).functions.getStatus().call()),
            expiry=lambda t: int(facts(t).expiry),
            now=now,
            registrants=registrants,
            local=local,
            rpc_url=network.rpc_url,
        )

    def refresh(self) -> None:
        """Add the run's tasks published since the last look."""
        published = self.timeline.events("TaskPublished")
        for entry in published[self._seen :]:
            if entry.tx in self.ledger.sent:
                self.tasks.append(Web3.to_checksum_address(entry.args["task"]))
        self._seen = len(published)

    def mark(self) -> int:
        """A position to :meth:`truncate` back to."""
        self.refresh()
        return len(self.tasks)

    def truncate(self, mark: int) -> None:
        """Stop waiting for the tasks published after ``mark`` (a scope is over)."""
        self.refresh()
        del self.tasks[mark:]

    def waiting(self, tasks: list[str] | None = None, *, expired_settles: bool = True) -> list[str]:
        """``address STATUS`` of each task not yet answered or ended.

        Args:
            tasks: these tasks (default: every task of the run in the current scope).
            expired_settles: a task past its expiry is not waited for either (only an attempt,
                not an answer, can still come), nor one only local providers serve.
        """
        self.refresh()
        open_tasks = []
        for task in self.tasks if tasks is None else tasks:
            if task in self._done:
                continue
            status = self.status(task)
            if status in TERMINAL:
                self._done.add(task)
                continue
            if status in ANSWERED:
                continue
            if expired_settles and (self.now() > self.expiry(task) or self._only_local(task)):
                continue
            open_tasks.append(f"{task} {status.name}")
        return open_tasks

    def _only_local(self, task: str) -> bool:
        """True when providers serve the task's source and all of them are the run's own
        (none registered yet: someone on the live network may still come)."""
        registered = set(self.registrants(task))
        return bool(registered) and registered <= self.local()

    def expire(
        self,
        task: str,
        options: AttachOptions,
        pass_time: Callable[[int], None],
        step: Callable[[], int],
        busy: Callable[[], list[str]],
    ) -> None:
        """``sim.expire`` on a live network: wait out a near expiry, then for an attempt to end
        the task (``options.wait_timeout``); refuse a later expiry (``options.expire_wait``).

        Raises:
            AttachModeError: the task expires later than ``expire_wait`` allows.
            LiveWaitTimeoutError: nothing ended the task in time.
        """
        wait = self.expiry(task) - self.now() + 1
        if wait > options.expire_wait:
            raise AttachModeError(
                "sim.expire",
                self.rpc_url,
                f"task {task} expires in {wait}s and a live network's clock cannot be moved "
                f"(expire_wait allows {options.expire_wait:g}s); test expiry on a local network",
            )
        if wait > 0:
            pass_time(wait)
        self.wait(step, busy, options.wait_timeout, tasks=[task], expired_settles=False)

    def wait(
        self,
        step: Callable[[], int],
        busy: Callable[[], list[str]],
        timeout: float,
        tasks: list[str] | None = None,
        expired_settles: bool = True,
    ) -> int:
        """Step local providers and watch the chain until nothing is waiting; return actions.

        Args:
            step: lets the local providers act once; returns their actions.
            busy: addresses of local providers with work due.
            timeout: seconds to wait at most.
            tasks, expired_settles: as for :meth:`waiting`.

        Raises:
            LiveWaitTimeoutError: tasks still waiting (or local providers busy) at ``timeout``.
        """
        started = time.monotonic()
        deadline = started + timeout
        next_report = started + PROGRESS_SECONDS
        total = 0
        while True:
            done = step()
            total += done
            open_tasks = self.waiting(tasks, expired_settles=expired_settles)
            still = open_tasks + [f"local provider {p}" for p in busy()]
            if not done and not still:
                return total
            now = time.monotonic()
            if now > deadline:
                raise LiveWaitTimeoutError(timeout, still)
            if now >= next_report:
                log.info(
                    "attach mode: waiting %.0fs of %.0fs for %s",
                    now - started,
                    timeout,
                    ", ".join(still),
                )
                next_report = now + PROGRESS_SECONDS
            if not done:
                time.sleep(POLL_SECONDS)
