"""A bad amount in a scenario is explained in the unit the field is written in (OGPU)."""

from __future__ import annotations

import pytest

from ogpu_sim.errors import ScenarioError
from ogpu_sim.simulate.scenario import parse_scenario, tomllib
from ogpu_sim.simulate.template import TEMPLATE


def _with_stake(stake: object) -> dict:
    data = tomllib.loads(TEMPLATE)
    data["providers"][0]["stake"] = stake
    return data


@pytest.mark.parametrize("stake", [-1, "-1", "-5 gwei"])
def test_a_negative_stake_says_it_must_be_0_ogpu_or_more(stake: object) -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(_with_stake(stake))
    assert caught.value.option == "providers[0].stake"
    assert caught.value.problem == (
        f'must be 0 OGPU or more (or an amount with a unit, "5 gwei"), got {stake!r}'
    )


@pytest.mark.parametrize("stake", ["0.5 wei", 1e-19])
def test_a_stake_below_one_wei_names_wei_as_the_smallest_amount(stake: object) -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(_with_stake(stake))
    assert caught.value.problem == (
        f"must come to a whole number of wei (1 wei = 1e-18 OGPU, the smallest amount), "
        f"got {stake!r}"
    )
