"""The long-session row of ``make bench``: FIRST_RESPONSE lifecycles run on one fresh
Simulator, the last of them timed (how a backend's lifecycle cost grows with its chain)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from cases import LONG_TAIL, LONG_TASKS, ROWS, Settings
from runs import long_session


def test_the_row_times_the_last_lifecycles_of_the_session() -> None:
    samples = long_session("revm", Settings(long_tasks=3, long_tail=2))
    assert len(samples) == 2
    assert all(sample > 0 for sample in samples)


def test_a_tail_longer_than_the_session_times_every_lifecycle() -> None:
    assert len(long_session("revm", Settings(long_tasks=2, long_tail=5))) == 2


def test_the_row_label_states_the_session_length() -> None:
    (row,) = [r for r in ROWS if r.id == "lifecycle.first_response_long"]
    assert (LONG_TASKS, LONG_TAIL) == (150, 25)
    assert row.label == "FIRST_RESPONSE lifecycle, the last 25 of 150 in one session"
