"""A send applied from its estimate's confirming run (ogpu_sim.chain.tester_reuse) is py-evm's.

Two eth-tester chains start from the same genesis, follow the same clock and mix hashes and get
the same requests: an ``eth_estimateGas`` of a call, then the transaction signed with exactly
that call and gas (what web3's ``build_transaction`` and the ``ogpu`` SDK send). One node has
the reuse switched off, so every send executes in py-evm; the other applies the estimate's run
where :func:`~ogpu_sim.chain.tester_reuse.applicable` allows it. Both agree on every database
key and value, header, receipt, log and error, and each test names the path the send took.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from eth_tester.utils.address import generate_contract_address
from eth_utils import to_canonical_address
from hypothesis import given, settings
from hypothesis import strategies as st
from web3 import Web3

from ogpu_sim.chain import tester_node, tester_reuse
from ogpu_sim.chain.dev_accounts import dev_account
from ogpu_sim.chain.tester import TesterChain
from ogpu_sim.chain.tester_calls import build_call

from .helpers import PROBE
from .test_tester_mine import (
    CHAIN_ID,
    GENESIS_TIME,
    answer,
    chain_contents,
    fix_genesis_time_and_mix_hashes,
    twin_chains,
)

PROBE_CONTRACT = Web3().eth.contract(abi=PROBE["abi"])
SENDER = dev_account(0)
REPLAYED: list[Any] = []
"""The transactions ``ours`` applied from an estimate in this test."""


def deployed(runtime: str) -> str:
    """Init code returning ``runtime`` (hex, under 256 bytes) as the contract's code."""
    size = len(runtime) // 2
    return f"0x60{size:02x}600c600039" + f"60{size:02x}6000f3" + runtime


STORE_GASPRICE = deployed("3a60005500")  # GASPRICE PUSH1 0 SSTORE STOP
STORE_TIMESTAMP = deployed("4260005500")  # TIMESTAMP PUSH1 0 SSTORE STOP
STORE_CALLVALUE = deployed("3460005500")  # CALLVALUE PUSH1 0 SSTORE STOP
STORE_OWN_BALANCE = deployed("4760005500")  # SELFBALANCE PUSH1 0 SSTORE STOP
STORE_SENDERS_BALANCE = deployed("323160005500")  # ORIGIN BALANCE PUSH1 0 SSTORE STOP


def created(nonce: int) -> str:
    address = generate_contract_address(to_canonical_address(SENDER.address), nonce)
    return Web3.to_checksum_address(address)


@pytest.fixture
def pair(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TesterChain, TesterChain]]:
    """(py-evm's execution, the reuse): two chains with the same genesis and a fixed clock."""
    with reuse_twins(monkeypatch) as chains:
        yield chains


@contextmanager
def reuse_twins(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TesterChain, TesterChain]]:
    """(py-evm's execution, the reuse) as :func:`twin_chains`, the reuse's replays counted."""
    fix_genesis_time_and_mix_hashes(monkeypatch)
    replay = tester_reuse.replay

    def counted(state: Any, tx: Any, recorded: Any) -> Any:
        REPLAYED.append(tx)
        return replay(state, tx, recorded)

    monkeypatch.setattr(tester_node, "replay", counted)
    REPLAYED.clear()
    with twin_chains() as (theirs, ours):
        theirs.node.reuse = False
        yield theirs, ours


def both(pair: tuple[TesterChain, TesterChain], method: str, *params: Any) -> Any:
    theirs, ours = pair
    expected = answer(theirs, method, params)
    assert answer(ours, method, params) == expected
    return expected


def signed(account: LocalAccount, call: dict[str, Any], gas: int, **fields: Any) -> str:
    tx = {
        "to": call.get("to"),
        "value": int(call.get("value", "0x0"), 16),
        "data": call.get("data", "0x"),
        "nonce": int(call["nonce"], 16),
        "gas": gas,
        "chainId": CHAIN_ID,
        "maxFeePerGas": 5 * 10**9,
        "maxPriorityFeePerGas": 10**9,
        **fields,
    }
    if tx["to"] is None:
        del tx["to"]
    return "0x" + bytes(account.sign_transaction(tx).raw_transaction).hex()


def estimate_and_send(
    pair: tuple[TesterChain, TesterChain],
    call: dict[str, Any],
    *,
    between: Any = None,
    **fields: Any,
) -> str:
    """Estimate ``call`` on both chains, run ``between``, send it signed with the estimate."""
    call = {"from": SENDER.address, **call}
    kind, gas = both(pair, "eth_estimateGas", call)
    assert kind == "ok", gas
    if between is not None:
        for chain in pair:
            between(chain)
    raw = signed(SENDER, call, int(gas, 16), **fields)
    kind, tx_hash = both(pair, "eth_sendRawTransaction", raw)
    assert kind == "ok", tx_hash
    return str(tx_hash)


