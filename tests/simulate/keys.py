"""The keys the scenario parser knows, asked of the parser itself.

Its unknown-key error lists every key a table takes, so the docs and the ``--init`` template
are checked against the code rather than against a copy of its lists.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

import pytest

from ogpu_sim.errors import ScenarioError
from ogpu_sim.simulate.scenario import parse_scenario, tomllib
from ogpu_sim.simulate.template import TEMPLATE

SECTIONS: dict[str, tuple[str | int, ...]] = {
    "top level": (),
    "[[clients]]": ("clients", 0),
    "[[sources]]": ("sources", 0),
    "payload": ("sources", 0, "payload"),
    "[[providers]]": ("providers", 0),
    "[workload]": ("workload",),
    "distribution": ("workload", "expiry"),
}
"""Each kind of table a scenario has, and where one sits in the template."""


def known_keys(where: tuple[str | int, ...], base: Mapping[str, Any] | None = None) -> list[str]:
    """The keys the parser accepts in the table at ``where`` of ``base`` (the template)."""
    data = copy.deepcopy(dict(base or tomllib.loads(TEMPLATE)))
    table: Any = data
    for step in where:
        table = table[step]
    table["not_a_key"] = 1
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data)
    found = re.fullmatch(r"unknown key; known keys: (.*)", info.value.problem)
    assert found, info.value.problem
    return found.group(1).split(", ")
