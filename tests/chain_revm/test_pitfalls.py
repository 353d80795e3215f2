"""The revm backend handles pyrevm's known pitfalls the way a real node would behave.

Each test names one pitfall (see ``ogpu_sim/chain/revm.py``) and asserts the node-like result.
"""

from __future__ import annotations

import time

import pyrevm
import pytest
from eth_utils import keccak, to_checksum_address
from web3 import Web3
from web3.exceptions import ContractCustomError, ContractLogicError, Web3RPCError

from ogpu_sim.chain.base import SnapshotError
from ogpu_sim.chain.revm import FEE_SINK, PRIORITY_FEE, SPEC_ID, RevmChain, RevmNode

from .conftest import CHAIN_ID, send

RECEIVER = to_checksum_address("0x" + "5e" * 20)


MCOPY_RUNTIME = bytes.fromhex("6020600060005e00")  # PUSH1 32 PUSH1 0 PUSH1 0 MCOPY STOP
MCOPY_INITCODE = bytes.fromhex("6008600c6000396008" "6000f3") + MCOPY_RUNTIME  # CODECOPY+RETURN


def _runs_mcopy(spec_id: str) -> bool:
    evm = pyrevm.EVM(spec_id=spec_id)
    deployer = "0x" + "11" * 20
    evm.set_balance(deployer, 10**18)
    contract = evm.deploy(deployer, MCOPY_INITCODE)
    try:
        evm.message_call(deployer, contract, b"")
    except RuntimeError:
        return False
    return True


def test_pyrevm_reads_a_misspelled_spec_id_as_the_latest_spec():
    # Why SPEC_ID is spelled exactly: "SHANGHAI" silently runs a later spec (MCOPY is Cancun's).
    assert (_runs_mcopy("Shanghai"), _runs_mcopy("SHANGHAI")) == (False, True)


def test_the_node_runs_cancun_opcodes(isolated, signer):
    receipt = send(isolated, signer, {"data": MCOPY_INITCODE, "gas": 100_000})
    assert receipt["status"] == 1
    assert isolated.w3.eth.call({"to": receipt["contractAddress"]}) == b""
    assert SPEC_ID == "Cancun"


def test_a_call_transaction_bumps_the_sender_nonce_by_one(isolated, signer):
    before = isolated.w3.eth.get_transaction_count(signer.address)
    send(isolated, signer, {"to": RECEIVER, "value": 1})
    assert isolated.w3.eth.get_transaction_count(signer.address) == before + 1


def test_a_transaction_charges_gas_used_times_effective_price_plus_value(isolated, signer):
    before = isolated.w3.eth.get_balance(signer.address)
    receipt = send(isolated, signer, {"to": RECEIVER, "value": 7})
    assert receipt["gasUsed"] == 21_000
    assert receipt["effectiveGasPrice"] == PRIORITY_FEE
    assert isolated.w3.eth.get_balance(signer.address) == before - 21_000 * PRIORITY_FEE - 7


def test_a_revert_undoes_nonce_gas_and_transfers(chain, signer):
    nonce = chain.w3.eth.get_transaction_count(signer.address)
    balance = chain.w3.eth.get_balance(signer.address)
    receiver = chain.w3.eth.get_balance(RECEIVER)
    snapshot_id = chain.snapshot()
    send(chain, signer, {"to": RECEIVER, "value": 10**18})
    chain.revert(snapshot_id)
    assert chain.w3.eth.get_transaction_count(signer.address) == nonce
    assert chain.w3.eth.get_balance(signer.address) == balance
    assert chain.w3.eth.get_balance(RECEIVER) == receiver


def test_a_revert_undoes_set_balance_of_a_known_account(chain, signer):
    balance = chain.w3.eth.get_balance(signer.address)
    snapshot_id = chain.snapshot()
    chain.set_balance(signer.address, 5)
    assert chain.w3.eth.get_balance(signer.address) == 5
    chain.revert(snapshot_id)
    assert chain.w3.eth.get_balance(signer.address) == balance