def call_of(nonce: int, **fields: Any) -> dict[str, Any]:
    return {"nonce": hex(nonce), **fields}


def same_chains(pair: tuple[TesterChain, TesterChain], hashes: list[str]) -> None:
    theirs, ours = pair
    assert chain_contents(ours, hashes) == chain_contents(theirs, hashes)


def test_deployments_calls_events_and_creations_take_the_estimates_run_and_match_py_evm(
    pair: tuple[TesterChain, TesterChain],
) -> None:
    probe = created(0)
    encode = PROBE_CONTRACT.encode_abi
    hashes = [
        estimate_and_send(pair, call_of(0, data=PROBE["bytecode"])),
        estimate_and_send(pair, call_of(1, to=probe, data=encode("store", (7,)))),
        estimate_and_send(pair, call_of(2, to=probe, data=encode("store", (0,)))),
        estimate_and_send(pair, call_of(3, to=probe, data=encode("spawn", (2,)))),
        estimate_and_send(pair, call_of(4, data=STORE_CALLVALUE)),
        estimate_and_send(pair, call_of(5, to=created(4), data="0x01", value=hex(12345))),
    ]
    same_chains(pair, hashes)
    assert len(REPLAYED) == 6
    receipts = [pair[1].node.get_receipt(tx_hash) for tx_hash in hashes]
    assert [(r["status"], len(r["logs"])) for r in receipts] == [
        ("0x1", 0),
        ("0x1", 1),
        ("0x1", 1),
        ("0x1", 2),
        ("0x1", 0),
        ("0x1", 0),
    ]
    assert pair[1].node.request("eth_getStorageAt", [created(4), "0x0", "latest"]) == (
        "0x" + f"{12345:064x}"
    )


def test_a_send_after_another_mined_transaction_executes(
    pair: tuple[TesterChain, TesterChain],
) -> None:
    probe = created(0)
    hashes = [estimate_and_send(pair, call_of(0, data=PROBE["bytecode"]))]
    other = dev_account(1)

    def mine_another(chain: TesterChain) -> None:
        raw = signed(other, {"to": other.address, "nonce": "0x0"}, 21_000)
        chain.node.request("eth_sendRawTransaction", [raw])

    data = PROBE_CONTRACT.encode_abi("store", (3,))
    hashes.append(estimate_and_send(pair, call_of(1, to=probe, data=data), between=mine_another))
    same_chains(pair, hashes)
    assert len(REPLAYED) == 1


def test_a_send_after_a_time_advance_executes_and_reads_the_new_time(
    pair: tuple[TesterChain, TesterChain],
) -> None:
    hashes = [estimate_and_send(pair, call_of(0, data=STORE_TIMESTAMP))]
    hashes.append(
        estimate_and_send(
            pair,
            call_of(1, to=created(0)),
            between=lambda chain: chain.node.advance_time(30),
        )
    )
    same_chains(pair, hashes)
    assert len(REPLAYED) == 1
    stored = pair[1].node.request("eth_getStorageAt", [created(0), "0x0", "latest"])
    assert int(stored, 16) == GENESIS_TIME + 12 + 30


@pytest.mark.parametrize(
    "change",
    [{"data": "0x02"}, {"value": 1}, {"nonce": 1}],
    ids=["data", "value", "nonce"],
)
def test_a_send_unlike_its_estimate_executes(
    pair: tuple[TesterChain, TesterChain], change: dict[str, int | str]
) -> None:
    hashes = [estimate_and_send(pair, call_of(0, data=STORE_CALLVALUE))]
    call = {"from": SENDER.address, **call_of(1, to=created(0), data="0x01")}
    kind, gas = both(pair, "eth_estimateGas", call)
    fields: dict[str, Any] = {"gas": int(gas, 16) + int(change.get("gas", 0))}
    if "data" in change:
        fields["data"] = change["data"]
    if "value" in change:
        fields["value"] = change["value"]
    raw = signed(SENDER, call, **fields)  # type: ignore[arg-type]
    if "nonce" in change:  # a second send at the next nonce, after the first
        raw_first = signed(SENDER, call, int(gas, 16))
        kind, first = both(pair, "eth_sendRawTransaction", raw_first)
        hashes.append(str(first))
        raw = signed(SENDER, {**call, "nonce": "0x2"}, int(gas, 16))
    kind, tx_hash = both(pair, "eth_sendRawTransaction", raw)
    assert kind == "ok", tx_hash
    hashes.append(str(tx_hash))
    same_chains(pair, hashes)
    assert len(REPLAYED) == (2 if "nonce" in change else 1)


