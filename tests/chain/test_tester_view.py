"""eth_call and eth_estimateGas on a view state (ogpu_sim.chain.tester_view) answer exactly what
py-evm's whole apply_transaction answers: outputs, reverts, validation errors, creations,
overrides, past blocks, estimates, and the gas figures an estimate reads."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from eth.vm.forks.cancun.constants import BEACON_ROOTS_ADDRESS
from eth.vm.forks.prague.constants import HISTORY_STORAGE_ADDRESS
from eth_account.signers.local import LocalAccount
from eth_tester.utils.address import generate_contract_address
from eth_utils import to_canonical_address
from web3.contract import Contract

from ogpu_sim.chain import tester_node, tester_view
from ogpu_sim.chain.jsonrpc import RpcError
from ogpu_sim.chain.tester import TesterChain

from .helpers import PROBE, transact

MESSAGE_FIELDS = (
    "gas",
    "to",
    "sender",
    "value",
    "data",
    "code",
    "depth",
    "is_create",
    "code_address",
    "should_transfer_value",
    "is_static",
    "refund",
    "is_delegation",
    "storage_address",
)
UNFUNDED = "0x00000000000000000000000000000000000Ab0de"


def _stock(vm: Any, db: Any, header: Any) -> Any:
    return vm.build_state(db, header, vm.chain_context, vm.previous_hashes)


@pytest.fixture
def node(chain: TesterChain, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The chain's node on a fixed clock (both paths see the same pending block)."""
    monkeypatch.setattr(chain.node, "clock", lambda: 1_900_000_000)
    yield chain.node


def _outcome(node: Any, method: str, params: list[Any]) -> Any:
    try:
        return node.request(method, params)
    except RpcError as exc:
        return ("error", exc.code, exc.message, exc.data)


@pytest.fixture
def both(node: Any, monkeypatch: pytest.MonkeyPatch) -> Callable[[str, list[Any]], Any]:
    """The answer on py-evm's whole path, asserted equal to the view path's, then returned."""

    def answer(method: str, params: list[Any]) -> Any:
        view = _outcome(node, method, params)
        with monkeypatch.context() as patch:
            patch.setattr(tester_node, "view_state", _stock)
            stock = _outcome(node, method, params)
        assert view == stock
        return view

    return answer


def _call(probe: Contract, name: str, *args: Any, **fields: Any) -> dict[str, Any]:
    data = probe.encode_abi(name, args=list(args))
    return {"to": probe.address, "data": data, **fields}


def test_a_view_answers_its_value(chain: TesterChain, probe: Contract, both: Any) -> None:
    assert both("eth_call", [_call(probe, "chainId"), "latest"]) == f"0x{chain.chain_id:064x}"


def test_a_call_that_writes_answers_and_leaves_state_unchanged(
    probe: Contract, account: LocalAccount, both: Any
) -> None:
    stored = both("eth_call", [_call(probe, "stored"), "latest"])
    both("eth_call", [_call(probe, "store", 77, **{"from": account.address}), "latest"])
    assert both("eth_call", [_call(probe, "stored"), "latest"]) == stored


def test_nested_creations_in_a_call_answer_the_same(
    probe: Contract, account: LocalAccount, both: Any
) -> None:
    answer = both("eth_call", [_call(probe, "spawn", 3, **{"from": account.address}), "latest"])
    nonce = probe.w3.eth.get_transaction_count(probe.address)
    third = generate_contract_address(to_canonical_address(probe.address), nonce + 2)
    assert answer == "0x" + third.rjust(32, b"\0").hex()


@pytest.mark.parametrize(
    ("name", "args"), [("revertWithReason", ()), ("revertWithCustomError", ()), ("divide", (1, 0))]
)
def test_reverts_carry_the_same_error_and_data(
    probe: Contract, both: Any, name: str, args: tuple[int, ...]
) -> None:
    outcome = both("eth_call", [_call(probe, name, *args), "latest"])
    assert outcome[0] == "error"
    assert outcome[1] == 3


def test_a_top_level_create_answers_the_runtime_code(both: Any) -> None:
    answer = both("eth_call", [{"data": PROBE["bytecode"]}, "latest"])
    assert len(answer) > 1000


def test_an_unfunded_value_transfer_is_refused_the_same_way(probe: Contract, both: Any) -> None:
    outcome = both("eth_call", [_call(probe, "stored", **{"from": UNFUNDED, "value": "0x1"})])
    assert outcome[:3] == (
        "error",
        -32000,
        "Sender does not have enough balance to cover transaction value and gas  (has 0, needs 1)",
    )