def test_a_revert_undoes_set_balance_of_an_account_first_seen_after_the_snapshot(chain):
    fresh = to_checksum_address(keccak(b"first seen after the snapshot")[-20:])
    snapshot_id = chain.snapshot()
    chain.set_balance(fresh, 123)
    chain.revert(snapshot_id)
    assert chain.w3.eth.get_balance(fresh) == 0


def test_a_revert_undoes_a_lowered_balance(chain, signer):
    balance = chain.w3.eth.get_balance(signer.address)
    snapshot_id = chain.snapshot()
    chain.set_balance(signer.address, 0)
    chain.revert(snapshot_id)
    assert chain.w3.eth.get_balance(signer.address) == balance


def test_a_snapshot_id_stays_valid_after_reverting_to_it(chain, signer):
    block = chain.w3.eth.block_number
    snapshot_id = chain.snapshot()
    for _ in range(2):
        send(chain, signer, {"to": RECEIVER, "value": 1})
        chain.revert(snapshot_id)
        assert chain.w3.eth.block_number == block
    chain.revert(snapshot_id)


def test_reverting_to_an_older_snapshot_invalidates_younger_ones(chain):
    older = chain.snapshot()
    younger = chain.snapshot()
    chain.revert(older)
    with pytest.raises(SnapshotError, match=f"cannot revert to snapshot {younger!r}"):
        chain.revert(younger)
    chain.revert(older)


def test_nested_snapshots_leave_no_journal_depth_behind():
    # revm checkpoints nest by depth; commit() at depth 0 would underflow it, so none is made.
    node = RevmNode(CHAIN_ID)
    outer = node.snapshot()
    node.snapshot()
    node.snapshot()
    node.revert(outer)
    assert node.evm.journal_depth == 1  # only `outer`, re-opened so its id stays valid


def test_basefee_reads_zero_and_blocks_report_a_zero_base_fee(chain, probe):
    chain_id, _timestamp, _number, basefee = probe.functions.context().call()
    assert (chain_id, basefee) == (CHAIN_ID, 0)
    assert chain.w3.eth.get_block("latest")["baseFeePerGas"] == 0


def test_advance_time_moves_the_next_block_timestamp_forward_by_the_offset(isolated, probe):
    before = isolated.now()
    isolated.advance_time(3600)
    _chain_id, timestamp, _number, _basefee = probe.functions.context().call()
    assert before + 3600 <= timestamp <= before + 3601  # the wall clock may tick once
    assert isolated.now() == timestamp


def test_a_new_chain_stamps_its_next_block_with_the_wall_clock():
    assert abs(RevmChain(chain_id=CHAIN_ID).now() - time.time()) <= 2


def test_revert_reason_text_becomes_contract_logic_error(probe):
    with pytest.raises(ContractLogicError) as caught:
        probe.functions.failWithReason().call()
    assert caught.value.message == "execution reverted: probe says no"


def test_custom_error_data_becomes_contract_custom_error(probe):
    with pytest.raises(ContractCustomError) as caught:
        probe.functions.failWithError(9).call()
    selector = keccak(b"NotEnough(uint256,uint256)")[:4].hex()
    assert caught.value.data == "0x" + selector + f"{0:064x}" + f"{9:064x}"


def test_a_failing_transaction_is_mined_with_status_0_and_still_consumes_the_nonce(
    isolated, signer, probe
):
    nonce = isolated.w3.eth.get_transaction_count(signer.address)
    data = probe.functions.failWithReason()._encode_transaction_data()
    receipt = send(isolated, signer, {"to": probe.address, "data": data, "gas": 100_000})
    assert receipt["status"] == 0
    assert isolated.w3.eth.get_transaction_count(signer.address) == nonce + 1


def test_estimate_gas_covers_a_child_contract_deployment(isolated, signer, probe):
    data = probe.functions.spawn(5).build_transaction({"from": signer.address})["data"]
    estimate = isolated.w3.eth.estimate_gas({"from": signer.address, "to": probe.address,
                                             "data": data})
    receipt = send(isolated, signer, {"to": probe.address, "data": data, "gas": estimate})
    assert receipt["status"] == 1
    child = probe.events.Spawned().process_receipt(receipt)[0]["args"]["child"]
    assert probe.functions.children(0).call() == child