@pytest.mark.parametrize("extra", [1, 100_000])
def test_a_send_with_more_gas_than_its_estimate_takes_the_traced_run_and_matches_py_evm(
    pair: tuple[TesterChain, TesterChain], extra: int
) -> None:
    probe = created(0)
    store = PROBE_CONTRACT.encode_abi("spawn", (2,))
    hashes = [estimate_and_send(pair, call_of(0, data=PROBE["bytecode"]))]
    call = {"from": SENDER.address, **call_of(1, to=probe, data=store)}
    kind, gas = both(pair, "eth_estimateGas", call)
    kind, tx_hash = both(pair, "eth_sendRawTransaction", signed(SENDER, call, int(gas, 16) + extra))
    assert kind == "ok", tx_hash
    hashes.append(str(tx_hash))
    same_chains(pair, hashes)
    assert len(REPLAYED) == 2
    receipt = pair[1].node.get_receipt(str(tx_hash))
    assert (receipt["status"], len(receipt["logs"])) == ("0x1", 2)


def test_a_send_below_the_traced_threshold_executes_and_fails_as_py_evms(
    pair: tuple[TesterChain, TesterChain],
) -> None:
    probe = created(0)
    hashes = [estimate_and_send(pair, call_of(0, data=PROBE["bytecode"]))]
    call = {
        "from": SENDER.address,
        **call_of(1, to=probe, data=PROBE_CONTRACT.encode_abi("store", (7,))),
    }
    both(pair, "eth_estimateGas", call)
    confirmed = pair[1].node._confirmed
    assert confirmed is not None and confirmed.least < confirmed.gas
    raw = signed(SENDER, call, confirmed.least - 1)
    kind, tx_hash = both(pair, "eth_sendRawTransaction", raw)
    assert kind == "ok", tx_hash
    hashes.append(str(tx_hash))
    same_chains(pair, hashes)
    assert len(REPLAYED) == 1
    assert pair[1].node.get_receipt(str(tx_hash))["status"] == "0x0"


def test_code_reading_its_balance_executes_and_sees_the_paid_value(
    pair: tuple[TesterChain, TesterChain],
) -> None:
    hashes = [estimate_and_send(pair, call_of(0, data=STORE_OWN_BALANCE))]
    hashes.append(estimate_and_send(pair, call_of(1, to=created(0), value=hex(9))))
    same_chains(pair, hashes)
    assert len(REPLAYED) == 1
    stored = pair[1].node.request("eth_getStorageAt", [created(0), "0x0", "latest"])
    assert int(stored, 16) == 9


def test_code_reading_the_senders_balance_executes_and_sees_the_prepaid_fee(
    pair: tuple[TesterChain, TesterChain],
) -> None:
    hashes = [estimate_and_send(pair, call_of(0, data=STORE_SENDERS_BALANCE))]
    hashes.append(estimate_and_send(pair, call_of(1, to=created(0))))
    same_chains(pair, hashes)
    assert len(REPLAYED) == 1
    node = pair[1].node
    receipt, sent = node.get_receipt(hashes[1]), node.get_transaction(hashes[1])
    price = int(receipt["effectiveGasPrice"], 16)
    after = int(node.request("eth_getBalance", [SENDER.address, "latest"]), 16)
    stored = node.request("eth_getStorageAt", [created(0), "0x0", "latest"])
    # during the execution the whole gas limit was prepaid; the refund of the unused came after
    prepaid = int(sent["gas"], 16) * price
    assert int(stored, 16) == after + int(receipt["gasUsed"], 16) * price - prepaid


def test_code_reading_the_gas_price_executes_and_runs_out_of_the_costless_estimate(
    pair: tuple[TesterChain, TesterChain],
) -> None:
    hashes = [estimate_and_send(pair, call_of(0, data=STORE_GASPRICE))]
    # The estimate stored a zero gas price (a no-op SSTORE); the paid send stores a new value
    hashes.append(estimate_and_send(pair, call_of(1, to=created(0))))
    same_chains(pair, hashes)
    assert len(REPLAYED) == 1
    assert pair[1].node.get_receipt(hashes[1])["status"] == "0x0"


