"""Signed sends from many accounts at once: every nonce accounted for, every wei where it
should be."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from eth_account.signers.local import LocalAccount
from ogpu.protocol import vault
from web3 import Web3

from ogpu_sim import Simulator

from .conftest import Tally

pytestmark = pytest.mark.xdist_group("reliability-sim")

SENDERS = 16
SENDS_EACH = 8
VALUE = 10**12


def test_raw_transfers_from_16_accounts_at_once_over_json_rpc(
    isolated: Simulator, tally: Tally
) -> None:
    sim = isolated
    senders = [sim.accounts.new(f"sender-{i}") for i in range(SENDERS)]
    sink = sim.accounts.new("sink", balance=0).address
    start = {a.address: sim.w3.eth.get_balance(a.address) for a in senders}

    def send_all(account: LocalAccount) -> list[str]:
        w3 = Web3(Web3.HTTPProvider(sim.rpc_url, request_kwargs={"timeout": 60}))
        hashes = []
        for nonce in range(SENDS_EACH):
            signed = account.sign_transaction(
                {
                    "to": sink,
                    "value": VALUE,
                    "nonce": nonce,
                    "gas": 21_000,
                    "maxFeePerGas": 10 * 10**9,
                    "maxPriorityFeePerGas": 10**9,
                    "chainId": sim.chain_id,
                }
            )
            hashes.append(w3.eth.send_raw_transaction(signed.raw_transaction).to_0x_hex())
        return hashes

    with ThreadPoolExecutor(SENDERS) as pool:
        sent = dict(zip([a.address for a in senders], pool.map(send_all, senders), strict=True))

    receipts = {
        address: [sim.w3.eth.wait_for_transaction_receipt(h, timeout=60) for h in hashes]
        for address, hashes in sent.items()
    }
    assert all(r["status"] == 1 for rs in receipts.values() for r in rs)
    assert {a: sim.w3.eth.get_transaction_count(a) for a in sent} == dict.fromkeys(sent, SENDS_EACH)
    assert sim.w3.eth.get_balance(sink) == SENDERS * SENDS_EACH * VALUE
    for address, rs in receipts.items():
        gas = sum(r["gasUsed"] * r["effectiveGasPrice"] for r in rs)
        assert sim.w3.eth.get_balance(address) == start[address] - SENDS_EACH * VALUE - gas
    tally("load", SENDERS * SENDS_EACH)


def test_sdk_deposits_from_8_accounts_at_once_land_exactly(
    isolated: Simulator, tally: Tally
) -> None:
    sim = isolated
    depositors = [sim.accounts.new(f"depositor-{i}") for i in range(8)]
    vault_address = sim.deployment.addresses["VAULT"]
    held_before = sim.w3.eth.get_balance(vault_address)

    def deposit_three(index_and_account: tuple[int, LocalAccount]) -> None:
        index, account = index_and_account
        for round_ in range(3):
            amount = (index + 1) * 10**15 + round_
            vault.deposit(account.address, amount, signer=account.key)

    with ThreadPoolExecutor(len(depositors)) as pool:
        list(pool.map(deposit_three, enumerate(depositors)))

    expected = {a.address: 3 * (i + 1) * 10**15 + 3 for i, a in enumerate(depositors)}
    assert {a.address: vault.get_balance_of(a.address) for a in depositors} == expected
    assert {a.address: sim.w3.eth.get_transaction_count(a.address) for a in depositors} == (
        dict.fromkeys(expected, 3)
    )
    assert sim.w3.eth.get_balance(vault_address) == held_before + sum(expected.values())
    tally("load", 3 * len(depositors))
