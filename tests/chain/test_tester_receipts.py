"""The eth-tester node answers receipts from py-evm's database exactly as eth-tester would.

Each receipt :func:`~ogpu_sim.chain.tester_receipts.mined_receipt` builds is compared, field
for field and in order, with eth-tester's own answer turned into JSON-RPC the way the node
turned it before.
"""

from __future__ import annotations

from typing import Any

from eth_account.signers.local import LocalAccount
from eth_tester.exceptions import TransactionNotFound
from web3.contract import Contract

from ogpu_sim.chain import tester_receipts
from ogpu_sim.chain.jsonrpc import log_to_rpc, receipt_to_rpc
from ogpu_sim.chain.tester import TesterChain
from ogpu_sim.chain.tester_receipts import mined_receipt


def eth_testers(chain: TesterChain, tx_hash: str) -> dict[str, Any] | None:
    """The receipt as the node answered it from eth-tester."""
    try:
        return receipt_to_rpc(chain.node.tester.get_transaction_receipt(tx_hash))
    except TransactionNotFound:
        return None


def sent(chain: TesterChain, account: LocalAccount, **fields: Any) -> str:
    """Sign and send ``fields`` (a fixed 300k gas, no estimate); the hash."""
    tx = {
        "nonce": chain.w3.eth.get_transaction_count(account.address),
        "chainId": chain.chain_id,
        "gas": 300_000,
        **fields,
    }
    if "gasPrice" not in tx:
        tx.setdefault("maxFeePerGas", 5 * 10**9)
        tx.setdefault("maxPriorityFeePerGas", 10**9)
    raw = account.sign_transaction(tx).raw_transaction
    return "0x" + chain.w3.eth.send_raw_transaction(raw).hex()


def answered(chain: TesterChain, tx_hash: str) -> dict[str, Any]:
    """The node's receipt, checked to be built from py-evm's database and equal to eth-tester's."""
    assert mined_receipt(chain.node.chain, bytes.fromhex(tx_hash[2:])) is not None
    ours = chain.node.get_receipt(tx_hash)
    theirs = eth_testers(chain, tx_hash)
    assert ours is not None and theirs is not None
    assert list(ours.items()) == list(theirs.items())
    return ours


def test_a_call_with_an_event_has_eth_testers_receipt(
    chain: TesterChain, account: LocalAccount, probe: Contract
) -> None:
    tx_hash = sent(chain, account, to=probe.address, data=probe.encode_abi("store", (7,)))
    receipt = answered(chain, tx_hash)
    assert (receipt["status"], receipt["type"], len(receipt["logs"])) == ("0x1", "0x2", 1)


def test_a_legacy_transaction_has_eth_testers_receipt(
    chain: TesterChain, account: LocalAccount, probe: Contract
) -> None:
    data = probe.encode_abi("store", (8,))
    tx_hash = sent(chain, account, to=probe.address, data=data, gasPrice=3 * 10**9)
    receipt = answered(chain, tx_hash)
    assert (receipt["type"], receipt["effectiveGasPrice"]) == ("0x0", hex(3 * 10**9))


def test_an_access_list_transaction_has_eth_testers_receipt(
    chain: TesterChain, account: LocalAccount, probe: Contract
) -> None:
    data = probe.encode_abi("store", (9,))
    access = [{"address": probe.address, "storageKeys": ["0x" + "00" * 32]}]
    tx_hash = sent(
        chain, account, to=probe.address, data=data, gasPrice=3 * 10**9, accessList=access
    )
    assert answered(chain, tx_hash)["type"] == "0x1"


def test_a_reverted_transaction_has_eth_testers_receipt(
    chain: TesterChain, account: LocalAccount, probe: Contract
) -> None:
    data = probe.encode_abi("revertWithReason", ())
    receipt = answered(chain, sent(chain, account, to=probe.address, data=data))
    assert (receipt["status"], receipt["stateRoot"], receipt["logs"]) == ("0x0", "0x", [])


def test_a_contract_creation_has_eth_testers_receipt(
    chain: TesterChain, account: LocalAccount, probe: Contract
) -> None:
    data = probe.encode_abi("spawn", (2,))
    spawned = answered(chain, sent(chain, account, to=probe.address, data=data, gas=3_000_000))
    assert (spawned["status"], len(spawned["logs"])) == ("0x1", 2)
    # A creation of the 4-byte contract 0x60006000 (PUSH1 0 PUSH1 0, then STOP).
    created = answered(chain, sent(chain, account, data="0x6360006000600052600460" + "1cf3"))
    assert created["to"] is None
    assert created["contractAddress"] is not None


def test_a_transaction_a_snapshot_revert_removed_has_no_receipt(
    chain: TesterChain, account: LocalAccount, probe: Contract
) -> None:
    snapshot = chain.snapshot()
    removed = sent(chain, account, to=probe.address, data=probe.encode_abi("store", (10,)))
    chain.revert(snapshot)
    # Another transaction at the same height and index: the removed one's index is stale.
    kept = sent(chain, account, to=probe.address, data=probe.encode_abi("store", (11,)))
    assert chain.node.get_receipt(removed) is None
    assert eth_testers(chain, removed) is None
    assert answered(chain, kept)["transactionIndex"] == "0x0"


