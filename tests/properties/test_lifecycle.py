"""The LifecycleMachine runs green against our contracts and can be extended by users."""

from __future__ import annotations

import os
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import rule

from ogpu_sim.testing import CI_PROFILE, LifecycleMachine, MachineCore, RuleStatistics

#: ``make fuzz`` sets OGPU_SIM_PROFILE=ogpu-fuzz for long runs.
PROFILE = os.environ.get("OGPU_SIM_PROFILE", CI_PROFILE)


def test_random_protocol_sequences_agree_with_the_model(property_sim: Any) -> None:
    before = sum(LifecycleMachine.statistics.calls.values())
    LifecycleMachine.run(property_sim, settings.get_profile(PROFILE))
    stats = LifecycleMachine.statistics
    assert sum(stats.calls.values()) > before
    for exercised in ("publish_source", "publish_task", "attempt", "submit_response"):
        assert stats.successes[exercised] > 0, f"{exercised} never succeeded:\n{stats.render()}"


class DepositTwiceMachine(LifecycleMachine):
    """A user's extension: their own client logic (two deposits in a row) as an extra rule."""

    statistics = RuleStatistics()

    @rule(actor=MachineCore.clients, amount=st.integers(1, 10**18))
    def deposit_twice(self, actor: Any, amount: int) -> None:
        for _ in range(2):
            self.act(
                "deposit_twice",
                lambda: self.sim.network.send(
                    self.admin,
                    self.sim.deployment.contracts["VAULT"].functions.deposit(actor.address),
                    value=amount,
                ),
                lambda m, now: m.deposit(self.admin.address, actor.address, amount),
            )


def test_a_subclass_rule_is_run_and_checked_against_the_model(property_sim: Any) -> None:
    DepositTwiceMachine.run(
        property_sim,
        settings(settings.get_profile(CI_PROFILE), max_examples=25, stateful_step_count=10),
    )
    assert DepositTwiceMachine.statistics.calls["deposit_twice"] > 0
    assert (
        DepositTwiceMachine.statistics.successes["deposit_twice"]
        == (DepositTwiceMachine.statistics.calls["deposit_twice"])
    )
