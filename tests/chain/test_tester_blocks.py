"""A block the eth-tester node mined is answered from the block it remembers exactly as
eth-tester answers it from its database, with and without full transactions."""

from __future__ import annotations

from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from ogpu_sim.chain.jsonrpc import block_to_rpc
from ogpu_sim.chain.tester import TesterChain
from ogpu_sim.chain.tester_receipts import remembered_block

from .helpers import transact


def _eth_tester_block(node: Any, tag: Any, full: bool) -> Any:
    return block_to_rpc(node.tester.get_block_by_number(tag, full))


@pytest.mark.parametrize("full", [False, True])
def test_mined_blocks_answer_what_eth_tester_answers(
    chain: TesterChain, account: LocalAccount, probe: Contract, full: bool
) -> None:
    transact(chain.w3, account, probe.functions.store(3))
    transact(chain.w3, account, probe.functions.spawn(1))
    node = chain.node
    node.answers = type(node.answers)()  # nothing answered before
    head = node.head_number
    for number in range(head - 1, head + 1):
        remembered = remembered_block(node._canonical_hash(number))
        assert remembered is not None
        assert remembered.transactions
        assert node.get_block(hex(number), full) == _eth_tester_block(node, number, full)
    assert node.get_block("latest", full) == _eth_tester_block(node, "latest", full)
    pending = node.get_block("pending", full)
    assert pending is not None
    assert pending["number"] == hex(head + 1)


def test_a_block_the_node_does_not_remember_is_read_back(chain: TesterChain) -> None:
    node = chain.node
    node.answers = type(node.answers)()
    assert remembered_block(node._canonical_hash(0)) is None
    assert node.get_block("earliest", True) == _eth_tester_block(node, "earliest", True)


def test_a_mined_blocks_transaction_hashes_are_its_blocks_answer(
    chain: TesterChain, account: LocalAccount, probe: Contract
) -> None:
    sent = transact(chain.w3, account, probe.functions.store(4))
    node = chain.node
    head = node.head_number
    assert remembered_block(node._canonical_hash(head)) is not None
    assert node.transaction_hashes(head) == _eth_tester_block(node, head, False)["transactions"]
    assert node.transaction_hashes(head) == ["0x" + bytes(sent["transactionHash"]).hex()]
    assert node.transaction_hashes(0) == _eth_tester_block(node, 0, False)["transactions"]
    assert node.transaction_hashes(head + 1) is None
