"""Gas estimates on the in-process chains in one or two executions in the common case.

eth-tester answers geth's refined estimate from one traced run; revm (whose slots stay warm
across transactions) geth's optimistic limit, confirmed by one run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from ogpu_sim.chain import create_chain, tester_gas
from ogpu_sim.chain.gas_search import Measured, estimate
from ogpu_sim.chain.inprocess import InProcessChain
from ogpu_sim.chain.tester_trace import least_available

from .helpers import IN_PROCESS, transact


@pytest.fixture(scope="module", params=IN_PROCESS)
def chain(request: pytest.FixtureRequest) -> Iterator[Any]:
    with create_chain(request.param) as started:
        assert isinstance(started, InProcessChain)
        yield started


def geth_search(succeeds: Callable[[int], bool], used: int, refunded: int, cap: int) -> int:
    """geth's eth/gasestimator search, one execution per probe (the reference answer)."""
    low, high = used - 1, cap
    optimistic = (used + refunded + 2300) * 64 // 63
    if optimistic < high:
        if succeeds(optimistic):
            high = optimistic
        else:
            low = optimistic
    while low + 1 < high and (high - low) / high >= 0.015:
        middle = min((high + low) // 2, low * 2)
        if succeeds(middle):
            high = middle
        else:
            low = middle
    return high


def _common(chain: InProcessChain) -> int:
    """Executions of a common estimate: one traced run (eth-tester), two (revm)."""
    return 1 if chain.node.__class__.__name__ == "TesterNode" else 2


def _executions(chain: InProcessChain, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record the gas limit of every execution the node's estimator runs."""
    limits: list[int] = []
    if chain.node.__class__.__name__ == "TesterNode":
        real = tester_gas._run

        def counted(state: Any, tx: Any, gas: int, *keep: Any, **overrides: Any) -> Any:
            limits.append(gas)
            return real(state, tx, gas, *keep, **overrides)

        monkeypatch.setattr(tester_gas, "_run", counted)
    else:
        real_dry = chain.node._dry_run

        def counted_dry(call: dict[str, Any], gas: int) -> Any:
            limits.append(gas)
            return real_dry(call, gas)

        monkeypatch.setattr(chain.node, "_dry_run", counted_dry)
    return limits


def _reference(chain: InProcessChain, call: dict[str, Any]) -> int:
    """The expected answer for ``call``: geth's search with every probe executed (eth-tester),
    geth's optimistic limit (revm)."""
    node = chain.node
    if node.__class__.__name__ == "TesterNode":
        state, tx, _sender = node._state_and_tx(call, "latest", None, keep_nonce=True)
        cap = int(tx.gas)
        first = tester_gas._run(state, tx, cap, gas_price=0)
        consumed = cap - first.get_gas_remaining()
        refunded = min(first.get_gas_refund(), consumed // 5)
        return geth_search(
            lambda gas: not tester_gas._run(state, tx, gas).is_error,
            consumed - refunded,
            refunded,
            cap,
        )
    first = node._dry_run(call, 30_000_000)
    optimistic = (first.gas_used + first.refunded + 2300) * 64 // 63
    assert node._dry_run(call, optimistic).ok
    return optimistic


@pytest.mark.parametrize("value", [9, 0])  # storing 0 over 7 earns a refund
def test_an_estimate_of_a_plain_call_takes_one_traced_run_on_eth_tester_two_on_revm(
    chain: InProcessChain,
    account: LocalAccount,
    probe: Contract,
    monkeypatch: pytest.MonkeyPatch,
    value: int,
) -> None:
    transact(chain.w3, account, probe.functions.store(7))
    call = {
        "from": account.address,
        "to": probe.address,
        "data": probe.encode_abi("store", [value]),
    }
    reference = _reference(chain, call)
    limits = _executions(chain, monkeypatch)

    estimate = chain.w3.eth.estimate_gas(call)  # type: ignore[arg-type]

    assert (estimate, len(limits)) == (reference, _common(chain))


@pytest.mark.parametrize("children", [1, 3])
def test_an_estimate_of_nested_creations_is_the_expected_answer_in_the_common_runs(
    chain: InProcessChain,
    account: LocalAccount,
    probe: Contract,
    monkeypatch: pytest.MonkeyPatch,
    children: int,
) -> None:
    call = {
        "from": account.address,
        "to": probe.address,
        "data": probe.encode_abi("spawn", [children]),
    }
    reference = _reference(chain, call)
    limits = _executions(chain, monkeypatch)

    estimate = chain.w3.eth.estimate_gas(call)  # type: ignore[arg-type]

    assert (estimate, len(limits)) == (reference, _common(chain))
    monkeypatch.undo()
    receipt = transact(chain.w3, account, probe.functions.spawn(children), gas=estimate)
    assert receipt["status"] == 1


def test_the_least_gas_whose_63_64ths_cover_a_need_is_exact() -> None:
    for need in (1, 62, 63, 64, 6300, 10**6 + 7):
        least = least_available(need)
        assert least - least // 64 >= need > (least - 1) - (least - 1) // 64


def test_when_the_trace_cannot_tell_the_search_gives_the_same_answer(
    chain: InProcessChain,
    account: LocalAccount,
    probe: Contract,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    call = {"from": account.address, "to": probe.address, "data": probe.encode_abi("spawn", [3])}
    reference = _reference(chain, call)
    monkeypatch.setattr(tester_gas, "traced_run", lambda state, run: (run(), None))

    estimate = chain.w3.eth.estimate_gas(call)  # type: ignore[arg-type]

    assert estimate == reference


def test_unknown_probes_that_cannot_change_the_answer_are_not_executed() -> None:
    # only the search's own probe at the consumption is unknown; every later one is proven
    measured = Measured(used=100_000, refunded=0)
    least = 100_300

    def decided(gas: int) -> bool | None:
        return True if gas >= least else (None if gas == 100_000 else False)

    answer = tester_gas._one_run(measured, 1_000_000, decided)

    assert answer == estimate(measured, 1_000_000, lambda gas: gas >= least)


def test_unknown_probes_whose_outcomes_change_the_answer_give_no_one_run_answer() -> None:
    measured = Measured(used=100_000, refunded=0)

    def decided(gas: int) -> bool | None:
        return True if gas >= 150_000 else None

    assert tester_gas._one_run(measured, 1_000_000, decided) is None
