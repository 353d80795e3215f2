"""Every commented-out example of the ``--init`` template is valid when a user uncomments it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ogpu_sim.simulate.scenario import load_scenario
from ogpu_sim.simulate.spec import SAMPLE_SOURCES, Distribution
from ogpu_sim.simulate.template import TEMPLATE

EXAMPLE = re.compile(r"^# ([a-z_]+) = ")
LINES = TEMPLATE.splitlines()
EXAMPLES = [i for i, line in enumerate(LINES) if EXAMPLE.match(line)]


def _uncommented(index: int) -> str:
    """The template with line ``index`` uncommented, replacing its key's live line in its table."""
    match = EXAMPLE.match(LINES[index])
    assert match is not None
    key = match.group(1)
    start = max(i for i in range(index + 1) if LINES[i].startswith("[") or i == 0)
    ends = [i for i in range(index, len(LINES)) if LINES[i].startswith("[")]
    end = ends[0] if ends else len(LINES)
    lines = list(LINES)
    lines[index] = lines[index][2:]
    kept = [
        line
        for i, line in enumerate(lines)
        if not (start <= i < end and i != index and line.startswith(f"{key} = "))
    ]
    return "\n".join(kept) + "\n"


def test_the_template_has_the_examples_it_documents() -> None:
    assert [EXAMPLE.match(LINES[i]).group(1) for i in EXAMPLES] == [  # type: ignore[union-attr]
        "think_time",
        "think_time",
        "handler",
        "payload",
    ]


@pytest.mark.parametrize("index", EXAMPLES, ids=[LINES[i][2:40] for i in EXAMPLES])
def test_each_commented_example_loads_when_uncommented_from_any_folder(
    index: int, tmp_path: Path
) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(_uncommented(index))
    scenario = load_scenario(path)
    assert [c.name for c in scenario.clients] == ["alice", "bob"]


def test_the_handler_example_names_the_packaged_sample_source(tmp_path: Path) -> None:
    (index,) = [i for i in EXAMPLES if LINES[i].startswith("# handler = ")]
    path = tmp_path / "mine.toml"
    path.write_text(_uncommented(index))
    assert load_scenario(path).sources[0].handler == SAMPLE_SOURCES / "multiply"
    assert (SAMPLE_SOURCES / "multiply" / "handler.py").is_file()


def test_the_think_time_examples_become_the_distributions_they_name(tmp_path: Path) -> None:
    loaded = []
    for index in [i for i in EXAMPLES if LINES[i].startswith("# think_time = ")]:
        path = tmp_path / f"{index}.toml"
        path.write_text(_uncommented(index))
        loaded.append(load_scenario(path).clients[1].think_time)
    assert loaded == [
        Distribution("fixed", value=10.0),
        Distribution("exponential", low=5.0, mean=30.0),
    ]
