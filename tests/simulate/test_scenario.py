"""Scenario files: what a valid file becomes, and one clear error per kind of mistake."""

from __future__ import annotations

import copy
import random
import shutil
from pathlib import Path
from typing import Any

import pytest

from ogpu_sim.errors import ConfigError
from ogpu_sim.simulate.scenario import (
    DEFAULT_SCENARIO,
    Distribution,
    ProviderGroup,
    ScenarioError,
    load_scenario,
    parse_scenario,
)
from ogpu_sim.simulate.spec import SAMPLE_SOURCES

SMALL = Path(__file__).parent / "scenarios" / "small.toml"
BASE: dict[str, Any] = {
    "name": "tiny",
    "seed": 3,
    "time_compression": 0,
    "clients": [{"name": "alice", "deposit": 10, "think_time": 5}],
    "sources": [
        {
            "name": "echo",
            "delivery": "manual",
            "min_payment": "0.01",
            "max_expiry": 600,
            "function": "run",
        }
    ],
    "providers": [{"source": "echo", "count": 2, "behaviours": {"honest": 1}}],
    "workload": {
        "tasks": 4,
        "arrival_rate": 0.5,
        "payment": 0.02,
        "expiry": {"distribution": "uniform", "min": 60, "max": 120},
    },
}


def with_change(path: str, value: Any) -> dict[str, Any]:
    """BASE with one key (dotted, ``[i]`` for arrays) set to ``value`` (or removed for ...)."""
    data = copy.deepcopy(BASE)
    parts = path.replace("]", "").replace("[", ".").split(".")
    node: Any = data
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    last = parts[-1]
    if value is ...:
        del node[last]
    else:
        node[last] = value
    return data


def error_for(data: dict[str, Any]) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data)
    return info.value


def test_a_valid_scenario_becomes_typed_specs_with_amounts_in_wei() -> None:
    scenario = parse_scenario(BASE)
    assert scenario.name == "tiny"
    assert scenario.seed == 3
    assert scenario.clients[0].deposit == 10 * 10**18
    assert scenario.clients[0].think_time == Distribution("fixed", value=5.0)
    source = scenario.sources[0]
    assert source.delivery == "MANUAL_CONFIRMATION"
    assert source.min_payment == 10**16
    assert source.client == "alice"
    assert source.environments == ("cpu",)
    assert scenario.providers[0].environment == "cpu"
    assert scenario.workload.expiry == Distribution("uniform", low=60.0, high=120.0)


@pytest.mark.parametrize(
    ("written", "wei"),
    [(1, 10**18), ("0.5 OGPU", 5 * 10**17), ("5 gwei", 5 * 10**9), ("1000 wei", 1000)],
)
def test_amounts_accept_ogpu_numbers_and_units(written: Any, wei: int) -> None:
    scenario = parse_scenario(with_change("clients[0].deposit", written))
    assert scenario.clients[0].deposit == wei


def test_scenario_error_is_a_config_error_carrying_the_key() -> None:
    error = error_for(with_change("sources[0].delivery", "fastest"))
    assert isinstance(error, ConfigError)
    assert error.option == "sources[0].delivery"
    assert str(error) == (
        "sources[0].delivery: must be one of first_response, manual, manual_confirmation; "
        "got 'fastest'"
    )


