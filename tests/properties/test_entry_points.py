"""Every write entry point works through its rule: each, called once from the start state with
the simplest choices, agrees with the model and succeeds.

The CI-profile run exercises them at random; this pins down that every SDK function and every
judge/admin function the machine claims to cover is wired to the right contract call.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import find
from hypothesis.stateful import RULE_MARKER

from ogpu_sim.testing import SDK_ENTRY_POINTS, LifecycleMachine, RuleStatistics
from ogpu_sim.testing.rules import CONTRACT_ENTRY_POINTS
from ogpu_sim.testing.rules.admin import ADMIN_ENTRY_POINTS
from ogpu_sim.testing.rules.common import OGPU

OWN_CHOICE = {"deposit": {"amount": OGPU}, "announce_provider": {"stake": OGPU // 10}}


class SimplestData:
    """Stands in for ``st.data()``: each draw is its strategy's simplest value, unless the
    draw's label is given a value (``via``, ``function``...)."""

    def __init__(self, **fixed: Any) -> None:
        self.fixed = fixed

    def draw(self, strategy: Any, label: str | None = None) -> Any:
        if label in self.fixed:
            return self.fixed[label]
        return find(strategy, lambda _: True)


def routes() -> dict[str, tuple[str, dict[str, Any], dict[str, Any]]]:
    """entry point -> (rule, the rule's arguments, fixed draws)."""
    found: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {}
    for name in LifecycleMachine.rule_names():
        arguments = getattr(getattr(LifecycleMachine, name), RULE_MARKER).arguments
        via = arguments.get("via")
        for entry in getattr(via, "elements", ()):
            found[entry] = (name, {"via": entry}, {})
    for entry in ("terminal.set_agent", "Master.set_agent", "client.set_agent"):
        found[entry] = ("set_agent", {"value": True}, {"via": entry})
    found["terminal.revoke_agent"] = (
        "set_agent",
        {"value": False},
        {"via": "terminal.revoke_agent"},
    )
    found["Source.set_status"] = ("set_source_status", {"reopen": False}, {})
    found["Nexus.submitResponse"] = ("submit_response", {}, {})
    found["Terminal.setBaseData"] = ("set_provider_data", {"which": "base"}, {})
    found["Terminal.setLiveData"] = ("set_provider_data", {"which": "live"}, {})
    rule_of = {"Vault": "vault_admin", "Nexus": "force_status", "Manager": "manage_judges"}
    judged = {"sanction", "waive", "forceReleasePayment"}
    for entry in ADMIN_ENTRY_POINTS:
        contract, function = entry.split(".")
        rule = "judge" if function in judged else rule_of[contract]
        found[entry] = (rule, {}, {"function": function})
    return found


def test_every_entry_point_has_a_route() -> None:
    assert set(routes()) == {*SDK_ENTRY_POINTS, *CONTRACT_ENTRY_POINTS}


class DirectMachine(LifecycleMachine):
    statistics = RuleStatistics()


@pytest.fixture(scope="module")
def bound(property_sim: Any) -> Any:
    DirectMachine.bind(property_sim)
    yield DirectMachine
    DirectMachine.release()


@pytest.mark.parametrize("entry", sorted(routes()))
def test_the_entry_point_agrees_with_the_model_and_succeeds(bound: Any, entry: str) -> None:
    rule, arguments, fixed = routes()[entry]
    function = getattr(bound, rule)
    strategies = getattr(function, RULE_MARKER).arguments
    kwargs = {
        name: SimplestData(**fixed) if name == "data" else find(strategy, lambda _: True)
        for name, strategy in strategies.items()
    }
    kwargs.update(OWN_CHOICE.get(rule, {}), **arguments)
    before = bound.statistics.via_successes[entry]
    machine = bound()
    try:
        function(machine, **kwargs)
        machine.chain_matches_model_and_invariants_hold()
    finally:
        machine.teardown()
    assert bound.statistics.via_successes[entry] == before + 1, bound.statistics.render()
