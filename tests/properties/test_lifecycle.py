"""The LifecycleMachine runs green against our contracts, reaches every rule and every write
entry point, runs on the eth-tester default too, and can be extended by users."""

from __future__ import annotations

import inspect
import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import rule
from ogpu import agent as sdk_agent
from ogpu import client as sdk_client
from ogpu import protocol as sdk_protocol

from ogpu_sim.testing import (
    CI_PROFILE,
    SDK_ENTRY_POINTS,
    SMOKE_PROFILE,
    LifecycleMachine,
    MachineCore,
    RuleStatistics,
)
from ogpu_sim.testing.machine import CLIENTS

#: ``make fuzz`` sets OGPU_SIM_PROFILE=ogpu-fuzz for long runs.
PROFILE = os.environ.get("OGPU_SIM_PROFILE", CI_PROFILE)
#: The share of its calls every rule must succeed in (issue: deep states, not just reverts).
MIN_SUCCESS_RATE = 0.2


@pytest.fixture(scope="module")
def ci_run(property_sim: Any) -> RuleStatistics:
    """One run of the machine in the CI profile; the statistics of that run."""
    before = RuleStatistics()
    before.merge(LifecycleMachine.statistics)
    LifecycleMachine.statistics.clear()
    try:
        LifecycleMachine.run(property_sim, settings.get_profile(PROFILE))
        run = RuleStatistics()
        run.merge(LifecycleMachine.statistics)
        return run
    finally:
        LifecycleMachine.statistics.merge(before)


def test_random_protocol_sequences_agree_with_the_model(
    ci_run: RuleStatistics, record_property: Any
) -> None:
    record_property("rule statistics", ci_run.render(title=f"CI profile ({PROFILE})"))
    assert sum(ci_run.calls.values()) > 500


def test_every_rule_is_called_and_succeeds_in_a_fifth_of_its_calls(
    ci_run: RuleStatistics,
) -> None:
    rules = LifecycleMachine.rule_names()
    assert len(rules) >= 30
    below = ci_run.below(rules, MIN_SUCCESS_RATE)
    assert below == [], f"below {MIN_SUCCESS_RATE:.0%}: {below}\n{ci_run.render()}"


def _sdk_writes() -> set[str]:
    """Every state-changing function of the SDK's protocol modules, instance classes and
    client/agent workflows, as ``module.function`` or ``Class.method``."""
    reads = ("get_", "is_", "extract_", "load", "snapshot", "fetch_")
    writes: set[str] = set()
    for name in ("vault", "terminal", "nexus", "controller"):
        module = getattr(sdk_protocol, name)
        for function, value in vars(module).items():
            own = inspect.isfunction(value) and value.__module__ == module.__name__
            if own and not function.startswith(("_", *reads)):
                writes.add(f"{name}.{function}")
    for cls in (
        sdk_protocol.Master,
        sdk_protocol.Provider,
        sdk_protocol.Source,
        sdk_protocol.Task,
        sdk_protocol.Response,
    ):
        for method, value in vars(cls).items():
            if inspect.isfunction(value) and "signer" in inspect.signature(value).parameters:
                writes.add(f"{cls.__name__}.{method}")
    for module, name in ((sdk_client, "client"), (sdk_agent, "agent")):
        for function in module.__all__:
            value = getattr(module, function)
            if inspect.isfunction(value) and "private_key" in inspect.signature(value).parameters:
                writes.add(f"{name}.{function}")
    return writes


def test_the_entry_points_are_every_state_changing_function_of_the_sdk() -> None:
    assert set(SDK_ENTRY_POINTS) == _sdk_writes()
    assert len(SDK_ENTRY_POINTS) == 58


class SmokeMachine(LifecycleMachine):
    """The stock machine on the eth-tester default, counted apart."""

    statistics = RuleStatistics()


@pytest.fixture(scope="module")
def tester_sim() -> Iterator[Any]:
    from ogpu_sim import Simulator

    with Simulator.start(backend="eth-tester", runtime="inline") as sim:
        yield sim


def test_the_machine_runs_on_the_eth_tester_default(tester_sim: Any) -> None:
    # py-evm takes ~0.5 s per step's comparison, so this is a smoke profile (~10 s)
    SmokeMachine.run(tester_sim, settings.get_profile(SMOKE_PROFILE))
    assert sum(SmokeMachine.statistics.calls.values()) >= 8


class DepositTwice(MachineCore):
    """A user's machine: their own client logic (two deposits in a row) as the only rule."""

    statistics = RuleStatistics()

    @rule(name=CLIENTS, amount=st.integers(1, 10**18))
    def deposit_twice(self, name: str, amount: int) -> None:
        actor = self.cast[name]
        vault = self.sim.deployment.contracts["VAULT"]
        for _ in range(2):
            self.act(
                "deposit_twice",
                lambda: self.sim.network.send(
                    self.admin.account, vault.functions.deposit(actor.address), value=amount
                ),
                lambda m, now: m.deposit(self.admin.address, actor.address, amount),
            )


def test_a_users_rule_is_run_and_checked_against_the_model(property_sim: Any) -> None:
    DepositTwice.run(
        property_sim,
        settings(settings.get_profile(CI_PROFILE), max_examples=10, stateful_step_count=5),
    )
    calls = DepositTwice.statistics.calls["deposit_twice"]
    assert calls >= 10
    assert DepositTwice.statistics.successes["deposit_twice"] == calls


class MyClientMachine(LifecycleMachine):
    statistics = RuleStatistics()

    @rule(source=MachineCore.sources)
    def my_rule(self, source: str) -> None:
        """A rule of the user's own."""


def test_a_subclass_of_the_lifecycle_machine_has_its_rules_and_the_stock_ones() -> None:
    assert MyClientMachine.rule_names() == sorted([*LifecycleMachine.rule_names(), "my_rule"])
