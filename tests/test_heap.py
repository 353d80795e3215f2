"""A started network keeps what it holds out of the collector's full passes and collects its
young generation rarely; it gives both back when it stops."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable, Iterator

import pytest

from ogpu_sim import Simulator
from ogpu_sim.network import heap


@pytest.fixture(autouse=True)
def _alone() -> Iterator[None]:
    """Each test starts with no holder and nothing frozen (a session's simulator may hold the
    heap in this worker); what was held before is held again after."""
    saved = (heap._holders, heap._ours, heap._loosened, gc.get_threshold())
    heap._holders, heap._ours, heap._loosened = 0, False, None
    gc.unfreeze()
    gc.set_threshold(700, 10, 10)
    yield
    gc.unfreeze()
    heap._holders, heap._ours, heap._loosened, thresholds = saved
    gc.set_threshold(*thresholds)
    if heap._ours:
        gc.freeze()


def test_a_started_simulator_freezes_what_is_alive_and_its_stop_unfreezes_it() -> None:
    sim = Simulator.start(backend="revm")
    frozen = gc.get_freeze_count()
    sim.stop()
    assert (frozen > 10_000, gc.get_freeze_count()) == (True, 0)


def test_a_started_simulator_loosens_the_young_threshold_until_it_stops() -> None:
    sim = Simulator.start(backend="revm")
    running = gc.get_threshold()
    sim.stop()
    assert (running, gc.get_threshold()) == ((heap.YOUNG_THRESHOLD, 10, 10), (700, 10, 10))


def test_the_last_of_two_holders_puts_the_thresholds_back() -> None:
    heap.hold()
    heap.hold()
    heap.release()
    kept = gc.get_threshold()
    heap.release()
    assert (kept, gc.get_threshold()) == ((heap.YOUNG_THRESHOLD, 10, 10), (700, 10, 10))


def test_the_last_of_two_holders_unfreezes() -> None:
    heap.hold()
    heap.hold()
    heap.release()
    kept = gc.get_freeze_count()
    heap.release()
    assert (kept > 0, gc.get_freeze_count()) == (True, 0)


class Node:
    """Half of a reference cycle: freed only by the collector, never by reference counting."""

    other: object


def dropped_after(between: Callable[[], None]) -> weakref.ref[Node]:
    """A weak reference to a garbage cycle made before ``between`` ran, collected after it (the
    reference is dead unless the collection left the cycle alone)."""
    made = [Node()]
    made[0].other = made
    probe = weakref.ref(made[0])
    between()
    del made
    gc.collect()
    return probe


def test_a_second_holder_freezes_nothing_more() -> None:
    heap.hold()
    probe = dropped_after(heap.hold)
    assert (probe(), heap._holders, gc.get_freeze_count() > 0) == (None, 2, True)


def test_a_process_that_froze_objects_itself_is_left_alone() -> None:
    gc.freeze()
    probe = dropped_after(heap.hold)
    heap.release()
    assert (probe(), gc.get_freeze_count() > 0) == (None, True)


def test_a_release_without_a_hold_does_nothing() -> None:
    heap.release()
    assert (heap._holders, gc.get_freeze_count()) == (0, 0)


def test_a_cycle_frozen_by_the_hold_is_collected_after_the_release() -> None:
    probe = dropped_after(heap.hold)
    survived_while_held = probe() is not None
    heap.release()
    gc.collect()
    assert (survived_while_held, probe()) == (True, None)


def test_loosen_raises_only_the_young_threshold() -> None:
    gc.set_threshold(700, 12, 7)
    saved = heap.loosen()
    assert gc.get_threshold() == (heap.YOUNG_THRESHOLD, 12, 7)
    assert saved == ((700, 12, 7), (heap.YOUNG_THRESHOLD, 12, 7))


def test_restore_puts_back_the_thresholds_loosen_found() -> None:
    gc.set_threshold(700, 12, 7)
    heap.restore(heap.loosen())
    assert gc.get_threshold() == (700, 12, 7)


def test_a_higher_or_disabled_young_threshold_is_left_alone() -> None:
    gc.set_threshold(heap.YOUNG_THRESHOLD * 2, 10, 10)
    heap.loosen()
    assert gc.get_threshold() == (heap.YOUNG_THRESHOLD * 2, 10, 10)
    gc.set_threshold(0, 10, 10)
    heap.loosen()
    assert gc.get_threshold() == (0, 10, 10)


def test_restore_keeps_thresholds_someone_set_since() -> None:
    saved = heap.loosen()
    gc.set_threshold(5000, 10, 10)
    heap.restore(saved)
    assert gc.get_threshold() == (5000, 10, 10)


def test_thresholds_set_while_a_network_runs_are_kept_when_it_stops() -> None:
    heap.hold()
    gc.set_threshold(3000, 10, 10)
    heap.release()
    assert gc.get_threshold() == (3000, 10, 10)