def test_a_transaction_above_the_reverted_head_has_no_receipt(
    chain: TesterChain, account: LocalAccount, probe: Contract
) -> None:
    snapshot = chain.snapshot()
    removed = sent(chain, account, to=probe.address, data=probe.encode_abi("store", (12,)))
    chain.revert(snapshot)
    assert chain.node.get_receipt(removed) is None
    assert eth_testers(chain, removed) is None


def test_an_unknown_hash_has_no_receipt(chain: TesterChain) -> None:
    assert chain.node.get_receipt("0x" + "ab" * 32) is None


def test_a_receipt_names_the_sender_the_send_recovered(
    chain: TesterChain, account: LocalAccount, probe: Contract
) -> None:
    tx_hash = sent(chain, account, to=probe.address, data=probe.encode_abi("store", (9,)))
    assert tester_receipts._senders[bytes.fromhex(tx_hash[2:])] == bytes.fromhex(
        account.address[2:]
    )
    assert answered(chain, tx_hash)["from"] == account.address


def test_a_receipt_recovers_a_sender_not_remembered(
    chain: TesterChain, account: LocalAccount
) -> None:
    tx_hash = sent(chain, account, data="0x6360006000600052600460" + "1cf3")
    del tester_receipts._senders[bytes.fromhex(tx_hash[2:])]
    receipt = answered(chain, tx_hash)
    assert (receipt["from"], receipt["contractAddress"] is not None) == (account.address, True)


def test_a_receipt_asked_again_is_answered_from_its_block_kept_by_hash(
    chain: TesterChain, account: LocalAccount, probe: Contract
) -> None:
    tx_hash = sent(chain, account, to=probe.address, data=probe.encode_abi("store", (13,)))
    first = answered(chain, tx_hash)
    kept = len(chain.node.answers)
    again = answered(chain, tx_hash)
    assert (again, len(chain.node.answers)) == (first, kept)


def test_changing_a_receipt_answer_changes_nothing_kept(
    chain: TesterChain, account: LocalAccount, probe: Contract
) -> None:
    tx_hash = sent(chain, account, to=probe.address, data=probe.encode_abi("store", (14,)))
    changed = answered(chain, tx_hash)
    changed["status"] = "0x0"
    changed["logs"][0]["data"] = "0x"
    changed["logs"].clear()
    assert answered(chain, tx_hash)["logs"][0]["data"] == "0x" + (14).to_bytes(32, "big").hex()


def test_a_receipt_asked_before_a_snapshot_revert_is_gone_after_it(
    chain: TesterChain, account: LocalAccount, probe: Contract
) -> None:
    snapshot = chain.snapshot()
    removed = sent(chain, account, to=probe.address, data=probe.encode_abi("store", (15,)))
    answered(chain, removed)
    chain.revert(snapshot)
    kept = sent(chain, account, to=probe.address, data=probe.encode_abi("store", (16,)))
    assert chain.node.get_receipt(removed) is None
    assert answered(chain, kept)["transactionHash"] == kept


def test_a_receipt_of_a_block_the_node_mined_comes_from_the_block_it_kept(
    chain: TesterChain, account: LocalAccount, probe: Contract
) -> None:
    tx_hash = sent(chain, account, to=probe.address, data=probe.encode_abi("store", (17,)))
    kept = answered(chain, tx_hash)
    block_hash = bytes.fromhex(kept["blockHash"][2:])
    assert block_hash in tester_receipts._blocks
    del tester_receipts._blocks[block_hash]
    chain.node.answers.clear()  # built again, from the database
    assert list(answered(chain, tx_hash).items()) == list(kept.items())


def eth_testers_logs(chain: TesterChain, number: int) -> list[dict[str, Any]]:
    """A block's logs as the node read them from eth-tester's block and receipts before."""
    tester = chain.node.tester
    return [
        log_to_rpc(log)
        for tx_hash in tester.get_block_by_number(number)["transactions"]
        for log in tester.get_transaction_receipt(tx_hash)["logs"]
    ]


def test_a_blocks_logs_are_its_receipts_logs_as_eth_tester_gives_them(
    chain: TesterChain, account: LocalAccount, probe: Contract
) -> None:
    first = chain.w3.eth.block_number + 1
    sent(chain, account, to=probe.address, data=probe.encode_abi("spawn", (3,)), gas=3_000_000)
    sent(chain, account, to=probe.address, data=probe.encode_abi("store", (13,)))
    sent(chain, account, to=probe.address, data=probe.encode_abi("revertWithReason", ()))
    snapshot = chain.snapshot()
    sent(chain, account, to=probe.address, data=probe.encode_abi("store", (14,)))
    chain.revert(snapshot)
    sent(chain, account, to=probe.address, data=probe.encode_abi("store", (15,)))  # same height
    source = chain.node.filters.source
    blocks = range(first, chain.w3.eth.block_number + 1)
    logs = [source.block_logs(number) for number in blocks]
    assert logs == [eth_testers_logs(chain, number) for number in blocks]
    assert [len(block) for block in logs] == [3, 1, 0, 1]
    assert int(logs[-1][0]["data"], 16) == 15
