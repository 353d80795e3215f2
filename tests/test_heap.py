"""A started network keeps what it holds out of the collector's full passes, and gives it back."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from ogpu_sim import Simulator
from ogpu_sim.network import heap


@pytest.fixture(autouse=True)
def _nothing_frozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    while heap._holders:
        heap.release()
    gc.unfreeze()


def test_a_started_simulator_freezes_what_is_alive_and_its_stop_unfreezes_it() -> None:
    sim = Simulator.start(backend="revm")
    frozen = gc.get_freeze_count()
    sim.stop()
    assert (frozen > 10_000, gc.get_freeze_count()) == (True, 0)


def test_the_last_of_two_holders_unfreezes() -> None:
    heap.hold()
    heap.hold()
    heap.release()
    kept = gc.get_freeze_count()
    heap.release()
    assert (kept > 0, gc.get_freeze_count()) == (True, 0)


def test_a_process_that_froze_objects_itself_is_left_alone() -> None:
    gc.freeze()
    theirs = gc.get_freeze_count()
    heap.hold()
    heap.release()
    assert gc.get_freeze_count() == theirs


def test_a_release_without_a_hold_does_nothing() -> None:
    heap.release()
    assert (heap._holders, gc.get_freeze_count()) == (0, 0)


def test_garbage_cycles_made_while_held_are_collected_after_the_release() -> None:
    heap.hold()

    class Node:
        other: object

    a, b = Node(), Node()
    a.other, b.other = b, a
    heap.hold()  # the cycle is now frozen too
    del a, b
    heap.release()
    heap.release()
    assert gc.collect() >= 2
