"""chain.faults: calls that fail or lose their answer, paused and interval mining, dropped
transactions and reorgs, on the in-process chains and anvil, through web3 and over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from eth_account.signers.local import LocalAccount
from web3.contract import Contract
from web3.exceptions import TransactionNotFound, Web3RPCError

from ogpu_sim.chain import Chain, create_chain
from ogpu_sim.chain.faults import FaultRecord, HttpStatus, JsonRpcError, Timeout
from ogpu_sim.errors import ConfigError, SnapshotError

from .helpers import EVERY_BACKEND, deploy_probe, funded_account, signed_transfer, transact

SEND = "eth_sendRawTransaction"


@pytest.fixture(scope="module", params=EVERY_BACKEND)
def chain(request: pytest.FixtureRequest) -> Iterator[Chain]:
    with create_chain(request.param) as started:
        started.serve()
        yield started


@pytest.fixture(autouse=True)
def isolated(chain: Chain, probe: Contract) -> Iterator[None]:
    snapshot_id = chain.snapshot()
    yield
    chain.faults.reset()
    chain.revert(snapshot_id)


def _post(chain: Chain, method: str, *params: Any) -> requests.Response:
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
    return requests.post(str(chain.rpc_url), json=body, timeout=10)


# -- failing calls ---------------------------------------------------------------------------
def test_fail_next_resets_the_connection_before_the_call_takes_effect(
    chain: Chain, account: LocalAccount
) -> None:
    w3 = chain.w3
    nonce = w3.eth.get_transaction_count(account.address)
    start = len(chain.faults.log)
    chain.faults.fail_next(method=SEND)
    with pytest.raises(requests.ConnectionError, match="Connection reset by peer"):
        w3.eth.send_raw_transaction(signed_transfer(w3, account))
    assert w3.eth.get_transaction_count(account.address) == nonce
    assert [(r.kind, r.method, r.detail) for r in chain.faults.log[start:]] == [
        ("fail", SEND, "connection reset")
    ]


def test_an_http_error_on_an_idempotent_call_is_retried_by_web3_as_over_http(
    chain: Chain, probe: Contract
) -> None:
    fault = chain.faults.fail_next(method="eth_call", error=429)
    assert probe.functions.stored().call() == 0
    assert fault.hits == 1


def test_an_http_error_on_a_method_web3_does_not_retry_reaches_the_caller(chain: Chain) -> None:
    chain.faults.fail_next(method="eth_feeHistory", error=HttpStatus(503))
    with pytest.raises(requests.HTTPError, match="503 Server Error: Service Unavailable"):
        chain.w3.eth.fee_history(1, "latest")


def test_a_json_rpc_error_fault_answers_that_error(chain: Chain) -> None:
    chain.faults.fail_next(method="eth_chainId", error=JsonRpcError(-32005, "limit exceeded"))
    with pytest.raises(Web3RPCError, match="limit exceeded"):
        chain.w3.eth.chain_id  # noqa: B018


def test_a_fault_applies_to_the_next_matching_calls_only(chain: Chain) -> None:
    fault = chain.faults.fail_next(2, method="eth_chainId", error=JsonRpcError(-32000, "x"))
    chain.w3.eth.block_number  # noqa: B018 - another method is untouched
    for _ in range(2):
        with pytest.raises(Web3RPCError):
            chain.w3.eth.chain_id  # noqa: B018
    assert chain.w3.eth.chain_id == chain.chain_id
    assert (fault.hits, chain.faults.active) == (2, [])


def test_the_served_url_answers_an_http_fault_with_that_status(chain: Chain) -> None:
    chain.faults.fail_next(method="eth_blockNumber", error=503)
    response = _post(chain, "eth_blockNumber")
    assert response.status_code == 503
    assert _post(chain, "eth_blockNumber").status_code == 200


@pytest.mark.parametrize(
    ("error", "raised"),
    [
        ("reset", requests.ConnectionError),
        (Timeout(0.2), requests.ConnectionError),
        ("truncated", requests.exceptions.ChunkedEncodingError),
    ],
)
def test_the_served_url_breaks_the_connection_as_a_transport_fault_says(
    chain: Chain, error: Any, raised: type[Exception]
) -> None:
    chain.faults.fail_next(method="eth_blockNumber", error=error)
    with pytest.raises(raised):
        _post(chain, "eth_blockNumber")
    assert _post(chain, "eth_blockNumber").json()["result"].startswith("0x")


# -- lost answers and dropped transactions -----------------------------------------------------
def test_a_lost_answer_takes_effect_while_the_caller_sees_a_broken_connection(
    chain: Chain, account: LocalAccount
) -> None:
    w3 = chain.w3
    nonce = w3.eth.get_transaction_count(account.address)
    chain.faults.lose_next(method=SEND)
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        w3.eth.send_raw_transaction(signed_transfer(w3, account))
    record = chain.faults.log[-1]
    assert (record.kind, record.detail) == ("lose", "answer truncated")
    # anvil mines an accepted transaction just after answering, not before: wait for it
    assert w3.eth.wait_for_transaction_receipt(record.tx, timeout=10)["status"] == 1
    assert w3.eth.get_transaction_count(account.address) == nonce + 1


def test_a_dropped_transaction_is_answered_but_never_mined_and_later_ones_wait_behind_it(
    chain: Chain, account: LocalAccount
) -> None:
    w3 = chain.w3
    nonce = w3.eth.get_transaction_count(account.address)
    chain.faults.drop_next()
    dropped = w3.eth.send_raw_transaction(signed_transfer(w3, account, nonce=nonce))
    stuck = w3.eth.send_raw_transaction(signed_transfer(w3, account, nonce=nonce + 1))
    for tx_hash in (dropped, stuck):
        with pytest.raises(TransactionNotFound):
            w3.eth.get_transaction_receipt(tx_hash)
    assert w3.eth.get_transaction_count(account.address) == nonce
    assert chain.faults.log[-1] == FaultRecord(
        "drop", SEND, "accepted and dropped", chain.faults.log[-1].time, "0x" + dropped.hex()
    )
    # Filling the gap mines the waiting one (and leaves no pending transaction to later tests).
    w3.eth.send_raw_transaction(signed_transfer(w3, account, nonce=nonce))
    receipt = w3.eth.wait_for_transaction_receipt(stuck, timeout=10, poll_latency=0.05)
    assert receipt["status"] == 1
    assert w3.eth.get_transaction_count(account.address) == nonce + 2


# -- mining ------------------------------------------------------------------------------------
def test_while_mining_is_paused_sent_transactions_are_pending_without_receipts(
    chain: Chain, account: LocalAccount
) -> None:
    w3 = chain.w3
    head = w3.eth.block_number
    start = len(chain.faults.log)
    with chain.faults.pause_mining():
        tx_hash = w3.eth.send_raw_transaction(signed_transfer(w3, account))
        assert w3.eth.get_transaction(tx_hash)["blockNumber"] is None
        with pytest.raises(TransactionNotFound):
            w3.eth.get_transaction_receipt(tx_hash)
        assert w3.eth.block_number == head
    assert w3.eth.get_transaction_receipt(tx_hash)["blockNumber"] == head + 1
    assert [r.kind for r in chain.faults.log[start:]] == ["pause", "resume"]


def test_interval_mining_mines_pending_transactions_on_its_tick(
    chain: Chain, account: LocalAccount
) -> None:
    w3 = chain.w3
    chain.faults.mine_every(1)
    tx_hash = w3.eth.send_raw_transaction(signed_transfer(w3, account))
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=10, poll_latency=0.05)
    assert receipt["status"] == 1
    chain.faults.mine_every(None)
    assert chain.faults.mining == "auto"


# -- reorgs ------------------------------------------------------------------------------------
def test_a_reorg_replaces_the_last_blocks_and_undoes_their_transactions(
    chain: Chain, account: LocalAccount, probe: Contract
) -> None:
    w3 = chain.w3
    before = probe.functions.stored().call()
    receipt = transact(w3, account, probe.functions.store(41))
    replaced = w3.eth.get_block(receipt["blockNumber"])["hash"]

    assert chain.faults.reorg(1) == ["0x" + receipt["transactionHash"].hex()]

    assert probe.functions.stored().call() == before
    assert w3.eth.block_number == receipt["blockNumber"]
    assert w3.eth.get_block(receipt["blockNumber"])["hash"] != replaced
    with pytest.raises(TransactionNotFound):
        w3.eth.get_transaction_receipt(receipt["transactionHash"])


def test_a_reorg_with_remine_puts_the_transactions_in_new_blocks(
    chain: Chain, account: LocalAccount, probe: Contract
) -> None:
    w3 = chain.w3
    receipt = transact(w3, account, probe.functions.store(42))
    chain.faults.reorg(1, remine=True)
    again = w3.eth.get_transaction_receipt(receipt["transactionHash"])
    # A new block holds it (anvil may remine it at the same height, the in-process chains later).
    assert again["blockHash"] != receipt["blockHash"]
    assert again["blockNumber"] >= receipt["blockNumber"]
    assert probe.functions.stored().call() == 42


def test_a_snapshot_taken_after_the_fork_point_is_invalid_after_a_reorg(
    chain: Chain, account: LocalAccount, probe: Contract
) -> None:
    transact(chain.w3, account, probe.functions.store(1))
    snapshot_id = chain.snapshot()
    chain.faults.reorg(1)
    with pytest.raises(SnapshotError):
        chain.revert(snapshot_id)


def test_on_fault_hears_every_fault_and_may_use_the_chain(chain: Chain) -> None:
    heard: list[tuple[FaultRecord, int]] = []
    chain.faults.on_fault = lambda record: heard.append((record, chain.w3.eth.block_number))
    try:
        chain.faults.fail_next(method="eth_chainId", error=JsonRpcError(-32000, "no"))
        with pytest.raises(Web3RPCError):
            chain.w3.eth.chain_id  # noqa: B018
        chain.faults.pause_mining()
        chain.faults.resume_mining()
    finally:
        chain.faults.on_fault = None
    assert [record for record, _ in heard] == chain.faults.log[-3:]
    assert {block for _, block in heard} == {chain.w3.eth.block_number}


def test_bad_fault_arguments_raise_ConfigError_naming_them(chain: Chain) -> None:
    with pytest.raises(ConfigError, match=r"^n: must be a positive integer"):
        chain.faults.fail_next(0)
    with pytest.raises(ConfigError, match=r"^error: "):
        chain.faults.fail_next(error="explode")
    with pytest.raises(ConfigError, match=r"^error: an HTTP error status is 400-599"):
        chain.faults.fail_next(error=200)
    with pytest.raises(ConfigError, match=r"^seconds: "):
        chain.faults.mine_every(0)
    with pytest.raises(ConfigError, match=r"^depth: "):
        chain.faults.reorg(0)


# -- fixtures shared with the conftest's names ---------------------------------------------------
@pytest.fixture(scope="module")
def account(chain: Chain) -> LocalAccount:
    return funded_account(chain)


@pytest.fixture(scope="module")
def probe(chain: Chain, account: LocalAccount) -> Contract:
    return deploy_probe(chain.w3, account)
