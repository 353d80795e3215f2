"""The ``make bench`` harness: medians, speed relative to anvil, targets and the JSON record."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from harness import (
    Outcome,
    Row,
    Target,
    record,
    reference_caption,
    speed_vs_reference,
    timed,
    write_json,
)

TIME = Row("op.time", "an operation", "ms")
RATE = Row("op.rate", "a throughput", "tasks/s", better="higher")


def test_timed_returns_one_sample_per_timed_run_and_skips_warmups():
    calls = []
    samples = timed(lambda: calls.append(1), repeat=3, warmup=2)
    assert (len(samples), len(calls)) == (3, 5)


def test_timed_runs_setup_before_every_run_outside_the_clock():
    order = []
    timed(lambda: order.append("run"), repeat=2, warmup=0, setup=lambda: order.append("setup"))
    assert order == ["setup", "run", "setup", "run"]


def test_an_outcome_reports_the_median_of_its_samples():
    assert Outcome(samples=[5.0, 1.0, 3.0]).median == 3.0


def test_speed_vs_anvil_is_anvil_time_over_backend_time_for_times():
    assert speed_vs_reference(TIME, {"anvil": 30.0, "revm": 10.0}, "revm") == 3.0


def test_speed_vs_anvil_is_backend_rate_over_anvil_rate_for_throughput():
    assert speed_vs_reference(RATE, {"anvil": 20.0, "revm": 60.0}, "revm") == 3.0


def test_speed_vs_anvil_is_none_when_anvil_did_not_run():
    assert speed_vs_reference(TIME, {"revm": 10.0}, "revm") is None


def at_most(limit: float) -> Target:
    def check(medians: dict[str, float]) -> tuple[float, bool] | None:
        value = medians.get("revm")
        return None if value is None else (value, value <= limit)

    return Target("op.time", "revm", f"<= {limit}", check)


def test_the_record_holds_every_sample_the_ratios_and_the_target_verdicts(tmp_path):
    outcomes = {
        "op.time": {"revm": Outcome(samples=[10.0, 12.0, 11.0]), "anvil": Outcome(samples=[33.0])},
        "op.rate": {"revm": Outcome(skipped="no engine"), "anvil": Outcome(error="boom")},
    }
    data = record([TIME, RATE], outcomes, [at_most(25.0), at_most(5.0)], {"repeat": 3})
    write_json(data, tmp_path / "results" / "latest.json")
    saved = json.loads((tmp_path / "results" / "latest.json").read_text())
    time_row, rate_row = saved["rows"]
    assert time_row["results"]["revm"] == {
        "median": 11.0,
        "min": 10.0,
        "max": 12.0,
        "n": 3,
        "samples": [10.0, 12.0, 11.0],
    }
    assert time_row["speed_vs_anvil"] == {"revm": 3.0}
    assert rate_row["results"] == {"revm": {"skipped": "no engine"}, "anvil": {"error": "boom"}}
    assert [(t["goal"], t["value"], t["met"]) for t in saved["targets"]] == [
        ("<= 25.0", 11.0, True),
        ("<= 5.0", 11.0, False),
    ]
    assert saved["settings"] == {"repeat": 3}


@pytest.mark.parametrize("row", [TIME, RATE])
def test_a_row_that_ran_nowhere_has_no_ratio(row):
    data = record([row], {row.id: {"revm": Outcome(error="x")}}, [], {})
    assert data["rows"][0]["speed_vs_anvil"] == {"revm": None}


def test_the_targets_caption_gives_the_runs_reference_workload():
    reference = Row("vm.reference", "reference", "ms")
    data = record(
        [reference], {"vm.reference": {"any": Outcome(samples=[70.0, 40.0, 75.5])}}, [], {}
    )
    assert reference_caption(data) == (
        "this machine's reference workload: 70.00 ms median, 40.00-75.50 over the run "
        "(lower is faster)"
    )


def test_a_run_without_the_reference_has_no_caption():
    assert (
        reference_caption(record([TIME], {TIME.id: {"revm": Outcome(samples=[1.0])}}, [], {}))
        is None
    )


@pytest.mark.slow
def test_a_quick_bench_run_on_revm_writes_every_row(tmp_path):
    import subprocess

    root = Path(__file__).resolve().parents[2]
    out = tmp_path / "latest.json"
    done = subprocess.run(
        [
            sys.executable,
            str(root / "benchmarks" / "bench.py"),
            "--quick",
            "--repeat",
            "1",
            "--backends",
            "revm",
            "--out",
            str(out),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {row["id"]: row["results"] for row in json.loads(out.read_text())["rows"]}
    from bench import ANY_ROWS
    from cases import ROWS

    assert set(rows) == {row.id for row in ROWS}
    chain_rows = {row_id for row_id in rows if row_id not in ANY_ROWS}
    measured = {row_id for row_id in chain_rows if "median" in rows[row_id]["revm"]}
    assert measured == chain_rows - {"machine.ci_test"}
    assert rows["machine.ci_test"]["revm"] == {"skipped": "--quick: a smoke run leaves it out"}
    assert "median" in rows["runtime.inline"]["any"]
    assert rows["vm.reference"]["any"]["n"] == 1
