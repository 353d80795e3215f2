"""What the in-process eth-tester chain corrects beyond the shared conformance suite."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from eth_account.signers.local import LocalAccount
from web3.contract import Contract
from web3.exceptions import BlockNotFound, TransactionNotFound, Web3RPCError

from ogpu_sim.chain.tester import TesterChain
from ogpu_sim.errors import ChainError, ConfigError

from .helpers import deploy_probe, funded_account, transact


@pytest.fixture(autouse=True)
def isolated(chain: TesterChain, probe: Contract) -> Iterator[None]:
    snapshot_id = chain.snapshot()
    yield
    chain.revert(snapshot_id)


def test_an_estimate_with_a_stale_nonce_says_nonce_too_low(
    chain: TesterChain, account: LocalAccount
) -> None:
    w3 = chain.w3
    nonce = w3.eth.get_transaction_count(account.address)
    with pytest.raises(Web3RPCError, match="nonce too low"):
        w3.eth.estimate_gas({"from": account.address, "to": account.address, "nonce": nonce + 3})


def test_an_estimate_sees_the_wall_clock_after_a_sleep(
    chain: TesterChain, account: LocalAccount, probe: Contract
) -> None:
    chain.mine()
    time.sleep(1.1)
    not_before = int(time.time())
    receipt = transact(chain.w3, account, probe.functions.storeTimestampNotBefore(not_before))
    assert receipt["status"] == 1


def test_a_call_runs_in_the_pending_block_at_chain_time(
    chain: TesterChain, probe: Contract
) -> None:
    chain.advance_time(500)
    before = chain.now()
    seen = probe.functions.timestamp().call()
    assert before <= seen <= chain.now()


def test_the_pending_block_carries_now_and_the_next_number(chain: TesterChain) -> None:
    pending = chain.w3.eth.get_block("pending")
    assert pending["number"] == chain.w3.eth.block_number + 1
    assert pending["timestamp"] <= chain.now()


def test_a_custom_chain_id_is_answered_read_by_CHAINID_and_accepted_in_signatures() -> None:
    with TesterChain(chain_id=1071) as chain:
        account = funded_account(chain)
        probe = deploy_probe(chain.w3, account)
        assert (chain.w3.eth.chain_id, probe.functions.chainId().call()) == (1071, 1071)


@pytest.mark.parametrize("bad", [0, -5, 2**64, "1071", True])
def test_an_invalid_chain_id_raises_ConfigError_naming_it(bad: object) -> None:
    with pytest.raises(ConfigError, match=r"^chain_id: must be a positive integer"):
        TesterChain(chain_id=bad)  # type: ignore[arg-type]


def test_negative_time_jump_zero_blocks_and_negative_balance_are_refused(
    chain: TesterChain,
) -> None:
    with pytest.raises(ChainError, match="advance_time needs a whole number of seconds"):
        chain.advance_time(-1)
    with pytest.raises(ChainError, match="mine needs a block count >= 1"):
        chain.mine(0)
    with pytest.raises(ChainError, match="set_balance needs wei >= 0"):
        chain.set_balance("0x" + "11" * 20, -1)


def test_rpc_url_is_none_until_serve_which_is_idempotent() -> None:
    with TesterChain() as chain:
        assert chain.rpc_url is None
        url = chain.serve()
        assert url.startswith("http://127.0.0.1:")
        assert (chain.serve(), chain.rpc_url) == (url, url)


def test_an_unknown_method_answers_minus_32601_naming_it(chain: TesterChain) -> None:
    response = chain.w3.provider.make_request("foo_bar", [])  # type: ignore[arg-type]
    assert response["error"] == {
        "code": -32601,
        "message": "the method foo_bar does not exist/is not available",
    }


def test_eth_sendTransaction_from_an_account_it_holds_no_key_for_is_refused(
    chain: TesterChain, account: LocalAccount
) -> None:
    with pytest.raises(Web3RPCError, match=r"unknown account .*: this node unlocks only its dev"):
        chain.w3.eth.send_transaction({"from": account.address, "to": account.address})


def test_blocks_and_receipts_after_a_snapshot_are_gone_after_reverting_to_it(
    chain: TesterChain, account: LocalAccount, probe: Contract
) -> None:
    w3 = chain.w3
    head = w3.eth.block_number
    snapshot_id = chain.snapshot()
    receipt = transact(w3, account, probe.functions.store(9))
    chain.revert(snapshot_id)
    assert w3.eth.block_number == head
    with pytest.raises(BlockNotFound):
        w3.eth.get_block(head + 1)
    with pytest.raises(TransactionNotFound):
        w3.eth.get_transaction_receipt(receipt["transactionHash"])


def test_a_sent_transaction_is_mined_as_eth_testers_backend_mines_a_block(
    chain: TesterChain, account: LocalAccount, probe: Contract
) -> None:
    w3 = chain.w3
    before = w3.eth.get_block("latest")
    receipt = transact(w3, account, probe.functions.store(5))
    block = w3.eth.get_block("latest", full_transactions=False)
    assert block["number"] == before["number"] + 1 == receipt["blockNumber"]
    assert list(block["transactions"]) == [receipt["transactionHash"]]
    assert block["miner"] == "0x" + "00" * 20
    assert block["blobGasUsed"] == 0
    assert len(block["mixHash"]) == 32 and block["mixHash"] != before["mixHash"]
    assert block["parentHash"] == before["hash"]
    assert chain.node.chain.get_canonical_head().hash == bytes(block["hash"])
