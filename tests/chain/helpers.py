"""Shared helpers for the chain tests: the Probe test contract and signed transactions."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract import Contract
from web3.types import TxReceipt

from ogpu_sim.chain import Chain
from ogpu_sim.chain.tester import TesterChain
from ogpu_sim.chain.tester_calls import build_call
from ogpu_sim.chain.tester_evm import lean_computation

IN_CI = os.environ.get("CI", "").lower() == "true"
"""In CI nothing optional may be skipped: a missing anvil binary must fail, not skip."""
IN_PROCESS = ("eth-tester", "revm")
"""The backends whose node runs in this process (pyrevm is a dev dependency: never skipped)."""


def _anvil_missing() -> bool:
    from ogpu_sim.chain.anvil import AnvilNotFoundError, find_anvil

    try:
        find_anvil()
    except AnvilNotFoundError:
        return True
    return False


SKIP_WITHOUT_ANVIL = pytest.mark.skipif(
    _anvil_missing() and not IN_CI, reason="anvil binary absent (make install)"
)
"""A test that starts anvil is skipped locally without the binary (in CI it fails)."""

ANVIL = pytest.param(
    "anvil",
    marks=[pytest.mark.anvil, SKIP_WITHOUT_ANVIL],
)
EVERY_BACKEND = (*IN_PROCESS, ANVIL)
"""eth-tester, revm and anvil (skipped locally without the binary; a failure in CI)."""

PROBE = json.loads((Path(__file__).parent / "data" / "probe.json").read_text())["Probe"]
ETHER = 10**18


def funded_account(chain: Chain, wei: int = 100 * ETHER) -> LocalAccount:
    """A fresh key whose address the chain funds with ``wei``."""
    account: LocalAccount = Account.create()
    chain.set_balance(account.address, wei)
    return account


def send(w3: Web3, account: LocalAccount, tx: dict[str, Any]) -> TxReceipt:
    """Fill, sign and send ``tx`` from ``account`` (nonce from the chain); wait for the receipt."""
    tx = dict(tx)
    tx.setdefault("from", account.address)
    tx.setdefault("nonce", w3.eth.get_transaction_count(account.address))
    tx.setdefault("chainId", w3.eth.chain_id)
    tx.setdefault("maxPriorityFeePerGas", 10**9)
    tx.setdefault("maxFeePerGas", 10 * 10**9)
    if "gas" not in tx:
        tx["gas"] = w3.eth.estimate_gas(tx)  # type: ignore[arg-type]
    signed = account.sign_transaction(tx)
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    return w3.eth.wait_for_transaction_receipt(tx_hash, timeout=10)


def transact(w3: Web3, account: LocalAccount, function: Any, **overrides: Any) -> TxReceipt:
    """Build (estimating gas like the SDK does), sign and send a contract function call."""
    params = {"from": account.address, "nonce": w3.eth.get_transaction_count(account.address)}
    params.update(overrides)
    return send(w3, account, function.build_transaction(params))


def deploy_probe(w3: Web3, account: LocalAccount) -> Contract:
    """Deploy the Probe test contract (tests/chain/data/Probe.sol)."""
    factory = w3.eth.contract(abi=PROBE["abi"], bytecode=PROBE["bytecode"])
    receipt = transact(w3, account, factory.constructor())
    assert receipt["status"] == 1
    return w3.eth.contract(address=receipt["contractAddress"], abi=PROBE["abi"])


def signed_transfer(w3: Web3, account: LocalAccount, **fields: Any) -> bytes:
    """A raw signed 1-wei self-transfer; ``fields`` override nonce, chainId, ..."""
    tx: dict[str, Any] = {
        "to": account.address,
        "value": 1,
        "gas": 21_000,
        "maxFeePerGas": 10 * 10**9,
        "maxPriorityFeePerGas": 10**9,
        "nonce": w3.eth.get_transaction_count(account.address),
        "chainId": w3.eth.chain_id,
    }
    tx.update(fields)
    return bytes(account.sign_transaction(tx).raw_transaction)


@contextmanager
def trie_caches() -> Iterator[None]:
    """The eth-tester node's trie caches installed for a while (``chain/tester_trie.py``)."""
    from ogpu_sim.chain import tester_trie

    tester_trie.acquire()
    try:
        yield
    finally:
        tester_trie.release()


def run_both(
    chain: TesterChain,
    call: dict[str, Any],
    overrides: dict[str, Any] | None = None,
    *,
    committed: str | None = None,
) -> tuple[Any, Any]:
    """``call``'s outcome with py-evm's computation class and with the lean one: output, gas
    left, refund, logs, error, state root.

    With ``committed`` (an address), ``overrides`` are committed before the call (locked into
    the state, as a mined block's are, so an SSTORE's original values are the overridden ones)
    and the outcome ends with that account's slot 0.
    """
    outcomes = []
    node = chain.node
    for lean in (False, True):
        with chain.lock:
            state, header, vm = node._fresh_state("latest", overrides)
            if committed is not None:
                state.lock_changes()
            base = type(state).computation_class.__mro__[1]
            state.computation_class = lean_computation(base) if lean else base
            tx, _sender = build_call(
                vm, state, header.gas_limit, node.chain_id, call, keep_nonce=False
            )
            computation = state.apply_transaction(tx)
            state.persist()
            outcome: tuple[Any, ...] = (
                computation.output if computation.is_success else b"",
                computation.get_gas_remaining(),
                computation.get_gas_refund(),
                computation.get_log_entries(),
                repr(computation.error) if computation.is_error else None,
                state.state_root,
            )
            if committed is not None:
                outcome += (state.get_storage(bytes.fromhex(committed[2:]), 0),)
            outcomes.append(outcome)
    return outcomes[0], outcomes[1]