def test_a_fee_paying_call_from_an_unfunded_sender_is_refused_the_same_way(
    probe: Contract, both: Any
) -> None:
    call = _call(probe, "stored", **{"from": UNFUNDED, "maxFeePerGas": "0x5", "gas": "0x10000"})
    call["maxPriorityFeePerGas"] = "0x5"
    outcome = both("eth_call", [call, "latest"])
    assert outcome[:2] == ("error", -32003)
    assert outcome[2].startswith("insufficient funds for gas * price + value: ")


def test_gas_below_the_intrinsic_gas_is_refused_the_same_way(probe: Contract, both: Any) -> None:
    outcome = both("eth_call", [_call(probe, "stored", gas="0x100"), "latest"])
    assert outcome[:2] == ("error", -32000)
    assert outcome[2].startswith("intrinsic gas too low")


def test_state_overrides_apply_the_same_way(probe: Contract, both: Any) -> None:
    overrides = {probe.address: {"stateDiff": {"0x0": "0x" + "0" * 63 + "9"}}}
    both("eth_call", [_call(probe, "stored"), "latest", overrides])
    both(
        "eth_call",
        [
            _call(probe, "stored", **{"from": UNFUNDED, "value": "0x1"}),
            "latest",
            {UNFUNDED: {"balance": "0xffff"}},
        ],
    )


def test_a_past_block_answers_the_same(probe: Contract, both: Any) -> None:
    both("eth_call", [_call(probe, "stored"), "earliest"])
    both("eth_call", [_call(probe, "stored"), "0x1"])


def test_estimates_answer_the_same(probe: Contract, account: LocalAccount, both: Any) -> None:
    sender = {"from": account.address}
    transact(probe.w3, account, probe.functions.store(5))
    for call in (
        _call(probe, "store", 0, **sender),  # a refund
        _call(probe, "store", 9, **sender),
        _call(probe, "spawn", 2, **sender),
        _call(probe, "revertWithReason"),
        {"data": PROBE["bytecode"], **sender},
        _call(probe, "stored", **sender, nonce="0x0"),  # a nonce the account is past
    ):
        both("eth_estimateGas", [call, "latest"])


def test_the_executed_computation_carries_the_gas_figures_py_evm_finalizes(
    node: Any, probe: Contract, account: LocalAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    transact(probe.w3, account, probe.functions.store(5))
    call = _call(probe, "store", 0, **{"from": account.address})

    def figures() -> tuple[Any, ...]:
        state, tx, _sender = node._state_and_tx(call, "latest", None, keep_nonce=True)
        computation = state.apply_transaction(tx)
        return (
            computation.output,
            computation.is_error,
            computation.get_gas_remaining(),
            computation.get_gas_refund(),
            computation.msg.gas,
            "apply_transaction" in vars(type(state)),  # the view class's own
        )

    view = figures()
    monkeypatch.setattr(tester_node, "view_state", _stock)
    stock = figures()
    assert view[:5] == stock[:5]
    assert view[3] > 0
    assert (view[5], stock[5]) == (True, False)


def test_py_evm_system_contract_step_changes_no_value(node: Any) -> None:
    header = node.chain.get_canonical_head()
    vm = node.chain.get_vm(header)
    db = node.chain.chaindb.db
    stock, view = _stock(vm, db, header), tester_view.view_state(vm, db, header)
    for address in (BEACON_ROOTS_ADDRESS, HISTORY_STORAGE_ADDRESS):
        assert view.get_code(address) == stock.get_code(address)
    assert view.make_state_root() == stock.make_state_root() == header.state_root


@pytest.mark.parametrize("kind", ["call", "create", "fee"])
def test_the_message_is_py_evm_s_message(
    node: Any, probe: Contract, account: LocalAccount, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    sender = {"from": account.address}
    call = {
        "call": _call(probe, "store", 3, **sender, value="0x0"),
        "create": {"data": PROBE["bytecode"], **sender},
        "fee": _call(probe, "stored", **sender, maxFeePerGas="0x7", maxPriorityFeePerGas="0x2"),
    }[kind]
    monkeypatch.setattr(tester_node, "view_state", _stock)
    built = []
    for build in (lambda executor, tx: executor.build_evm_message(tx), tester_view.build_message):
        state, tx, _sender = node._state_and_tx(call, "latest", None, keep_nonce=False)
        message = build(state.get_transaction_executor(), tx)
        fields = {name: getattr(message, name) for name in MESSAGE_FIELDS}
        built.append((fields, state.get_balance(tx.sender), state.get_nonce(tx.sender)))
    assert built[0] == built[1]
