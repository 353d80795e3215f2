"""The SDK's retry and recovery paths against a chain that misbehaves like a live network.

Every test goes through the unmodified ``ogpu`` SDK on a started Simulator, on each backend.
Slow by design where the SDK sleeps: its transient-error backoff is one second.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from ogpu.client import publish_task
from ogpu.protocol import vault
from ogpu.types import TaskInfo, TaskInput
from ogpu.types.errors import TxReceiptTimeoutError, TxRpcError

from ogpu_sim import Simulator
from ogpu_sim.chain.faults import HttpStatus, Reset
from ogpu_sim.simulate.spec import SAMPLE_SOURCES

from .helpers import EVERY_BACKEND

MULTIPLY = SAMPLE_SOURCES / "multiply"
ETHER = 10**18
SEND = "eth_sendRawTransaction"


@pytest.fixture(scope="module", params=EVERY_BACKEND)
def sim(request: pytest.FixtureRequest) -> Iterator[Simulator]:
    with Simulator.start(backend=request.param, runtime="inline") as started:
        yield started


@pytest.fixture(autouse=True)
def isolated(sim: Simulator) -> Iterator[None]:
    with sim.isolated():
        yield
        sim.chain.faults.reset()


def _state(sim: Simulator) -> tuple[int, int]:
    client = sim.accounts.client.address
    return vault.get_balance_of(client), sim.w3.eth.get_transaction_count(client)


def test_a_transient_error_on_the_send_is_retried_by_the_sdk_and_lands_once(
    sim: Simulator,
) -> None:
    balance, nonce = _state(sim)
    fault = sim.chain.faults.fail_next(method=SEND)

    receipt = vault.deposit(sim.accounts.client.address, ETHER, signer=sim.accounts.client.key)

    assert receipt.status == 1
    assert fault.hits == 1
    assert _state(sim) == (balance + ETHER, nonce + 1)
    assert [(r.kind, r.method, r.detail) for r in sim.chain.faults.log[-1:]] == [
        ("fail", SEND, "connection reset")
    ]


def test_a_lost_answer_surfaces_as_the_sdks_typed_error_with_one_transaction_on_chain(
    sim: Simulator,
) -> None:
    balance, nonce = _state(sim)
    sim.chain.faults.lose_next(method=SEND)

    with pytest.raises(TxRpcError):
        vault.deposit(sim.accounts.client.address, ETHER, signer=sim.accounts.client.key)

    assert _state(sim) == (balance + ETHER, nonce + 1)
    record = sim.chain.faults.log[-1]
    assert (record.kind, record.method) == ("lose", SEND)
    assert sim.w3.eth.get_transaction_receipt(record.tx)["status"] == 1


@pytest.mark.parametrize("error", [Reset(), HttpStatus(504)], ids=["reset", "http-504"])
def test_a_lost_answer_the_sdk_cannot_tell_from_a_failed_send_makes_it_publish_twice(
    sim: Simulator, error: Any
) -> None:
    # The SDK retries a reset send as transient; web3 retries a 504 send and the SDK then takes
    # the node's "nonce too low" for a collision: either way a second transaction lands.
    balance, nonce = _state(sim)
    sim.chain.faults.lose_next(method=SEND, error=error)

    vault.deposit(sim.accounts.client.address, ETHER, signer=sim.accounts.client.key)

    assert _state(sim) == (balance + 2 * ETHER, nonce + 2)


def test_with_mining_paused_the_receipt_wait_times_out_and_the_task_lands_after_resume(
    sim: Simulator,
) -> None:
    source = sim.publish_source_from_folder(MULTIPLY)
    info = TaskInfo(
        source=source.address,
        config=TaskInput(function_name="multiply", data={"a": 6, "b": 7}),
        expiryTime=sim.now() + 3_600,
        payment=10**15,
    )
    with sim.chain.faults.pause_mining():
        with pytest.raises(TxReceiptTimeoutError) as info_error:
            publish_task(info, receipt_timeout=1)
        tx_hash = info_error.value.tx_hash
        assert sim.w3.eth.get_transaction(tx_hash)["blockNumber"] is None
    assert sim.w3.eth.get_transaction_receipt(tx_hash)["status"] == 1


def test_a_reorg_of_depth_one_undoes_the_last_blocks_effect_on_the_vault(sim: Simulator) -> None:
    balance, nonce = _state(sim)
    receipt = vault.deposit(sim.accounts.client.address, ETHER, signer=sim.accounts.client.key)
    assert _state(sim) == (balance + ETHER, nonce + 1)
    head = sim.w3.eth.block_number

    undone = sim.chain.faults.reorg(1)

    assert undone == [receipt.tx_hash]
    assert _state(sim) == (balance, nonce)
    assert sim.w3.eth.block_number == head
    assert sim.w3.eth.get_block(head)["transactions"] == []
