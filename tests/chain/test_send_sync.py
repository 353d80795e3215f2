"""``eth_sendRawTransactionSync`` on the in-process chains when the send is not mined at once.

What every backend answers for a mined, a reverting and a bad transaction is pinned in the
conformance suite (anvil included); here: the waits and the faults, which anvil cannot show
without a 30 s timeout.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from ogpu_sim.chain import create_chain
from ogpu_sim.chain.inprocess import InProcessChain

from .helpers import IN_PROCESS, funded_account, signed_transfer

SYNC = "eth_sendRawTransactionSync"


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


def _sync(chain: InProcessChain, raw: bytes, *extra: Any) -> dict[str, Any]:
    return dict(chain.w3.provider.make_request(SYNC, ["0x" + raw.hex(), *extra]))  # type: ignore[arg-type]


def test_a_send_behind_a_nonce_gap_times_out_with_anvils_error_and_its_hash(
    chain: InProcessChain, sender: LocalAccount
) -> None:
    raw = signed_transfer(chain.w3, sender, nonce=1)

    error = _sync(chain, raw, "0x32")["error"]  # wait 50 ms

    assert error == {
        "code": -32603,
        "message": "Transaction confirmation timeout",
        "data": "0x" + keccak(raw).hex(),
    }


def test_a_timed_out_send_stays_queued_and_is_mined_when_its_gap_fills(
    chain: InProcessChain, sender: LocalAccount
) -> None:
    w3 = chain.w3
    _sync(chain, signed_transfer(w3, sender, nonce=1), "0x1")

    first = _sync(chain, signed_transfer(w3, sender, nonce=0))["result"]

    assert first["status"] == "0x1"
    assert w3.eth.get_transaction_count(sender.address) == 2


def test_while_mining_is_paused_a_sync_send_answers_once_mining_resumes(
    chain: InProcessChain, sender: LocalAccount
) -> None:
    raw = signed_transfer(chain.w3, sender)
    answers: list[dict[str, Any]] = []
    chain.faults.pause_mining()
    waiting = threading.Thread(target=lambda: answers.append(_sync(chain, raw)))
    waiting.start()
    time.sleep(0.05)
    assert answers == []  # still waiting: nothing mined it

    chain.faults.resume_mining()
    waiting.join(timeout=10)

    assert answers[0]["result"]["transactionHash"] == "0x" + keccak(raw).hex()
    assert answers[0]["result"]["status"] == "0x1"


def test_a_dropped_sync_send_times_out_at_once_and_is_logged_as_dropped(
    chain: InProcessChain, sender: LocalAccount
) -> None:
    raw = signed_transfer(chain.w3, sender)
    before = len(chain.faults.log)
    chain.faults.drop_next()

    error = _sync(chain, raw)["error"]

    assert (error["code"], error["data"]) == (-32603, "0x" + keccak(raw).hex())
    (record,) = chain.faults.log[before:]
    assert (record.kind, record.method, record.tx) == ("drop", SYNC, "0x" + keccak(raw).hex())
    assert chain.w3.eth.get_transaction_count(sender.address) == 0


def test_a_fault_for_plain_sends_fails_a_sync_send_too(
    chain: InProcessChain, sender: LocalAccount
) -> None:
    import requests

    before = len(chain.faults.log)
    chain.faults.fail_next(method="eth_sendRawTransaction")

    with pytest.raises(requests.ConnectionError):
        _sync(chain, signed_transfer(chain.w3, sender))

    assert chain.w3.eth.get_transaction_count(sender.address) == 0
    assert [(r.kind, r.method) for r in chain.faults.log[before:]] == [("fail", SYNC)]


def test_a_timeout_that_is_not_a_quantity_is_minus_32602(
    chain: InProcessChain, sender: LocalAccount
) -> None:
    error = _sync(chain, signed_transfer(chain.w3, sender), "soon")["error"]

    assert error["code"] == -32602
    assert chain.w3.eth.get_transaction_count(sender.address) == 0