@pytest.mark.parametrize(
    ("change", "value", "key", "fragment"),
    [
        ("workload.arival_rate", 1, "workload.arival_rate", "unknown key"),
        ("workload.tasks", ..., "workload.tasks", "is required"),
        ("workload.tasks", "ten", "workload.tasks", "must be an integer, got 'ten'"),
        ("workload.tasks", 0, "workload.tasks", "must be at least 1, got 0"),
        ("workload.arrival_rate", 0, "workload.arrival_rate", "must be greater than 0"),
        ("workload.cancellation_rate", 1.5, "workload.cancellation_rate", "between 0 and 1"),
        (
            "workload.expiry",
            {"distribution": "normal"},
            "workload.expiry.distribution",
            "must be one of fixed, uniform, exponential",
        ),
        (
            "workload.expiry",
            {"distribution": "uniform", "min": 9},
            "workload.expiry.max",
            "is required",
        ),
        ("workload.expiry", 4000, "workload.expiry", "can exceed a source's max_expiry"),
        ("workload.payment", 0.001, "workload.payment", "can go below a source's min_payment"),
        (
            "workload.expiry",
            {"distribution": "exponential", "mean": 30},
            "workload.expiry",
            "can draw values below 1 second (minimum 0); set min >= 1",
        ),
        ("sources[0].delivery", "fastest", "sources[0].delivery", "must be one of"),
        (
            "sources[0].environments",
            ["tpu"],
            "sources[0].environments[0]",
            "must be one of cpu, nvidia, amd",
        ),
        ("sources[0].client", "carol", "sources[0].client", "must be one of alice"),
        ("sources[0].handler", "no/such/folder", "sources[0].handler", "no such folder"),
        ("sources[0].min_payment", "1 dollar", "sources[0].min_payment", "unknown unit 'dollar'"),
        ("sources[0].min_payment", "-1", "sources[0].min_payment", "must be 0 OGPU or more"),
        (
            "sources[0].payload",
            {"generator": "random_ints", "fields": {"a": [5, 1]}},
            "sources[0].payload.fields.a",
            "low <= high",
        ),
        (
            "providers[0].behaviours",
            {"sneaky": 1},
            "providers[0].behaviours.sneaky",
            "unknown behaviour",
        ),
        ("providers[0].source", "other", "providers[0].source", "must be one of echo"),
        (
            "providers[0].environment",
            "nvidia",
            "providers[0].environment",
            "does not support 'nvidia'",
        ),
        ("providers[0].count", ..., "providers[0].count", "is required"),
        ("clients", [], "clients", "non-empty array"),
        (
            "clients[0].think_time",
            {"distribution": "exponential", "mean": 0},
            "clients[0].think_time.mean",
            "greater than 0",
        ),
        ("seed", -1, "seed", "must be at least 0"),
    ],
)
def test_each_mistake_names_its_key_and_the_problem(
    change: str, value: Any, key: str, fragment: str
) -> None:
    error = error_for(with_change(change, value))
    assert error.option == key
    assert fragment in error.problem


def test_duplicate_names_are_rejected_at_the_second_one() -> None:
    data = with_change("clients", [{"name": "a"}, {"name": "a"}])
    data["sources"][0]["client"] = "a"
    error = error_for(data)
    assert (error.option, error.problem) == ("clients[1].name", "duplicate name 'a'")


def test_stake_below_the_sources_min_lockup_is_rejected() -> None:
    data = with_change("sources[0].min_lockup", 2)
    data["providers"][0]["stake"] = 1
    error = error_for(data)
    assert error.option == "providers[0].stake"
    assert error.problem == "is below source 'echo''s min_lockup (1 OGPU < 2 OGPU)"


@pytest.mark.parametrize(
    ("change", "value", "key", "problem"),
    [
        (
            "workload.payment",
            {"distribution": "uniform", "min": 0.05, "max": 0.02},
            "workload.payment.max",
            "must be at least min (0.05 OGPU), got 0.02 OGPU",
        ),
        ("workload.payment", -1, "workload.payment", "must be at least 0 OGPU, got -1 OGPU"),
        (
            "workload.payment",
            "-5 gwei",
            "workload.payment",
            "must be a plain number of OGPU (no unit here), got '-5 gwei'",
        ),
        (
            "workload.expiry",
            {"distribution": "fixed", "value": "60 s"},
            "workload.expiry.value",
            "must be a plain number of seconds (no unit here), got '60 s'",
        ),
        ("workload.payment", 1e30, "workload.payment", "must be at most 9900 OGPU, got 1e+30 OGPU"),
        ("workload.expiry", -5, "workload.expiry", "must be at least 1 s, got -5 s"),
        ("clients[0].think_time", -3, "clients[0].think_time", "must be at least 0 s, got -3 s"),
    ],
)
def test_a_bound_on_an_amount_or_a_time_names_its_unit(
    change: str, value: Any, key: str, problem: str
) -> None:
    error = error_for(with_change(change, value))
    assert (error.option, error.problem) == (key, problem)


INF, NAN = float("inf"), float("nan")


