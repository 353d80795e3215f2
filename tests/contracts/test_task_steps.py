"""A Task's owner-only steps: what Nexus hands them and what they answer beyond the ABI.

Nexus.attempt and Nexus.submitResponse leave a task's own checks to the Task's ``attempt`` and
``submitResponse`` (docs/protocol-decisions.md, "Task steps"). Their ABI entries declare no
outputs, as the SDK's do; to Nexus they answer two words, an outcome and the task's source,
and ``submitResponse`` reads the response's payment and already-submitted key after its ABI
arguments. These tests call them as Nexus does (an ``eth_call`` from Nexus's address).
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from eth_abi import decode, encode
from eth_utils import keccak
from web3.contract import Contract

from ogpu_sim import artifacts
from tests.contracts.harness import ETHER, FIRST, MANUAL, Net, reverts

P = 10**16
RECORDED, FIRST_ATTEMPT, EXPIRED, RESPONDED, FINALIZED = range(5)


def step(net: Net, task: Contract, call: bytes) -> tuple[int, str]:
    """Run ``call`` on ``task`` as its owner, Nexus, and decode the two words it answers."""
    if net.w3.eth.get_balance(net.nexus.address) == 0:
        # eth-tester makes a call's sender afford its gas; Nexus takes no plain transfer, so
        # a contract whose creation code self-destructs to it pays it.
        creation = "0x73" + net.nexus.address[2:] + "ff"
        funder = net.w3.eth.accounts[0]
        with warnings.catch_warnings():  # py-evm warns of every SELFDESTRUCT it runs
            warnings.simplefilter("ignore", DeprecationWarning)
            net.w3.eth.send_transaction({"from": funder, "data": creation, "value": ETHER})
    answer = net.w3.eth.call(
        {"from": net.nexus.address, "to": task.address, "data": call}, "pending"
    )
    outcome, source = decode(["uint256", "address"], answer)
    return outcome, net.w3.to_checksum_address(source)


def attempt_call(task: Contract, provider: str) -> bytes:
    return bytes.fromhex(task.functions.attempt(provider)._encode_transaction_data()[2:])


def submit_call(task: Contract, response: str, provider: str, payment: int, data: str) -> bytes:
    head = task.functions.submitResponse(response, provider)._encode_transaction_data()
    key = keccak(encode(["address"], [provider])[12:] + data.encode())
    return bytes.fromhex(head[2:]) + encode(["uint256", "bytes32"], [payment, key])


def abi_entry(name: str) -> dict[str, Any]:
    (entry,) = [e for e in artifacts.load("Task")["abi"] if e.get("name") == name]
    return entry


def test_the_steps_declare_no_outputs_in_the_abi() -> None:
    assert abi_entry("attempt")["outputs"] == []
    assert abi_entry("submitResponse")["outputs"] == []


def test_a_first_attempt_answers_first_attempt_and_the_source(net: Net) -> None:
    source = net.ready_source()
    task = net.publish_task(source)
    assert step(net, task, attempt_call(task, net.provider.address)) == (
        FIRST_ATTEMPT,
        source.address,
    )


def test_a_later_attempt_answers_recorded(net: Net) -> None:
    source = net.ready_source()
    task = net.publish_task(source)
    net.attempt(task, net.provider)
    assert step(net, task, attempt_call(task, net.provider2.address)) == (
        RECORDED,
        source.address,
    )


def test_an_attempt_past_expiry_answers_expired(net: Net) -> None:
    source = net.ready_source()
    task = net.publish_task(source, expires_in=60)
    net.advance(61)
    assert step(net, task, attempt_call(task, net.provider.address)) == (EXPIRED, source.address)


@pytest.mark.parametrize(
    ("delivery", "outcome"),
    [(FIRST, FINALIZED), (MANUAL, RESPONDED)],
    ids=["first-response-finalizes", "manual-responds"],
)
def test_a_response_to_an_attempted_task_answers_its_transition(
    net: Net, delivery: int, outcome: int
) -> None:
    source = net.ready_source(delivery)
    task = net.publish_task(source)
    net.attempt(task, net.provider)
    call = submit_call(task, net.stranger.address, net.provider.address, P, "ipfs://out")
    assert step(net, task, call) == (outcome, source.address)


def test_a_manual_response_to_a_responded_task_answers_recorded(net: Net) -> None:
    source = net.ready_source()
    task = net.publish_task(source)
    net.attempt(task, net.provider)
    net.attempt(task, net.provider2)
    net.respond(task, net.provider)
    call = submit_call(task, net.stranger.address, net.provider2.address, P, "ipfs://other")
    assert step(net, task, call) == (RECORDED, source.address)


def test_the_payment_after_the_abi_arguments_is_checked_against_the_task(net: Net) -> None:
    task = net.publish_task(net.ready_source(), payment=P)
    net.attempt(task, net.provider)
    call = submit_call(task, net.stranger.address, net.provider.address, P + 1, "ipfs://out")
    with reverts("InvalidPayment"):
        step(net, task, call)


def test_the_key_after_the_abi_arguments_is_the_one_recorded(net: Net) -> None:
    task = net.publish_task(net.ready_source())
    net.attempt(task, net.provider)
    net.respond(task, net.provider, data="ipfs://out")
    key = keccak(bytes.fromhex(net.provider.address[2:]) + b"ipfs://out")
    assert task.functions.isAlreadySubmitted(key).call() is True
