"""``chain.faults`` refuses a JSON-RPC method no call can have, naming it, instead of arming a
fault that never fires."""

from __future__ import annotations

from typing import Any

import pytest

from ogpu_sim.chain.faults import KNOWN_METHODS, ChainFaults
from ogpu_sim.errors import ConfigError

KNOWN = (
    "ogpu_sim.chain.faults.KNOWN_METHODS lists the eth_, net_, web3_ and evm_ ones the nodes "
    "answer or web3.py can call (a node's own, such as anvil_ or debug_, are not checked)"
)


@pytest.fixture
def faults() -> ChainFaults:
    return ChainFaults(controls=None)  # type: ignore[arg-type]  # call faults need no chain


@pytest.mark.parametrize("arm", ["fail_next", "lose_next", "fail_rate"])
def test_an_unknown_method_is_refused_by_every_call_fault(faults: ChainFaults, arm: str) -> None:
    args: tuple[Any, ...] = (0.5,) if arm == "fail_rate" else ()

    with pytest.raises(ConfigError) as caught:
        getattr(faults, arm)(*args, method="eth_nope")

    assert str(caught.value) == f"method: unknown JSON-RPC method 'eth_nope'; {KNOWN}"
    assert faults.active == []


def test_a_misspelt_method_is_refused_with_the_closest_known_one(faults: ChainFaults) -> None:
    with pytest.raises(ConfigError) as caught:
        faults.fail_next(method="eth_sendRawTransation")

    assert str(caught.value) == (
        "method: unknown JSON-RPC method 'eth_sendRawTransation' (did you mean "
        f"eth_sendRawTransaction, eth_sendTransaction, eth_sendRawTransactionSync?); {KNOWN}"
    )


def test_a_method_that_is_not_a_name_is_refused(faults: ChainFaults) -> None:
    with pytest.raises(ConfigError) as caught:
        faults.fail_next(method=5)  # type: ignore[arg-type]

    assert str(caught.value) == "method: must be a JSON-RPC method name such as eth_call; got 5"


@pytest.mark.parametrize("method", [None, "eth_call", "eth_sendRawTransactionSync"])
def test_a_known_method_or_none_arms_the_fault(faults: ChainFaults, method: str | None) -> None:
    assert faults.fail_next(method=method).method == method
    assert method is None or method in KNOWN_METHODS


@pytest.mark.parametrize("method", ["anvil_impersonateAccount", "debug_traceTransaction"])
def test_a_method_of_a_nodes_own_namespace_arms_the_fault_unchecked(
    faults: ChainFaults, method: str
) -> None:
    assert faults.fail_next(method=method).method == method


@pytest.mark.parametrize("method", ["eth_getProof", "eth_subscribe", "eth_protocolVersion"])
def test_a_method_web3_can_call_arms_the_fault_though_no_in_process_node_answers_it(
    faults: ChainFaults, method: str
) -> None:
    assert faults.fail_next(method=method).method == method