@pytest.mark.parametrize(
    ("change", "value", "key", "problem"),
    [
        ("workload.expiry", INF, "workload.expiry", "must be a finite number, got inf"),
        (
            "workload.expiry",
            {"distribution": "fixed", "value": INF},
            "workload.expiry.value",
            "must be a finite number, got inf",
        ),
        (
            "workload.expiry",
            {"distribution": "exponential", "mean": INF, "min": 1},
            "workload.expiry.mean",
            "must be a finite number, got inf",
        ),
        (
            "workload.expiry",
            {"distribution": "uniform", "min": 60, "max": INF},
            "workload.expiry.max",
            "must be a finite number, got inf",
        ),
        ("workload.payment", INF, "workload.payment", "must be a finite number, got inf"),
        ("workload.payment", NAN, "workload.payment", "must be a finite number, got nan"),
        ("workload.arrival_rate", INF, "workload.arrival_rate", "must be a finite number, got inf"),
        (
            "workload.cancellation_rate",
            NAN,
            "workload.cancellation_rate",
            "must be a finite number, got nan",
        ),
        ("time_compression", INF, "time_compression", "must be a finite number, got inf"),
        ("chain_fault_rate", NAN, "chain_fault_rate", "must be a finite number, got nan"),
        (
            "clients[0].think_time",
            -INF,
            "clients[0].think_time",
            "must be a finite number, got -inf",
        ),
        ("sources[0].share", INF, "sources[0].share", "must be a finite number, got inf"),
        (
            "providers[0].behaviours",
            {"honest": NAN},
            "providers[0].behaviours.honest",
            "must be a finite number, got nan",
        ),
        ("clients[0].deposit", INF, "clients[0].deposit", "must be a finite number, got inf"),
        (
            "sources[0].min_payment",
            NAN,
            "sources[0].min_payment",
            "must be a finite number, got nan",
        ),
        (
            "providers[0].stake",
            "inf OGPU",
            "providers[0].stake",
            "must be a finite number, got 'inf OGPU'",
        ),
    ],
)
def test_a_number_that_is_not_finite_is_refused_as_such_wherever_it_goes(
    change: str, value: Any, key: str, problem: str
) -> None:
    error = error_for(with_change(change, value))
    assert (error.option, error.problem) == (key, problem)


@pytest.mark.parametrize(
    ("written", "got"), [("1e400", "inf"), ("inf", "inf"), ("-inf", "-inf"), ("nan", "nan")]
)
def test_a_toml_float_that_is_not_finite_is_refused_naming_the_file_and_key(
    tmp_path: Path, written: str, got: str
) -> None:
    path = tmp_path / "s.toml"
    path.write_text(
        SMALL.read_text().replace("\narrival_rate = 0.5\n", f"\narrival_rate = {written}\n")
    )

    with pytest.raises(ScenarioError) as refused:
        load_scenario(path)

    assert (
        str(refused.value) == f"{path}: workload.arrival_rate: must be a finite number, got {got}"
    )


@pytest.mark.parametrize(
    ("value", "key", "got"),
    [
        (0, "workload.expiry", "0"),
        (0.5, "workload.expiry", "0.5"),
        ({"distribution": "fixed", "value": 0}, "workload.expiry.value", "0"),
        ({"distribution": "uniform", "min": 0, "max": 60}, "workload.expiry.min", "0"),
    ],
)
def test_an_expiry_under_1_second_is_refused_with_the_real_lower_bound(
    value: Any, key: str, got: str
) -> None:
    error = error_for(with_change("workload.expiry", value))
    assert (error.option, error.problem) == (key, f"must be at least 1 s, got {got} s")


def test_an_expiry_of_1_second_is_the_shortest_allowed() -> None:
    scenario = parse_scenario(with_change("workload.expiry", 1))
    assert scenario.workload.expiry == Distribution("fixed", value=1.0)


