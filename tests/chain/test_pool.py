"""The in-process chains' transaction pool: future nonces wait for their gap, as on geth/anvil."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from web3.exceptions import Web3RPCError

from ogpu_sim.chain import create_chain
from ogpu_sim.chain.inprocess import InProcessChain

from .helpers import IN_PROCESS, funded_account, signed_transfer

GWEI = 10**9


@pytest.fixture(scope="module", params=IN_PROCESS)
def chain(request: pytest.FixtureRequest) -> Iterator[Any]:
    with create_chain(request.param) as started:
        assert isinstance(started, InProcessChain)
        yield started


@pytest.fixture(autouse=True)
def isolated(chain: InProcessChain) -> Iterator[None]:
    snapshot_id = chain.snapshot()
    yield
    chain.faults.reset()
    chain.revert(snapshot_id)


@pytest.fixture
def sender(chain: InProcessChain) -> LocalAccount:
    return funded_account(chain)


def _pool(chain: InProcessChain, method: str, *params: Any) -> Any:
    return chain.w3.provider.make_request(method, list(params))["result"]  # type: ignore[arg-type]


def test_two_hundred_transfers_sent_in_shuffled_nonce_order_all_land(
    chain: InProcessChain, sender: LocalAccount
) -> None:
    w3 = chain.w3
    other = "0x" + "42" * 20
    raws = [
        signed_transfer(w3, sender, nonce=n, to=w3.to_checksum_address(other)) for n in range(200)
    ]
    random.Random(7).shuffle(raws)
    for raw in raws:
        w3.eth.send_raw_transaction(raw)
    assert w3.eth.get_transaction_count(sender.address) == 200
    assert w3.eth.get_balance(other) == 200
    assert _pool(chain, "txpool_status") == {"pending": "0x0", "queued": "0x0"}


def test_a_future_nonce_waits_in_the_queue_and_is_mined_when_the_gap_fills(
    chain: InProcessChain, sender: LocalAccount
) -> None:
    w3 = chain.w3
    waiting = w3.eth.send_raw_transaction(signed_transfer(w3, sender, nonce=1))
    assert _pool(chain, "txpool_status") == {"pending": "0x0", "queued": "0x1"}
    assert list(_pool(chain, "txpool_content")["queued"][sender.address]) == ["1"]
    assert w3.eth.get_transaction(waiting)["blockNumber"] is None
    assert w3.eth.get_transaction_count(sender.address, "pending") == 0

    w3.eth.send_raw_transaction(signed_transfer(w3, sender, nonce=0))
    assert w3.eth.get_transaction_receipt(waiting)["status"] == 1
    assert w3.eth.get_transaction_count(sender.address) == 2


def test_sending_a_queued_transaction_again_is_already_known(
    chain: InProcessChain, sender: LocalAccount
) -> None:
    raw = signed_transfer(chain.w3, sender, nonce=3)
    chain.w3.eth.send_raw_transaction(raw)
    with pytest.raises(Web3RPCError, match="already known"):
        chain.w3.eth.send_raw_transaction(raw)


def test_pending_transactions_count_in_the_pending_nonce_while_mining_is_paused(
    chain: InProcessChain, sender: LocalAccount
) -> None:
    w3 = chain.w3
    with chain.faults.pause_mining():
        hashes = [w3.eth.send_raw_transaction(signed_transfer(w3, sender, nonce=n)) for n in (0, 1)]
        assert w3.eth.get_transaction_count(sender.address, "pending") == 2
        assert w3.eth.get_transaction_count(sender.address, "latest") == 0
        assert _pool(chain, "txpool_status") == {"pending": "0x2", "queued": "0x0"}
        assert w3.eth.get_transaction(hashes[0])["blockHash"] is None
    assert [w3.eth.get_transaction_receipt(h)["status"] for h in hashes] == [1, 1]


def test_a_pending_transaction_is_replaced_only_by_one_paying_ten_percent_more(
    chain: InProcessChain, sender: LocalAccount
) -> None:
    w3 = chain.w3
    fees = {"maxFeePerGas": 10 * GWEI, "maxPriorityFeePerGas": GWEI}
    with chain.faults.pause_mining():
        w3.eth.send_raw_transaction(signed_transfer(w3, sender, nonce=0, **fees))
        cheap = {"maxFeePerGas": 10 * GWEI + 1, "maxPriorityFeePerGas": GWEI + 1}
        with pytest.raises(Web3RPCError, match="replacement transaction underpriced"):
            w3.eth.send_raw_transaction(signed_transfer(w3, sender, nonce=0, value=2, **cheap))
        bumped = {"maxFeePerGas": 11 * GWEI, "maxPriorityFeePerGas": 2 * GWEI}
        replacement = w3.eth.send_raw_transaction(
            signed_transfer(w3, sender, nonce=0, value=3, **bumped)
        )
    assert w3.eth.get_transaction_receipt(replacement)["status"] == 1
    assert w3.eth.get_transaction(replacement)["value"] == 3


def test_a_revert_empties_the_pool(chain: InProcessChain, sender: LocalAccount) -> None:
    snapshot_id = chain.snapshot()
    chain.w3.eth.send_raw_transaction(signed_transfer(chain.w3, sender, nonce=5))
    chain.revert(snapshot_id)
    assert _pool(chain, "txpool_status") == {"pending": "0x0", "queued": "0x0"}


def test_evm_setAutomine_and_anvil_dropTransaction_work_as_on_anvil(
    chain: InProcessChain, sender: LocalAccount
) -> None:
    w3 = chain.w3
    assert _pool(chain, "evm_setAutomine", False) is None
    assert _pool(chain, "anvil_getAutomine") is False
    kept = w3.eth.send_raw_transaction(signed_transfer(w3, sender, nonce=0))
    dropped = w3.eth.send_raw_transaction(signed_transfer(w3, sender, nonce=1))
    assert _pool(chain, "anvil_dropTransaction", "0x" + dropped.hex()) == "0x" + dropped.hex()
    _pool(chain, "evm_setAutomine", True)
    assert w3.eth.get_transaction_receipt(kept)["status"] == 1
    assert w3.eth.get_transaction_count(sender.address) == 1
    assert [r.kind for r in chain.faults.log[-2:]] == ["pause", "resume"]


def test_evm_mine_mines_one_pending_transaction_per_block(
    chain: InProcessChain, sender: LocalAccount
) -> None:
    w3 = chain.w3
    with chain.faults.pause_mining():
        hashes = [w3.eth.send_raw_transaction(signed_transfer(w3, sender, nonce=n)) for n in (0, 1)]
        head = w3.eth.block_number
        chain.mine()
        assert w3.eth.get_transaction_receipt(hashes[0])["blockNumber"] == head + 1
        assert w3.eth.get_transaction(hashes[1])["blockNumber"] is None
    assert w3.eth.get_transaction_receipt(hashes[1])["blockNumber"] == head + 2


def test_a_transaction_a_dev_account_signs_waits_in_the_pool_like_any_other(
    chain: InProcessChain,
) -> None:
    w3 = chain.w3
    dev = w3.eth.accounts[0]
    with chain.faults.pause_mining():
        tx_hash = w3.eth.send_transaction({"from": dev, "to": dev, "value": 1})
        assert _pool(chain, "txpool_status") == {"pending": "0x1", "queued": "0x0"}
    assert w3.eth.get_transaction_receipt(tx_hash)["status"] == 1
