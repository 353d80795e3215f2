"""Proof that the LifecycleMachine can fail: it catches each broken protocol variant.

For every mutant in ``conftest.MUTANTS`` the machine runs against a Simulator deployed from the
mutant's artifacts; hypothesis must find a failing sequence and shrink it to a short program.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from hypothesis.internal.conjecture import engine

from ogpu_sim.testing import CI_PROFILE

from .conftest import MUTANTS, Mutant, MutantMachine, mutant_artifacts

BACKEND = os.environ.get(
    "OGPU_SIM_PROPERTY_BACKEND",
    "revm" if importlib.util.find_spec("pyrevm") else "eth-tester",
)
#: A shrunk counterexample must be at most this many rule calls (after the cast is set up).
SHORT = 8
SET_UP_RULES = (
    "everyone",
    "the_clients",
    "the_masters",
    "the_providers",
    "the_sources",
    "the_tasks",
)
SHRINK_SECONDS = 45


@pytest.fixture(scope="session")
def mutant_dirs() -> dict[str, Path]:
    """Every mutant compiled (in parallel on first use; afterwards from ``.cache/mutants``)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        dirs = pool.map(mutant_artifacts, MUTANTS)
        return {m.name: d for m, d in zip(MUTANTS, dirs, strict=True)}


@pytest.fixture
def mutant_sim(request: Any, mutant_dirs: dict[str, Path]) -> Iterator[Any]:
    from ogpu_sim import Simulator

    mutant: Mutant = request.param
    with Simulator.start(
        backend=BACKEND, runtime="inline", artifacts=mutant_dirs[mutant.name]
    ) as sim:
        yield sim


def steps_in(program: str) -> list[str]:
    """The rule calls of a printed hypothesis program, without set-up, checks and teardown."""
    return [
        line.strip()
        for line in program.splitlines()
        if "state." in line
        and not any(
            f"state.{name}(" in line
            for name in (*SET_UP_RULES, "teardown", "chain_matches_model_and_invariants_hold")
        )
    ]


@pytest.mark.parametrize("mutant_sim", MUTANTS, ids=[m.name for m in MUTANTS], indirect=True)
def test_the_machine_finds_and_shrinks_the_bug(
    mutant_sim: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # hypothesis shrinks for up to 5 minutes; the first passes already give short programs
    monkeypatch.setattr(engine, "MAX_SHRINKING_SECONDS", SHRINK_SECONDS)
    profile = settings(
        settings.get_profile(CI_PROFILE),
        max_examples=1000,
        stateful_step_count=12,
        report_multiple_bugs=False,
    )
    with pytest.raises(AssertionError) as caught:
        MutantMachine.run(mutant_sim, profile)
    program = "\n".join(getattr(caught.value, "__notes__", []))
    steps = steps_in(program)
    print(f"\nshrunk counterexample, {len(steps)} steps: {caught.value}\n{program}")
    assert "Failing test case" in program
    assert len(steps) <= SHORT, program
