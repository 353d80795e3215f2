"""The README's example of a user's rule works as written: its action agrees with the model."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import rule
from ogpu.client import publish_task
from ogpu.types import TaskInfo, TaskInput, TaskStatus

from ogpu_sim.testing import LifecycleMachine, MachineCore, RuleStatistics


def publish_job(source: str, payment: int, expiry: int, account: Any) -> str:
    """The README's stand-in for a user's client code, built on ogpu.client."""
    info = TaskInfo(
        source=source,
        config=TaskInput(function_name="echo", data={"n": 1}),
        expiryTime=expiry,
        payment=payment,
    )
    return str(publish_task(info, private_key=account.key).address)


class MyClientMachine(LifecycleMachine):
    statistics = RuleStatistics()

    @rule(source=MachineCore.sources, payment=st.integers(0, 10**17))
    def my_publish(self, source: str, payment: int) -> None:
        client, expiry = self.cast["client"], self.sim.now() + 600
        ok, task, _ = self.act(
            "my_publish",
            lambda: publish_job(source, payment, expiry, client.account),
            lambda m, now: m.publish_task(
                client.address, source, expiry, payment, now, address="?"
            ),
        )
        if ok:
            self.model.rename("?", self.w3.to_checksum_address(task))


def test_the_readme_rule_publishes_and_the_chain_matches_the_model(property_sim: Any) -> None:
    MyClientMachine.bind(property_sim)
    try:
        machine = MyClientMachine()
        try:
            source = machine.start_sources[0]
            machine.my_publish(source, 10**15)  # the pinned config URL is learned from the chain
            machine.chain_matches_model_and_invariants_hold()
            machine.my_publish(machine.start_sources[-1], 10**15)  # a closed source: reverts
            machine.chain_matches_model_and_invariants_hold()
        finally:
            machine.teardown()
    finally:
        MyClientMachine.release()
    stats = MyClientMachine.statistics
    assert (stats.calls["my_publish"], stats.successes["my_publish"]) == (2, 1)
    assert dict(stats.reverts["my_publish"]) == {"SourceInactive": 1}
    assert TaskStatus.NEW == 0