def test_events_are_in_the_receipt_and_in_get_logs(isolated, signer, probe):
    data = probe.functions.store(42)._encode_transaction_data()
    receipt = send(isolated, signer, {"to": probe.address, "data": data})
    (event,) = probe.events.Stored().process_receipt(receipt)
    assert dict(event["args"]) == {"by": signer.address, "value": 42}
    logs = probe.events.Stored().get_logs(from_block=receipt["blockNumber"])
    assert [dict(log["args"]) for log in logs] == [{"by": signer.address, "value": 42}]


def test_a_stale_nonce_is_rejected_with_geth_wording(isolated, signer):
    nonce = isolated.w3.eth.get_transaction_count(signer.address)
    send(isolated, signer, {"to": RECEIVER, "value": 1})
    with pytest.raises(Web3RPCError, match=f"nonce too low: address {signer.address}, "
                                           f"tx: {nonce} state: {nonce + 1}"):
        send(isolated, signer, {"to": RECEIVER, "value": 1, "nonce": nonce})


def test_a_transaction_signed_for_another_chain_is_rejected(isolated, signer):
    with pytest.raises(Web3RPCError, match=f"invalid chain id for signer: have 1 want {CHAIN_ID}"):
        send(isolated, signer, {"to": RECEIVER, "value": 1, "chainId": 1, "gas": 21_000})


def test_a_transaction_the_sender_cannot_afford_is_rejected(isolated, signer):
    with pytest.raises(Web3RPCError, match="insufficient funds for gas \\* price \\+ value"):
        send(isolated, signer, {"to": RECEIVER, "value": 10**30, "gas": 21_000})


def test_gas_fees_go_to_the_fee_sink_not_a_user_account(isolated, signer):
    before = isolated.w3.eth.get_balance(FEE_SINK)
    receipt = send(isolated, signer, {"to": RECEIVER, "value": 1})
    assert isolated.w3.eth.get_balance(FEE_SINK) == before + receipt["gasUsed"] * PRIORITY_FEE


def test_the_chain_id_is_configurable():
    assert RevmChain(chain_id=4242).w3.eth.chain_id == 4242


def test_a_log_filter_returns_each_new_event_once(isolated, signer, probe):
    event_filter = probe.events.Stored.create_filter(from_block="latest")
    data = probe.functions.store(11)._encode_transaction_data()
    send(isolated, signer, {"to": probe.address, "data": data})
    assert [e["args"]["value"] for e in event_filter.get_new_entries()] == [11]
    assert event_filter.get_new_entries() == []


def test_a_block_filter_returns_the_hashes_of_new_blocks(isolated):
    block_filter = isolated.w3.eth.filter("latest")
    isolated.mine(2)
    hashes = block_filter.get_new_entries()
    latest = isolated.w3.eth.block_number
    assert hashes == [isolated.w3.eth.get_block(n)["hash"] for n in (latest - 1, latest)]


def test_serve_answers_the_same_node_over_http_on_loopback():
    chain = RevmChain(chain_id=CHAIN_ID)
    try:
        url = chain.serve()
        remote = Web3(Web3.HTTPProvider(url))
        chain.mine(3)
        assert url.startswith("http://127.0.0.1:")
        assert (remote.eth.chain_id, remote.eth.block_number) == (CHAIN_ID, 3)
        assert chain.rpc_url == url
    finally:
        chain.close()
    assert chain.rpc_url is None


def test_a_call_sending_more_value_than_the_caller_has_says_insufficient_funds(chain):
    poor = to_checksum_address("0x" + "77" * 20)
    with pytest.raises(Web3RPCError, match="insufficient funds for gas \\* price \\+ value: "
                                           "have 0 want 5"):
        chain.w3.eth.call({"from": poor, "to": RECEIVER, "value": 5})
