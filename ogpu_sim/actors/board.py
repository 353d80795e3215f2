"""What the protocol's events say about tasks, for the simulated providers to decide on.

Every task status change the protocol makes is a Nexus ``TaskStatusChanged`` event, every
attempt an ``Attempted`` event, every new task a ``TaskPublished`` event, and the timeline
collects them all. A provider app on the real network watches the same events; reading them
from the timeline instead of asking the chain "what is this task's status, have I attempted
it, how many tasks has my source" per task and per step saves those calls.

The board only answers for what it saw from the start: a source whose ``SourcePublished`` and a
task whose ``TaskPublished`` the timeline collected (on a network attached to an existing chain,
older ones are not), and providers read the chain for the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ogpu.types import TaskStatus

from ogpu_sim.actors.timeline import Timeline


@dataclass
class TaskBoard:
    """Tasks per source, their statuses and attempters, derived from a :class:`Timeline`.

    Args:
        timeline: the timeline whose decoded events it follows (rebuilt after a truncate).
    """

    timeline: Timeline
    _seen: int = 0
    _generation: int = -1
    _sources: set[str] = field(default_factory=set)
    _tasks: dict[str, list[str]] = field(default_factory=dict)
    _status: dict[str, TaskStatus] = field(default_factory=dict)
    _attempters: dict[str, set[str]] = field(default_factory=dict)
    _reorgs: int = 0

    def refresh(self) -> None:
        """Take in the timeline entries added since the last refresh (no chain request)."""
        timeline = self.timeline
        if timeline.generation != self._generation or len(timeline.entries) < self._seen:
            self._generation = timeline.generation
            self._seen = 0
            self._sources.clear()
            self._tasks.clear()
            self._status.clear()
            self._attempters.clear()
            self._reorgs = 0
        entries = timeline.entries
        for entry in entries[self._seen :]:
            if entry.kind == "fault" and entry.name == "reorg":
                self._reorgs += 1
            if entry.kind != "event" or entry.emitter != "NEXUS":
                continue
            args = entry.args
            if entry.name == "SourcePublished":
                self._sources.add(args["source"])
                self._tasks.setdefault(args["source"], [])
            elif entry.name == "TaskPublished":
                self._tasks.setdefault(args["source"], []).append(args["task"])
                self._status[args["task"]] = TaskStatus.NEW
                self._attempters[args["task"]] = set()
            elif entry.name == "TaskStatusChanged" and args["task"] in self._status:
                self._status[args["task"]] = TaskStatus(int(args["status"]))
            elif entry.name == "Attempted" and args["task"] in self._attempters:
                self._attempters[args["task"]].add(args["provider"])
        self._seen = len(entries)

    @property
    def reorgs(self) -> int:
        """How many chain reorgs the timeline recorded (injected faults undoing blocks)."""
        self.refresh()
        return self._reorgs

    def knows_source(self, source: str) -> bool:
        """True when every task of ``source`` is on the board (it was published in view)."""
        self.refresh()
        return source in self._sources

    def tasks_of(self, source: str) -> list[str]:
        """The tasks of ``source`` in publication order (the order ``Source.getTasks`` has)."""
        self.refresh()
        return list(self._tasks.get(source, ()))

    def status(self, task: str) -> TaskStatus | None:
        """The task's status, or ``None`` when the board did not see it published."""
        self.refresh()
        return self._status.get(task)

    def attempted(self, task: str, provider: str) -> bool:
        """True once ``provider`` attempted ``task`` (a task the board knows)."""
        self.refresh()
        return provider in self._attempters.get(task, ())


__all__ = ["TaskBoard"]
