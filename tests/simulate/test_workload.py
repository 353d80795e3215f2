"""The workload plan drawn from a scenario's seed, and the wall-clock pacing rule."""

from __future__ import annotations

import copy
import itertools
from pathlib import Path
from typing import Any

import pytest

from ogpu_sim.cli.main import main
from ogpu_sim.simulate.runner import pause_before, plan
from ogpu_sim.simulate.scenario import parse_scenario

from .test_scenario import BASE


def scenario_with(**workload: Any) -> Any:
    data = copy.deepcopy(BASE)
    data["workload"].update(workload)
    return parse_scenario(data)


def test_arrivals_are_increasing_and_payments_exact_in_wei() -> None:
    tasks = plan(scenario_with(tasks=20, payment=0.015))
    assert [t.index for t in tasks] == list(range(20))
    assert all(a.at < b.at for a, b in itertools.pairwise(tasks))
    assert {t.payment for t in tasks} == {15 * 10**15}


def test_payment_draws_are_rounded_to_a_millionth_of_an_ogpu() -> None:
    tasks = plan(scenario_with(payment={"distribution": "uniform", "min": 0.02, "max": 0.03}))
    assert all(t.payment % 10**12 == 0 and 2 * 10**16 <= t.payment <= 3 * 10**16 for t in tasks)


def test_exponential_expiries_are_capped_at_the_sources_max_expiry() -> None:
    tasks = plan(
        scenario_with(tasks=50, expiry={"distribution": "exponential", "min": 1, "mean": 2000})
    )
    assert max(t.duration for t in tasks) == 600
    assert min(t.duration for t in tasks) >= 1


@pytest.mark.parametrize(("rate", "cancelled"), [(0, 0), (1, 8)])
def test_cancellation_rate_bounds(rate: float, cancelled: int) -> None:
    tasks = plan(scenario_with(tasks=8, cancellation_rate=rate))
    assert sum(t.cancel for t in tasks) == cancelled


def test_the_client_think_time_comes_from_the_sources_client() -> None:
    assert {t.think for t in plan(scenario_with(tasks=5))} == {5.0}


@pytest.mark.parametrize(
    ("at", "compression", "elapsed", "pause"),
    [
        (100.0, 0.0, 0.0, 0.0),
        (100.0, 10.0, 4.0, 6.0),
        (100.0, 10.0, 12.0, 0.0),
        (5.0, 1.0, 0.0, 5.0),
    ],
)
def test_pause_keeps_simulated_time_at_most_compression_times_the_wall_clock(
    at: float, compression: float, elapsed: float, pause: float
) -> None:
    assert pause_before(at, compression, elapsed) == pause


def test_a_client_out_of_vault_balance_stops_the_run_with_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (
        '[[clients]]\nname = "poor"\ndeposit = "0.01"\n'
        '[[sources]]\nname = "s"\n[[providers]]\ncount = 1\n'
        "[workload]\ntasks = 1\narrival_rate = 1\npayment = 0.02\nexpiry = 60\n"
    )
    (tmp_path / "poor.toml").write_text(text)
    code = main(
        ["simulate", str(tmp_path / "poor.toml"), "--out", str(tmp_path / "run"), "--no-progress"]
    )
    out = capsys.readouterr().out.replace("\n", "")
    assert code == 2
    assert (
        "error: task #0: client 'poor' has 0.01 OGPU left in the Vault, too little to pay "
        "0.02 OGPU; raise its deposit in the scenario"
    ) in out


def test_a_handler_that_does_not_expose_the_scenarios_function_fails_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ogpu_sim.simulate.spec import SAMPLE_SOURCES

    text = (
        '[[clients]]\nname = "c"\n'
        f'[[sources]]\nname = "s"\nfunction = "divide"\nhandler = "{SAMPLE_SOURCES / "multiply"}"\n'
        "[[providers]]\ncount = 1\n"
        "[workload]\ntasks = 1\narrival_rate = 1\nexpiry = 60\n"
    )
    (tmp_path / "s.toml").write_text(text)
    code = main(
        ["simulate", str(tmp_path / "s.toml"), "--out", str(tmp_path / "run"), "--no-progress"]
    )
    out = capsys.readouterr().out.replace("\n", "")
    assert code == 1
    assert (
        "FAIL handlers_answered: 1 handler run of providers that are not `failing` failed: "
        "divide rejected the input of task 0x"
    ) in out
    assert "no function 'divide'; the handler exposes: multiply" in out
