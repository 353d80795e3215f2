"""The LifecycleMachine row of ``make bench``: the whole CI profile on revm, its first
examples on eth-tester (so a full run stays short), fewer everywhere when asked."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from cases import MACHINE_EXAMPLES, ROWS, Settings
from runs import machine_steps

from ogpu_sim.testing import CI_PROFILE, LifecycleMachine


@pytest.fixture
def examples_run(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Replaces the machine's run: records the examples it was asked for."""
    asked: list[int] = []

    def run(sim: Any, chosen: Any) -> None:
        asked.append(chosen.max_examples)

    monkeypatch.setattr(LifecycleMachine, "run", run)
    return asked


@pytest.mark.parametrize(
    ("backend", "examples"),
    [("revm", hypothesis_settings.get_profile(CI_PROFILE).max_examples), ("eth-tester", 30)],
)
def test_the_row_runs_the_ci_profile_bounded_on_eth_tester(
    examples_run: list[int], backend: str, examples: int
) -> None:
    machine_steps(backend, Settings())
    assert examples_run == [examples]


def test_a_bound_asked_for_applies_to_every_backend(examples_run: list[int]) -> None:
    machine_steps("eth-tester", Settings(machine_examples=2))
    assert examples_run == [2]


def test_the_row_label_states_the_bound() -> None:
    (row,) = [r for r in ROWS if r.id == "machine.steps"]
    assert MACHINE_EXAMPLES == {"eth-tester": 30}
    assert row.label == "LifecycleMachine, CI profile (eth-tester: its first 30 examples)"
