"""Proof that the LifecycleMachine finds real bugs: its CI profile catches every mutant.

For every mutant in :mod:`.catalogue` the machine runs against a Simulator deployed from the
mutant's artifacts; hypothesis must fail with one of the machine's checks (an action's outcome,
a view of the state, or an invariant) and shrink the counterexample to a short program.
"""

from __future__ import annotations

import collections
import difflib
import importlib.util
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from hypothesis.internal.conjecture import engine

from ogpu_sim.testing import CI_PROFILE, LifecycleMachine, ModelMismatch, RuleStatistics

from .build import patched_source
from .catalogue import MUTANTS, Mutant
from .kills import Kill, steps_in

BACKEND = os.environ.get(
    "OGPU_SIM_PROPERTY_BACKEND",
    "revm" if importlib.util.find_spec("pyrevm") else "eth-tester",
)
#: Shrinking stops early after this long (hypothesis allows five minutes): the first passes
#: make most programs short; how short depends on the machine's speed, so the kill matrix
#: reports the length and no test asserts it.
SHRINK_SECONDS = 10
CONTRACTS = ("Controller", "Manager", "Nexus", "Response", "Source", "Task", "Terminal", "Vault")


class MutantMachine(LifecycleMachine):
    """The stock machine with its own statistics, so mutant runs don't mix with green runs."""

    statistics = RuleStatistics()


def test_the_catalogue_has_twenty_mutants_and_two_per_contract() -> None:
    per_contract = collections.Counter(m.contract for m in MUTANTS)
    assert len(MUTANTS) >= 20
    assert len({m.name for m in MUTANTS}) == len(MUTANTS)
    assert {c: n for c, n in per_contract.items() if n < 2} == {}
    assert set(CONTRACTS) <= set(per_contract)


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_each_patch_applies_once_and_is_a_one_line_bug(mutant: Mutant) -> None:
    before = (Path(__file__).resolve().parents[2] / "contracts" / mutant.file).read_text()
    diff = list(difflib.unified_diff(before.splitlines(), patched_source(mutant).splitlines()))
    removed = [line for line in diff[2:] if line.startswith("-")]
    added = [line for line in diff[2:] if line.startswith("+") and line.strip("+ ")]
    assert removed or added
    assert len(removed) <= 1 and len(added) <= 1, "\n".join(diff)


@pytest.fixture
def mutant_sim(request: Any, mutant_dirs: dict[str, Path]) -> Iterator[Any]:
    from ogpu_sim import Simulator

    mutant: Mutant = request.param
    with Simulator.start(
        backend=BACKEND, runtime="inline", artifacts=mutant_dirs[mutant.name]
    ) as sim:
        yield sim


@pytest.mark.parametrize("mutant_sim", MUTANTS, ids=[m.name for m in MUTANTS], indirect=True)
def test_the_ci_profile_catches_the_mutant(
    mutant_sim: Any, request: Any, record_property: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    mutant: Mutant = request.node.callspec.params["mutant_sim"]
    monkeypatch.setattr(engine, "MAX_SHRINKING_SECONDS", SHRINK_SECONDS)
    profile = settings(settings.get_profile(CI_PROFILE), report_multiple_bugs=False)
    with pytest.raises(ModelMismatch) as caught:
        MutantMachine.run(mutant_sim, profile)
    program = "\n".join(getattr(caught.value, "__notes__", []))
    steps = steps_in(program)
    kill = Kill(mutant.name, mutant.contract, mutant.bug, tuple(steps), caught.value.check)
    record_property("kill", json.dumps(kill.as_dict()))
    print(f"\n{mutant.name}: {len(steps)} steps, caught by {kill.check}\n{caught.value}\n{program}")
    # caught while the machine built its start state, or by a program hypothesis printed
    assert "start state" in kill.check or "state = " in program, program
