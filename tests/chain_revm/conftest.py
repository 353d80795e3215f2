"""Shared set-up for the revm backend's tests: one chain per module, a funded signer, Probe."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

pytest.importorskip("pyrevm", reason="the revm backend needs PyPI pyrevm")

from ogpu_sim.chain.revm import RevmChain

ARTIFACT = json.loads((Path(__file__).with_name("probe_artifact.json")).read_text())["contracts"]
CHAIN_ID = 1071
FUNDS = 10**21


@pytest.fixture(scope="module")
def chain() -> Iterator[RevmChain]:
    revm = RevmChain(chain_id=CHAIN_ID)
    try:
        yield revm
    finally:
        revm.close()


@pytest.fixture(scope="module")
def signer(chain: RevmChain) -> LocalAccount:
    account = Account.from_key("0x" + "42" * 32)
    chain.set_balance(account.address, FUNDS)
    return account


def send(chain: RevmChain, signer: LocalAccount, tx: dict[str, Any]) -> Any:
    """Sign ``tx`` (nonce, fees and gas filled in where absent), send it, return the receipt."""
    w3 = chain.w3
    tx = {"from": signer.address, "chainId": CHAIN_ID, **tx}
    tx.setdefault("nonce", w3.eth.get_transaction_count(signer.address))
    if "gas" not in tx:
        tx["gas"] = w3.eth.estimate_gas(tx)
    tx.setdefault("maxFeePerGas", 2 * 10**9)
    tx.setdefault("maxPriorityFeePerGas", 10**9)
    tx_hash = w3.eth.send_raw_transaction(signer.sign_transaction(tx).raw_transaction)
    return w3.eth.get_transaction_receipt(tx_hash)


@pytest.fixture(scope="module")
def probe(chain: RevmChain, signer: LocalAccount) -> Any:
    factory = chain.w3.eth.contract(abi=ARTIFACT["Probe"]["abi"],
                                    bytecode=ARTIFACT["Probe"]["bytecode"])
    receipt = send(chain, signer, {"data": factory.constructor().data_in_transaction})
    return chain.w3.eth.contract(address=receipt["contractAddress"], abi=ARTIFACT["Probe"]["abi"])


@pytest.fixture
def isolated(chain: RevmChain) -> Iterator[RevmChain]:
    """The module's chain, reverted to where it was after the test."""
    snapshot_id = chain.snapshot()
    try:
        yield chain
    finally:
        chain.revert(snapshot_id)