def test_a_file_that_is_not_toml_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("name = \n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(bad)
    assert info.value.option == "scenario"
    assert str(info.value).startswith(f"{bad}: scenario: not valid TOML")


def test_a_missing_file_is_a_scenario_error(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "nope.toml")
    assert info.value.problem == "cannot read the file: No such file or directory"


def _with_handler(tmp_path: Path, handler: str, environments: str = '["cpu"]') -> Path:
    text = (
        '[[clients]]\nname = "c"\n[[sources]]\nname = "s"\n'
        f"environments = {environments}\nhandler = {handler!r}\n"
        "[[providers]]\ncount = 1\n[workload]\ntasks = 1\narrival_rate = 1\nexpiry = 60\n"
    )
    (tmp_path / "s.toml").write_text(text)
    return tmp_path / "s.toml"


def test_handler_folders_resolve_against_the_scenario_file(tmp_path: Path) -> None:
    shutil.copytree(SAMPLE_SOURCES / "multiply", tmp_path / "handlers" / "echo")
    scenario = load_scenario(_with_handler(tmp_path, "handlers/echo"))
    assert scenario.name == "s"
    assert scenario.sources[0].handler == tmp_path / "handlers" / "echo"


def test_a_handler_that_is_a_file_is_not_a_folder(tmp_path: Path) -> None:
    (tmp_path / "handler.py").write_text("")
    with pytest.raises(ScenarioError) as info:
        load_scenario(_with_handler(tmp_path, "handler.py"))
    assert (info.value.option, info.value.problem) == (
        "sources[0].handler",
        f"not a folder: {tmp_path / 'handler.py'}",
    )


def test_a_handler_folder_that_is_not_a_source_is_refused_before_the_run(tmp_path: Path) -> None:
    (tmp_path / "notes").mkdir()
    with pytest.raises(ScenarioError) as info:
        load_scenario(_with_handler(tmp_path, "notes"))
    assert info.value.option == "sources[0].handler"
    assert info.value.problem.startswith(f"{tmp_path / 'notes'}: no compose file found; looked for")
    assert str(info.value).startswith(f"{tmp_path / 's.toml'}: sources[0].handler: ")


def test_a_handler_folder_must_describe_every_environment_of_its_source(tmp_path: Path) -> None:
    folder = tmp_path / "cpu-only"
    shutil.copytree(SAMPLE_SOURCES / "multiply", folder)
    for gpu in ("docker-compose.gpu.yml", "docker-compose.amd.yml"):
        (folder / gpu).unlink()
    with pytest.raises(ScenarioError) as info:
        load_scenario(_with_handler(tmp_path, "cpu-only", '["cpu", "nvidia"]'))
    assert (info.value.option, info.value.problem) == (
        "sources[0].handler",
        f"{folder} describes cpu but the source lists nvidia too; add its compose file or drop "
        "it from environments",
    )


def test_behaviour_mix_splits_the_count_by_largest_remainder() -> None:
    group = ProviderGroup("s", 5, "cpu", {"honest": 0.5, "slow": 0.25, "silent": 0.25}, 0)
    assert group.assignments() == ["honest", "honest", "honest", "slow", "silent"]


def test_payload_generators_are_reproducible_for_a_seed() -> None:
    data = with_change(
        "sources[0].payload", {"generator": "random_ints", "fields": {"a": [1, 9], "b": [10, 10]}}
    )
    payload = parse_scenario(data).sources[0].payload
    first = [payload.generate(random.Random(1)) for _ in range(3)]
    again = [payload.generate(random.Random(1)) for _ in range(3)]
    assert first == again
    assert all(set(d) == {"a", "b"} and 1 <= d["a"] <= 9 and d["b"] == 10 for d in first)


def test_overrides_replace_seed_and_task_count() -> None:
    scenario = parse_scenario(BASE).with_overrides(seed=11, tasks=2)
    assert (scenario.seed, scenario.workload.tasks) == (11, 2)


def test_the_default_scenario_file_is_valid() -> None:
    scenario = load_scenario(DEFAULT_SCENARIO)
    assert scenario.name == "default"
    assert [s.delivery for s in scenario.sources] == [
        "FIRST_RESPONSE",
        "MANUAL_CONFIRMATION",
        "FIRST_RESPONSE",
    ]


def test_the_default_scenario_and_its_sources_ship_inside_the_package() -> None:
    import ogpu_sim
    from ogpu_sim.simulate.spec import DEFAULT_SCENARIO

    package = Path(ogpu_sim.__file__).parent
    scenario = load_scenario(DEFAULT_SCENARIO)

    assert DEFAULT_SCENARIO.is_relative_to(package)
    handlers = sorted(s.handler for s in scenario.sources if s.handler is not None)
    assert handlers == [SAMPLE_SOURCES / "multiply", SAMPLE_SOURCES / "sentiment"]


def test_the_wheel_ships_the_default_scenario_and_its_sources() -> None:
    import tomllib

    data = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    assert "simulate/scenarios/**/*" in data["tool"]["setuptools"]["package-data"]["ogpu_sim"]
