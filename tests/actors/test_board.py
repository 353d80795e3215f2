"""The task board: what providers decide from, derived from the timeline's Nexus events."""

from __future__ import annotations

from typing import Any

from ogpu.types import TaskStatus

from ogpu_sim.actors.board import TaskBoard
from ogpu_sim.actors.timeline import Entry, Timeline

SOURCE, OTHER = "0x" + "50" * 20, "0x" + "51" * 20
TASK, TASK2, OLD = "0x" + "7a" * 20, "0x" + "7b" * 20, "0x" + "7c" * 20
PROVIDER = "0x" + "9a" * 20


def event(name: str, emitter: str = "NEXUS", **args: Any) -> Entry:
    return Entry("event", name, args, block=1, emitter=emitter)


def board_of(*entries: Entry) -> tuple[Timeline, TaskBoard]:
    timeline = Timeline(w3=None, contracts={})  # type: ignore[arg-type]  # never polled here
    timeline.entries.extend(entries)
    return timeline, TaskBoard(timeline)


def test_a_sources_tasks_are_listed_in_publication_order():
    _, board = board_of(
        event("SourcePublished", source=SOURCE),
        event("TaskPublished", task=TASK, source=SOURCE),
        event("TaskPublished", task=OLD, source=OTHER),
        event("TaskPublished", task=TASK2, source=SOURCE),
    )

    assert board.tasks_of(SOURCE) == [TASK, TASK2]


def test_a_task_is_new_until_a_status_change_and_then_has_the_changed_status():
    timeline, board = board_of(event("TaskPublished", task=TASK, source=SOURCE))
    assert board.status(TASK) == TaskStatus.NEW

    timeline.entries.append(event("TaskStatusChanged", task=TASK, status=int(TaskStatus.FINALIZED)))

    assert board.status(TASK) == TaskStatus.FINALIZED


def test_attempters_come_from_attempted_events():
    _, board = board_of(
        event("TaskPublished", task=TASK, source=SOURCE),
        event("Attempted", task=TASK, provider=PROVIDER, suggestedPayment=1),
    )

    assert (board.attempted(TASK, PROVIDER), board.attempted(TASK, SOURCE)) == (True, False)


def test_what_was_published_before_the_timeline_started_is_unknown():
    _, board = board_of(
        event("TaskStatusChanged", task=OLD, status=int(TaskStatus.ATTEMPTED)),
        event("Attempted", task=OLD, provider=PROVIDER, suggestedPayment=1),
    )

    assert (board.knows_source(SOURCE), board.status(OLD)) == (False, None)


def test_events_of_other_contracts_are_ignored():
    _, board = board_of(event("TaskPublished", emitter="VAULT", task=TASK, source=SOURCE))

    assert board.status(TASK) is None


def test_a_truncated_timeline_rebuilds_the_board():
    timeline, board = board_of(event("SourcePublished", source=SOURCE))
    mark = (len(timeline.entries), 0)
    timeline.entries.append(event("TaskPublished", task=TASK, source=SOURCE))
    assert board.tasks_of(SOURCE) == [TASK]

    timeline.truncate(mark)
    timeline.entries.append(event("TaskPublished", task=TASK2, source=SOURCE))

    assert (board.tasks_of(SOURCE), board.status(TASK)) == ([TASK2], None)


def test_reorgs_the_timeline_recorded_are_counted():
    _, board = board_of(Entry("fault", "reorg", {"detail": "depth 1"}, block=3))

    assert board.reorgs == 1
