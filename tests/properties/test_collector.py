"""A bound machine runs the collector's young generation rarely, and gives the thresholds back."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest

from ogpu_sim.testing import LifecycleMachine, collector


@pytest.fixture
def thresholds() -> Iterator[None]:
    """The process's thresholds, put back whatever a test did."""
    before = gc.get_threshold()
    try:
        yield
    finally:
        gc.set_threshold(*before)


def test_loosen_raises_only_the_young_threshold(thresholds: None) -> None:
    gc.set_threshold(700, 10, 10)
    saved = collector.loosen()
    assert gc.get_threshold() == (collector.YOUNG_THRESHOLD, 10, 10)
    assert saved == ((700, 10, 10), (collector.YOUNG_THRESHOLD, 10, 10))


def test_restore_puts_back_the_thresholds_loosen_found(thresholds: None) -> None:
    gc.set_threshold(700, 12, 7)
    collector.restore(collector.loosen())
    assert gc.get_threshold() == (700, 12, 7)


def test_a_higher_or_disabled_young_threshold_is_left_alone(thresholds: None) -> None:
    gc.set_threshold(collector.YOUNG_THRESHOLD * 2, 10, 10)
    collector.loosen()
    assert gc.get_threshold() == (collector.YOUNG_THRESHOLD * 2, 10, 10)
    gc.set_threshold(0, 10, 10)
    collector.loosen()
    assert gc.get_threshold() == (0, 10, 10)


def test_restore_keeps_thresholds_someone_set_since(thresholds: None) -> None:
    gc.set_threshold(700, 10, 10)
    saved = collector.loosen()
    gc.set_threshold(5000, 10, 10)
    collector.restore(saved)
    assert gc.get_threshold() == (5000, 10, 10)


def test_a_bound_machine_loosens_the_collector_until_released(
    property_sim: Any, thresholds: None
) -> None:
    gc.set_threshold(700, 10, 10)
    LifecycleMachine.bind(property_sim)
    try:
        assert gc.get_threshold() == (collector.YOUNG_THRESHOLD, 10, 10)
    finally:
        LifecycleMachine.release()
    assert gc.get_threshold() == (700, 10, 10)
