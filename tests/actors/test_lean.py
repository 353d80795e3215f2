"""The providers' lean path: real signed transactions, local nonces, fixed gas, SDK errors."""

from __future__ import annotations

import pytest
from eth_utils import function_signature_to_4byte_selector
from ogpu.protocol import vault
from ogpu.types import DeliveryMethod, TaskStatus

from ogpu_sim.actors import lean

FIRST = DeliveryMethod.FIRST_RESPONSE
ATTEMPT = function_signature_to_4byte_selector("attempt(address,address,uint256)")
SUBMIT = function_signature_to_4byte_selector("submitResponse((address,address,string,uint256))")


def mined_since(sim, block: int) -> list[dict]:
    """Every transaction mined after ``block``, oldest first."""
    head = sim.w3.eth.block_number
    return [
        tx
        for number in range(block + 1, head + 1)
        for tx in sim.w3.eth.get_block(number, full_transactions=True)["transactions"]
    ]


def test_a_lifecycle_is_two_signed_nexus_calls_from_the_provider(sim, make_source, make_task):
    source = make_source(deliveryMethod=FIRST)
    provider = sim.add_provider(source)
    make_task(source)
    start = sim.w3.eth.block_number

    sim.run_until_idle()

    sent = [(tx["from"], tx["to"], bytes(tx["input"][:4])) for tx in mined_since(sim, start)]
    nexus = sim.deployment.addresses["NEXUS"]
    assert sent == [(provider.address, nexus, ATTEMPT), (provider.address, nexus, SUBMIT)]


def test_the_fixed_gas_limits_are_at_least_twice_the_gas_used(sim, make_source, make_task):
    source = make_source(deliveryMethod=FIRST)
    sim.add_provider(source)
    make_task(source)
    start = sim.w3.eth.block_number

    sim.run_until_idle()

    for tx in mined_since(sim, start):
        receipt = sim.w3.eth.get_transaction_receipt(tx["hash"])
        assert (receipt["status"], receipt["gasUsed"] * 2 <= tx["gas"]) == (1, True)


def test_a_late_submission_records_the_sdks_typed_error_word_for_word(sim, make_source, make_task):
    source = make_source()
    late = sim.add_provider(source, behaviour="late")
    task = make_task(source, expires_in=30)
    sim.run_until_idle()
    sim.advance_time(31)

    sim.run_until_idle()

    (revert,) = [e for e in sim.timeline if e.name == "revert"]
    context = f"Nexus.submitResponse({task.address}, {late.address})"
    assert revert.args["detail"] == (
        f"submitResponse: TaskExpiredError: Task {context} expired at unix timestamp 0"
    )
    assert task.get_status() == TaskStatus.EXPIRED


def test_the_provider_resyncs_its_nonce_after_its_key_was_used_elsewhere(
    sim, make_source, make_task
):
    source = make_source(deliveryMethod=FIRST)
    provider = sim.add_provider(source)
    make_task(source)
    sim.run_until_idle()
    vault.deposit(provider.address, 1, signer=provider.account)  # the same key, through the SDK
    task = make_task(source)

    sim.run_until_idle()

    assert task.get_status() == TaskStatus.FINALIZED
    assert provider.state.nonce == sim.w3.eth.get_transaction_count(provider.address)


def test_a_revert_gives_the_provider_back_the_nonce_it_had(sim, make_source, make_task):
    source = make_source(deliveryMethod=FIRST)
    provider = sim.add_provider(source)
    snapshot = sim.snapshot()
    make_task(source)
    sim.run_until_idle()

    sim.revert(snapshot)

    assert provider.state.nonce == sim.w3.eth.get_transaction_count(provider.address)
    task = make_task(source)
    sim.run_until_idle()
    assert task.get_status() == TaskStatus.FINALIZED


def test_a_call_that_runs_out_of_gas_is_sent_again_with_an_estimate(
    sim, make_source, make_task, monkeypatch
):
    monkeypatch.setitem(lean.GAS_LIMITS, "attempt", 60_000)
    source = make_source(deliveryMethod=FIRST)
    provider = sim.add_provider(source)
    task = make_task(source)
    start = sim.w3.eth.block_number

    sim.run_until_idle()

    attempts = [tx for tx in mined_since(sim, start) if bytes(tx["input"][:4]) == ATTEMPT]
    outcomes = [sim.w3.eth.get_transaction_receipt(tx["hash"])["status"] for tx in attempts]
    assert (outcomes, attempts[0]["gas"]) == ([0, 1], 60_000)
    assert [e.name for e in sim.timeline if e.emitter == provider.address] == [
        "attempt",
        "respond",
    ]
    assert task.get_status() == TaskStatus.FINALIZED


def test_a_provider_stepped_without_the_drivers_board_reads_the_chain(sim, make_source, make_task):
    source = make_source()
    provider = sim.add_provider(source)
    task = make_task(source)

    assert provider.discover() == 1

    assert task.get_status() == TaskStatus.ATTEMPTED
    assert task.get_attempters() == [provider.address]


@pytest.mark.parametrize(
    "fees",
    [{"maxFeePerGas": 3 * 10**9, "maxPriorityFeePerGas": 10**9}, {"gasPrice": 2 * 10**9}],
    ids=["eip1559", "legacy"],
)
def test_signing_gives_the_bytes_eth_account_gives(sim, fees):
    account = sim.accounts.provider
    tx = {
        "to": sim.deployment.addresses["NEXUS"],
        "data": "0x" + lean.encode_call("attempt", (account.address, account.address, 7)).hex(),
        "value": 0,
        "gas": 600_000,
        "nonce": 12,
        "chainId": sim.chain_id,
        **fees,
    }

    raw = lean.sign(lean.signer(account), tx)

    assert raw == bytes(account.sign_transaction(tx).raw_transaction)


def test_after_a_reorg_undid_its_transaction_the_provider_reads_its_nonce_again(
    sim, make_source, make_task
):
    source = make_source(deliveryMethod=FIRST)
    provider = sim.add_provider(source)
    make_task(source)
    sim.run_until_idle()
    sim.chain.faults.reorg(1)  # the submitResponse is undone

    task = make_task(source)
    sim.run_until_idle()

    assert task.get_status() == TaskStatus.FINALIZED
    assert provider.state.nonce == sim.w3.eth.get_transaction_count(provider.address)
