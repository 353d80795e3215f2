"""docs/scenarios.md cannot rot: its examples parse, and it names every key, choice and bound
the parser and ``ogpu_sim/simulate/limits.py`` hold scenarios to."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from ogpu_sim.simulate import limits
from ogpu_sim.simulate.scenario import (
    BEHAVIOURS,
    DELIVERY_METHODS,
    ENVIRONMENTS,
    PAYLOAD_GENERATORS,
    UNITS,
    parse_scenario,
    tomllib,
)
from tests.simulate.keys import SECTIONS, known_keys

ROOT = Path(__file__).parents[2]
DOC = (ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8")
EXAMPLES = re.findall(r"^```toml\n(.*?)^```$", DOC, flags=re.MULTILINE | re.DOTALL)


def test_the_doc_has_a_complete_and_a_smallest_example() -> None:
    assert len(EXAMPLES) == 2


@pytest.mark.parametrize("index", range(len(EXAMPLES)))
def test_every_example_parses(index: int) -> None:
    # Handler folders resolve against the repository root, where the doc says to save them.
    scenario = parse_scenario(tomllib.loads(EXAMPLES[index]), base_dir=ROOT)
    assert scenario.workload.tasks >= 1


def _tables(data: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every table of a scenario, by the section it belongs to."""
    yield "top level", data
    for section in ("clients", "sources", "providers"):
        for entry in data[section]:
            yield f"[[{section}]]", entry
    yield "[workload]", data["workload"]
    for source in data["sources"]:
        if "payload" in source:
            yield "payload", source["payload"]
    candidates = [c.get("think_time") for c in data["clients"]]
    candidates += [data["workload"].get(key) for key in ("payment", "expiry")]
    for value in candidates:
        if isinstance(value, Mapping):
            yield "distribution", value


@pytest.mark.parametrize("section", SECTIONS)
def test_the_complete_example_sets_every_key(section: str) -> None:
    used = {
        key
        for name, table in _tables(tomllib.loads(EXAMPLES[0]))
        if name == section
        for key in table
    }
    assert sorted(set(known_keys(SECTIONS[section])) - used) == []


def _first_table(body: str) -> list[str]:
    """The first column of the first Markdown table in ``body``, header and rule left out."""
    lines = body.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append(line.split("|")[1].strip().strip("`"))
    return rows


def _section(heading: str) -> str:
    """The text under ``heading`` up to the next heading."""
    return DOC.split(f"\n{heading}\n", 1)[1].split("\n#", 1)[0]


HEADINGS = {
    "top level": "## Top level",
    "[[clients]]": "## `[[clients]]`",
    "[[sources]]": "## `[[sources]]`",
    "payload": "### `payload`",
    "[[providers]]": "## `[[providers]]`",
    "[workload]": "## `[workload]`",
}


@pytest.mark.parametrize("section", HEADINGS)
def test_every_key_has_a_row_in_its_sections_table(section: str) -> None:
    assert _first_table(_section(HEADINGS[section])) == known_keys(SECTIONS[section])


def test_every_distribution_key_is_shown() -> None:
    body = DOC.split("**Distributions**", 1)[1].split("\n## ", 1)[0]
    for key in known_keys(SECTIONS["distribution"]):
        assert f"{key} = " in body, key


@pytest.mark.parametrize(
    "names",
    [ENVIRONMENTS, tuple(DELIVERY_METHODS), PAYLOAD_GENERATORS],
    ids=["environments", "delivery", "generators"],
)
def test_every_choice_is_named(names: tuple[str, ...]) -> None:
    for name in names:
        assert f'`"{name}"`' in DOC, name


def test_every_behaviour_has_a_row() -> None:
    body = _section("## `[[providers]]`").split("| behaviour | does |", 1)[1]
    assert sorted(_first_table("| behaviour | does |" + body)) == sorted(BEHAVIOURS)


def test_every_unit_is_named() -> None:
    for unit in UNITS:
        assert f"`{unit}`" in DOC, unit


@pytest.mark.parametrize(
    ("bound", "written"),
    [
        (limits.MAX_TASKS, "1 to {}"),
        (limits.MAX_PROVIDERS, "at most {} over all groups"),
        (limits.MAX_SIMULATED_SECONDS, "{} (10 years)"),
        (limits.MIN_EXPIRY, "each value from {} to"),
        (limits.MAX_WALL_SECONDS, "{} wall seconds"),
        (limits.MIN_TIME_COMPRESSION, "at least {}"),
        (limits.NATIVE_BALANCE // 10**18, "starts with {} OGPU"),
        (limits.MAX_LOCKED // 10**18, "0 to {} OGPU"),
        (limits.GAS_RESERVE // 10**18, "{} OGPU stay for gas"),
        (int(limits.MAX_WEIGHT), "at most {} (10⁹)"),
    ],
)
def test_every_bound_is_stated_with_its_value(bound: float, written: str) -> None:
    assert written.format(bound) in DOC