def test_a_reverting_send_after_its_estimate_failed_executes(
    pair: tuple[TesterChain, TesterChain],
) -> None:
    hashes = [estimate_and_send(pair, call_of(0, data=PROBE["bytecode"]))]
    call = {"from": SENDER.address, **call_of(1, to=created(0))}
    call["data"] = PROBE_CONTRACT.encode_abi("revertWithReason", ())
    kind, *_ = both(pair, "eth_estimateGas", call)
    assert kind == "error"
    kind, tx_hash = both(pair, "eth_sendRawTransaction", signed(SENDER, call, 100_000))
    hashes.append(str(tx_hash))
    same_chains(pair, hashes)
    assert len(REPLAYED) == 1
    assert pair[1].node.get_receipt(hashes[1])["status"] == "0x0"


def test_fee_blind_skips_push_data_and_finds_each_fee_opcode() -> None:
    assert tester_reuse.fee_blind(bytes.fromhex("603a60485500"))  # PUSH1 0x3a PUSH1 0x48 ...
    for opcode in sorted(tester_reuse.FEE_OPCODES):
        assert not tester_reuse.fee_blind(bytes([0x60, 0x00, opcode, 0x00]))


def test_an_estimate_that_named_its_fees_prepaid_the_tip_and_the_send_still_matches(
    pair: tuple[TesterChain, TesterChain],
) -> None:
    fees = {"maxFeePerGas": hex(5 * 10**9), "maxPriorityFeePerGas": hex(10**9)}
    hashes = [
        estimate_and_send(pair, call_of(0, data=STORE_CALLVALUE, **fees)),
        estimate_and_send(pair, call_of(1, to=created(0), value=hex(77), **fees)),
    ]
    same_chains(pair, hashes)
    assert len(REPLAYED) == 2


STEPS = st.sampled_from(["store", "spawn", "pay", "zero", "mined", "later", "gas+1", "no-estimate"])
"""A send after its estimate (store, spawn, pay, zero: reused), after another transaction was
mined or time moved on (executed), with other gas or without an estimate (executed)."""


@settings(max_examples=12, deadline=None)
@given(
    steps=st.lists(STEPS, min_size=1, max_size=6), values=st.lists(st.integers(0, 3), min_size=6)
)
def test_generated_sequences_of_estimates_and_sends_keep_py_evms_chain(
    steps: list[str], values: list[int]
) -> None:
    encode = PROBE_CONTRACT.encode_abi
    other = dev_account(1)
    with pytest.MonkeyPatch.context() as patch, reuse_twins(patch) as chains:
        hashes = [
            estimate_and_send(chains, call_of(0, data=PROBE["bytecode"])),
            estimate_and_send(chains, call_of(1, data=STORE_CALLVALUE)),
        ]
        probe, payee, others = created(0), created(1), 0
        for nonce, (step, value) in enumerate(zip(steps, values, strict=False), start=2):
            call = call_of(nonce, to=probe, data=encode("store", (value,)))
            if step == "spawn":
                call = call_of(nonce, to=probe, data=encode("spawn", (value,)))
            elif step in ("pay", "zero"):
                call = call_of(
                    nonce, to=payee, data="0x01", value=hex(value if step == "pay" else 0)
                )

            def between(chain: TesterChain, step: str = step, others: int = others) -> None:
                if step == "mined":
                    raw = signed(other, {"to": other.address, "nonce": hex(others)}, 21_000)
                    chain.node.request("eth_sendRawTransaction", [raw])
                elif step == "later":
                    chain.node.advance_time(5)

            others += step == "mined"
            if step == "gas+1":
                _kind, gas = both(chains, "eth_estimateGas", {"from": SENDER.address, **call})
                raw = signed(SENDER, call, int(gas, 16) + 1)
                hashes.append(str(both(chains, "eth_sendRawTransaction", raw)[1]))
            elif step == "no-estimate":
                raw = signed(SENDER, call, 3_000_000)
                hashes.append(str(both(chains, "eth_sendRawTransaction", raw)[1]))
            else:
                hashes.append(estimate_and_send(chains, call, between=between))
        same_chains(chains, hashes)
        expected = 2 + sum(step in ("store", "spawn", "pay", "zero", "gas+1") for step in steps)
        assert len(REPLAYED) == expected


def test_a_run_on_a_state_that_finalizes_is_not_kept(pair: tuple[TesterChain, TesterChain]) -> None:
    node = pair[1].node
    state, header, vm = node._fresh_state("latest", None)  # py-evm's finalizing state
    call = {"from": SENDER.address, "data": STORE_CALLVALUE}
    tx, _sender = build_call(vm, state, header.gas_limit, CHAIN_ID, call, keep_nonce=False)
    assert tester_reuse.journals_clean(state)
    computation = state.apply_transaction(tx)
    assert computation.is_success
    assert tester_reuse.capture(node.chain, header, state, tx, computation) is None
