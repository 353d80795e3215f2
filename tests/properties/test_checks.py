"""What the machine reads from the chain at each check: the start state in full once per run,
what the model changed between full checks, and everything at each full check."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from ogpu_sim.errors import ModelMismatch
from ogpu_sim.testing import LifecycleMachine, RuleStatistics
from ogpu_sim.testing.chainview import Part
from ogpu_sim.testing.expected import expected_probes
from ogpu_sim.testing.probes import neighbourhood
from ogpu_sim.testing.rules.common import OGPU


class CheckedMachine(LifecycleMachine):
    statistics = RuleStatistics()
    FULL_CHECK_EVERY = 2


class Reads:
    """Wraps a machine's ChainView: the number of calls of each read, in order."""

    def __init__(self, view: Any) -> None:
        self.view, self.sizes = view, []

    def read(self, calls: Sequence[tuple[str, bytes]]) -> list[tuple[bool, bytes]]:
        self.sizes.append(len(calls))
        return self.view.read(calls)

    def read_parts(self, parts: Sequence[Part]) -> list[tuple[bool, bytes]] | None:
        self.sizes.append(sum(part.size for part in parts))
        return self.view.read_parts(parts)


@pytest.fixture
def machines(property_sim: Any) -> Iterator[type[CheckedMachine]]:
    CheckedMachine.bind(property_sim)
    try:
        yield CheckedMachine
    finally:
        CheckedMachine.release()


def watched(machine_class: type[CheckedMachine]) -> tuple[CheckedMachine, Reads]:
    machine = machine_class()
    reads = Reads(machine.view)
    machine.view = reads  # type: ignore[assignment]
    return machine, reads


def test_the_start_state_is_read_in_full_by_the_first_example_only(
    machines: type[CheckedMachine],
) -> None:
    first, first_reads = watched(machines)
    everything = len(expected_probes(first.model, first.world, full=True))
    first.chain_matches_model_and_invariants_hold()
    first.teardown()
    second, second_reads = watched(machines)
    second.chain_matches_model_and_invariants_hold()
    second.teardown()
    assert (first_reads.sizes, second_reads.sizes) == ([everything], [])  # no call at all


def test_a_check_between_full_ones_reads_the_views_the_model_changed_and_their_neighbours(
    machines: type[CheckedMachine],
) -> None:
    machine, reads = watched(machines)
    try:
        machine.chain_matches_model_and_invariants_hold()
        client = machine.cast["client"]
        machine.deposit_as(client, client, OGPU, "vault.deposit")
        machine.chain_matches_model_and_invariants_hold()
    finally:
        machine.teardown()
    vault = machine.addresses["VAULT"]
    light = expected_probes(machine.model, machine.world, full=False)
    read = [p.label(machine.name) for p in light if neighbourhood(p) == (vault, client.address)]
    assert reads.sizes[1] == len(read) + 1  # and the Vault's native balance
    assert read == [
        f"Vault.{getter}(client)"
        for getter in (
            "balanceOf",
            "lockupOf",
            "unbondingOf",
            "unbondingTimestamp",
            "frozenPayment",
            "totalEarningsOf",
            "sanctionOf",
            "isWhitelisted",
            "isEligible",
        )
    ]


def test_a_change_the_model_did_not_predict_fails_the_next_full_check(
    machines: type[CheckedMachine],
) -> None:
    machine, reads = watched(machines)
    try:
        machine.chain_matches_model_and_invariants_hold()
        vault = machine.addresses["VAULT"]
        machine.sim.chain.set_balance(vault, machine.w3.eth.get_balance(vault) + 1)
        machine._mined = True
        machine.chain_matches_model_and_invariants_hold()  # reads nothing: no prediction moved
        machine._mined = True
        with pytest.raises(ModelMismatch) as caught:
            machine.chain_matches_model_and_invariants_hold()
    finally:
        machine.teardown()
    assert reads.sizes[1] == 0
    assert caught.value.check == "state: BatchRead[helper].balanceOf(Vault)"


def test_each_example_gets_its_own_copy_of_the_start_state() -> None:
    from ogpu_sim.testing.cast import Start

    start = Start({"ledger": {"client": [1, 2]}, "name": "x"})
    first = start.state
    first["ledger"]["client"].append(3)
    assert start.state == {"ledger": {"client": [1, 2]}, "name": "x"}


def test_a_start_state_that_does_not_pickle_is_deep_copied() -> None:
    from ogpu_sim.testing.cast import Start

    start = Start({"check": lambda: 1, "seen": [1]})  # a lambda does not pickle
    first, second = start.state, start.state
    first["seen"].append(2)
    assert (second["seen"], second["check"]()) == ([1], 1)
