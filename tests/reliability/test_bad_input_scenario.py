"""Scenario files are bounded up front: every runaway value names its key and the bound."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ogpu_sim.cli.main import main
from ogpu_sim.errors import ScenarioError
from ogpu_sim.simulate.scenario import load_scenario, parse_scenario

from .conftest import Tally

BASE: dict[str, Any] = {
    "name": "bounded",
    "seed": 1,
    "time_compression": 0,
    "clients": [{"name": "alice", "deposit": 10}],
    "sources": [{"name": "echo", "min_payment": "0.01", "max_expiry": 600}],
    "providers": [{"source": "echo", "count": 2, "behaviours": {"honest": 1}}],
    "workload": {"tasks": 4, "arrival_rate": 0.5, "payment": 0.02, "expiry": 120},
}


def changed(path: str, value: Any, base: dict[str, Any] = BASE) -> dict[str, Any]:
    """A copy of ``base`` with one dotted key (``[i]`` for arrays) set to ``value``."""
    data = copy.deepcopy(base)
    parts = path.replace("]", "").replace("[", ".").split(".")
    node: Any = data
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[parts[-1]] = value
    return data


LOCKED = (
    "must be at most 9900 OGPU (a simulated account starts with 10000 OGPU and keeps 100 for gas)"
)
RUNAWAY = [
    ("workload.tasks", 10**12, "workload.tasks", "must be at most 100000, got 1000000000000"),
    ("providers[0].count", 10**9, "providers[0].count", "must be at most 1000, got 1000000000"),
    (
        "time_compression",
        1e-9,
        "time_compression",
        "must be 0 (as fast as the chain allows) or at least 0.001, got 1e-09",
    ),
    (
        "time_compression",
        0.001,
        "time_compression",
        "at 0.001 simulated seconds per wall second the run's ~128 simulated seconds take "
        "~1.28e+05 wall seconds, past the limit of 86400 (24 h); use at least 0.00148",
    ),
    ("clients[0].deposit", 20_000, "clients[0].deposit", f"{LOCKED}, got 20000"),
    ("providers[0].stake", "9999", "providers[0].stake", f"{LOCKED}, got '9999'"),
    (
        "workload.arrival_rate",
        1e-300,
        "workload.arrival_rate",
        "4 tasks at 1e-300 per second arrive over about 4e+300 simulated seconds, past the "
        "limit of 315360000 (10 years, with the longest expiry); use at least 1.27e-08",
    ),
    ("sources[0].max_expiry", 10**15, "sources[0].max_expiry", "must be at most 315360000"),
    ("workload.payment", 1e300, "workload.payment", "must be at most 9900 OGPU, got 1e+300 OGPU"),
    ("clients[0].think_time", 1e300, "clients[0].think_time", "must be at most 3.1536e+08"),
    (
        "providers[0].behaviours",
        {"honest": 1e308},
        "providers[0].behaviours.honest",
        "must be at most 1e+09",
    ),
    (
        "clients[0].deposit",
        "1e999999999",
        "clients[0].deposit",
        "must be a non-negative whole number of wei of at most 2**256 - 1",
    ),
    (
        "sources[0].min_payment",
        "20000",
        "sources[0].min_payment",
        "must be at most 10000 OGPU (a simulated account starts with 10000 OGPU), got '20000'",
    ),
]


@pytest.mark.parametrize(("change", "value", "key", "problem"), RUNAWAY)
def test_a_runaway_value_names_its_key_and_bound(
    change: str, value: Any, key: str, problem: str, tally: Tally
) -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(changed(change, value))
    assert caught.value.option == key
    assert problem in caught.value.problem
    tally("bad_inputs", 1)


def test_more_providers_than_the_bound_over_all_groups_is_refused(tally: Tally) -> None:
    data = changed("providers[0].count", 600)
    data["providers"].append(dict(data["providers"][0]))
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(data)
    assert str(caught.value) == "providers: 1200 providers in all; at most 1000 are allowed"
    tally("bad_inputs", 1)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"seed": -1}, "--seed: must be an integer >= 0, got -1"),
        ({"tasks": 10**12}, "--tasks: must be an integer from 1 to 100000, got 1000000000000"),
        ({"tasks": 0}, "--tasks: must be an integer from 1 to 100000, got 0"),
    ],
)
def test_command_line_overrides_are_held_to_the_same_bounds(
    override: dict[str, int], message: str, tally: Tally
) -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(BASE).with_overrides(**override)
    assert str(caught.value) == message
    tally("bad_inputs", 1)


def test_tasks_override_that_stretches_the_wall_time_past_the_bound_is_refused() -> None:
    slow = parse_scenario(changed("time_compression", 1))
    with pytest.raises(ScenarioError) as caught:
        slow.with_overrides(tasks=100_000)
    assert caught.value.option == "time_compression"


def test_invalid_utf8_is_a_scenario_error_naming_the_byte(tmp_path: Path, tally: Tally) -> None:
    path = tmp_path / "bad.toml"
    path.write_bytes(b'name = "caf\xe9"\n')
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert str(caught.value) == f"{path}: scenario: not UTF-8 text (byte 0xe9 at offset 11)"
    tally("bad_inputs", 1)


def test_simulate_with_a_negative_seed_exits_2_with_one_line_naming_the_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], tally: Tally
) -> None:
    path = tmp_path / "s.toml"
    path.write_text(
        '[[clients]]\nname = "a"\n[[sources]]\nname = "s"\n[[providers]]\ncount = 1\n'
        "[workload]\ntasks = 1\narrival_rate = 1\nexpiry = 60\n"
    )
    code = main(["simulate", str(path), "--seed", "-1", "--no-progress", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 2
    assert out.replace("\n", "") == "error: --seed: must be an integer >= 0, got -1"
    tally("bad_inputs", 1)


def test_a_bad_task_count_for_the_default_scenario_names_the_flag_not_a_packaged_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], tally: Tally
) -> None:
    code = main(["simulate", "--tasks", "-3", "--no-progress", "--out", str(tmp_path / "r")])
    out = capsys.readouterr().out
    assert code == 2
    assert out.replace("\n", "") == "error: --tasks: must be an integer from 1 to 100000, got -3"
    tally("bad_inputs", 1)


VALUES = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["1e999999", "-1 wei", "5 gwei", "0.1 ogpu", "nan", "1e-30"]),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=3),
)
KEYS = st.sampled_from(
    [
        "seed",
        "time_compression",
        "clients[0].deposit",
        "clients[0].think_time",
        "sources[0].min_payment",
        "sources[0].max_expiry",
        "sources[0].share",
        "providers[0].count",
        "providers[0].stake",
        "workload.tasks",
        "workload.arrival_rate",
        "workload.payment",
        "workload.expiry",
        "workload.cancellation_rate",
    ]
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(changes=st.lists(st.tuples(KEYS, VALUES), min_size=1, max_size=3))
def test_any_value_is_accepted_within_bounds_or_refused_with_a_scenario_error(
    changes: list[tuple[str, Any]], tally: Tally
) -> None:
    data = BASE
    for key, value in changes:
        data = changed(key, value, data)
    try:
        scenario = parse_scenario(data)
    except ScenarioError:
        tally("bad_inputs", 1)
        return
    assert 1 <= scenario.workload.tasks <= 100_000
    assert sum(group.count for group in scenario.providers) <= 1000
    assert all(client.deposit <= 9900 * 10**18 for client in scenario.clients)
