"""The whole runs of a ``make bench`` round: which rows run on which backend in which round,
the CI-profile property test timed in its own pytest process, and the machine's reference."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import runs
from bench import planned_runs
from cases import ROWS, TARGETS, Settings
from runs import PROPERTY_TEST, ROOT, ci_property_test, pytest_seconds, vm_reference


def _planned(backend: str, first_round: bool, tuned: bool = False, **settings: Any) -> Any:
    whole, skipped = planned_runs(backend, Settings(**settings), first_round, tuned)
    return [row for row, _ in whole], {row: o.skipped for row, o in skipped.items()}


def test_a_later_round_on_revm_runs_the_machine_and_the_property_test_again() -> None:
    assert _planned("revm", first_round=False) == (
        ["simulate.runner", "machine.steps", "machine.ci_test"],
        {},
    )


def test_the_first_round_on_revm_adds_the_long_session() -> None:
    assert _planned("revm", first_round=True)[0] == [
        "simulate.runner",
        "lifecycle.first_response_long",
        "machine.steps",
        "machine.ci_test",
    ]


def test_eth_tester_runs_the_machine_in_every_round_but_not_the_property_test() -> None:
    assert _planned("eth-tester", first_round=False) == (
        ["simulate.runner", "machine.steps"],
        {"machine.ci_test": "the property tests run on revm in CI"},
    )


def test_anvil_runs_neither_the_machine_nor_the_property_test() -> None:
    assert _planned("anvil", first_round=False) == (
        ["simulate.runner"],
        {
            "machine.steps": "the machine freezes the chain clock: in-process backends only",
            "machine.ci_test": "the property tests run on revm in CI",
        },
    )


def test_a_quick_run_leaves_the_property_test_out() -> None:
    assert _planned("revm", first_round=True, ci_test=False)[1] == {
        "machine.ci_test": "--quick: a smoke run leaves it out"
    }


def test_the_speedups_column_leaves_the_property_test_out() -> None:
    assert _planned("revm", first_round=False, tuned=True)[1] == {
        "machine.ci_test": "its pytest process has no --speedups"
    }


def test_the_property_test_row_has_the_issues_target_of_ten_seconds() -> None:
    (target,) = [t for t in TARGETS if t.row == "machine.ci_test"]
    assert (target.backend, target.goal) == ("revm", "<= 10")
    assert target.check({"revm": 9.5}) == (9.5, True)
    assert target.check({"revm": 10.5}) == (10.5, False)
    (row,) = [r for r in ROWS if r.id == "machine.ci_test"]
    assert (row.label, row.unit) == ("CI-profile property test (pytest, one test)", "s")


def test_the_row_runs_the_repositorys_ci_profile_test_on_its_backend(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[tuple[Path, str, dict[str, str]]] = []

    def fake(rootdir: Path, node_id: str, env: dict[str, str]) -> float:
        asked.append((rootdir, node_id, env))
        return 7.5

    monkeypatch.setattr(runs, "pytest_seconds", fake)
    assert ci_property_test("revm", Settings()) == [7.5]
    assert asked == [(ROOT, PROPERTY_TEST, {"OGPU_SIM_PROPERTY_BACKEND": "revm"})]
    module, name = PROPERTY_TEST.split("::")
    assert f"def {name}(" in (ROOT / module).read_text()


def _write(folder: Path, body: str) -> None:
    (folder / "test_timed.py").write_text(body)


def test_pytest_seconds_is_the_tests_own_time_set_up_included(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "import time, pytest\n"
        "@pytest.fixture\n"
        "def slow():\n"
        "    time.sleep(0.3)\n"
        "def test_one(slow):\n"
        "    time.sleep(0.2)\n",
    )
    seconds = pytest_seconds(tmp_path, "test_timed.py::test_one", {})
    assert 0.5 <= seconds < 5.0


def test_pytest_seconds_passes_the_environment_to_the_test(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "import os\ndef test_one():\n    assert os.environ['OGPU_BENCH_PROBE'] == 'yes'\n",
    )
    assert pytest_seconds(tmp_path, "test_timed.py::test_one", {"OGPU_BENCH_PROBE": "yes"}) >= 0


def test_a_failing_test_raises_with_the_end_of_its_output(tmp_path: Path) -> None:
    _write(tmp_path, "def test_one():\n    assert 1 == 2, 'the machine disagreed'\n")
    with pytest.raises(RuntimeError, match="exited 1") as raised:
        pytest_seconds(tmp_path, "test_timed.py::test_one", {})
    assert "the machine disagreed" in str(raised.value)


def test_a_node_id_that_names_two_tests_raises(tmp_path: Path) -> None:
    _write(tmp_path, "def test_one():\n    pass\ndef test_two():\n    pass\n")
    with pytest.raises(RuntimeError, match="ran 2 tests, not one"):
        pytest_seconds(tmp_path, "test_timed.py", {})


def test_the_reference_gives_one_sample_per_timed_run() -> None:
    samples = vm_reference(Settings(repeat=2))
    assert len(samples) == 2
    assert all(sample > 0 for sample in samples)
