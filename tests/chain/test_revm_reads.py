"""Reads through JSON-RPC leave no trace: a later transaction's gas is what it is without them.

Warmth (EIP-2929) is per transaction on geth and anvil; pyrevm's getters warm what they load, so
the revm node runs each read inside a reverted checkpoint. Each test reads, then measures a
transaction that touches what was read, against the same transaction without the read (a
snapshot apart), on both in-process backends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3

from ogpu_sim.chain.inprocess import InProcessChain
from ogpu_sim.chain.revm import RevmChain
from ogpu_sim.chain.tester import TesterChain

from .helpers import IN_PROCESS, deploy_probe, funded_account, send, transact

SLOT_5 = "0x" + "00" * 31 + "05"
COLD_GAS = 25_710
"""The reader's call with the other account and slot 5 cold: 21,000 + 2,600 + 2,100 + pushes."""


@pytest.fixture(scope="module", params=IN_PROCESS)
def setup(request: pytest.FixtureRequest) -> Iterator[tuple[InProcessChain, LocalAccount]]:
    """A chain of each in-process backend and a funded account."""
    chain: InProcessChain = TesterChain() if request.param == "eth-tester" else RevmChain()
    with chain:
        yield chain, funded_account(chain)


_counter = iter(range(0x40, 0x100))


def _reader(w3: Web3, account: LocalAccount) -> tuple[str, str]:
    """A fresh contract whose call runs EXTCODEHASH of a fresh address and SLOADs its own slot 5.

    Returns:
        The contract's address and the other (never touched) address.
    """
    other = Web3.to_checksum_address("0x" + f"{next(_counter):02x}" * 20)
    runtime = _runtime(other)
    init = bytes.fromhex(f"60{len(runtime):02x}600c60003960{len(runtime):02x}6000f3") + runtime
    receipt = send(w3, account, {"data": "0x" + init.hex(), "gas": 200_000})
    return str(receipt["contractAddress"]), other


def _runtime(other: str) -> bytes:
    # PUSH20 other EXTCODEHASH POP PUSH1 5 SLOAD POP STOP
    return bytes.fromhex("73" + other[2:] + "3f50" + "600554" + "50" + "00")


def _override(reader: str, other: str) -> dict[str, Any]:
    return {
        other: {"balance": hex(5)},
        reader: {"stateDiff": {SLOT_5: "0x" + "00" * 31 + "07"}},
    }


READS: dict[str, Callable[[Web3, str, str], Any]] = {
    "eth_getStorageAt": lambda w3, reader, other: w3.eth.get_storage_at(reader, 5),
    "eth_getCode": lambda w3, reader, other: w3.eth.get_code(other),
    "eth_getBalance": lambda w3, reader, other: w3.eth.get_balance(other),
    "eth_getTransactionCount": lambda w3, reader, other: w3.eth.get_transaction_count(other),
    "eth_estimateGas to it": lambda w3, reader, other: w3.eth.estimate_gas({"to": other}),
    "eth_call with overrides": lambda w3, reader, other: w3.eth.call(
        {"to": reader}, "latest", _override(reader, other)
    ),
    "eth_estimateGas with overrides": lambda w3, reader, other: w3.eth.estimate_gas(
        {"to": reader}, "latest", _override(reader, other)
    ),
    "eth_simulateV1 with overrides": lambda w3, reader, other: w3.provider.make_request(
        "eth_simulateV1",
        [
            {"blockStateCalls": [{"stateOverrides": _override(reader, other), "calls": []}]},
            "latest",
        ],
    ),
}


def _measure(w3: Web3, account: LocalAccount, reader: str) -> tuple[int, int]:
    """The estimate of a call to ``reader``, then the gas used by sending it."""
    estimate = w3.eth.estimate_gas({"from": account.address, "to": reader})
    return estimate, send(w3, account, {"to": reader, "gas": 100_000})["gasUsed"]


@pytest.mark.parametrize("read", list(READS))
def test_a_read_leaves_the_estimate_and_gas_of_a_later_transaction_unchanged(setup, read):
    chain, account = setup
    reader, other = _reader(chain.w3, account)
    snapshot = chain.snapshot()
    without = _measure(chain.w3, account, reader)
    chain.revert(snapshot)

    READS[read](chain.w3, reader, other)

    assert _measure(chain.w3, account, reader) == without
    assert without[1] == COLD_GAS


def test_the_reads_answer_the_state(setup):
    chain, _account = setup
    w3 = chain.w3
    account = funded_account(chain)
    probe = deploy_probe(w3, account)
    transact(w3, account, probe.functions.store(42))
    reader, other = _reader(w3, account)
    chain.set_balance(other, 7)

    answers = (
        int.from_bytes(w3.eth.get_storage_at(probe.address, 0), "big"),
        bytes(w3.eth.get_code(reader)),
        w3.eth.get_balance(other),
        w3.eth.get_transaction_count(account.address),
        bytes(w3.eth.get_code(other)),
    )

    assert answers == (42, _runtime(other), 7, 3, b"")  # 3 transactions sent: probe, store, reader


def _state(w3: Web3, address: str) -> tuple[int, int, bytes, bytes]:
    return (
        w3.eth.get_balance(address),
        w3.eth.get_transaction_count(address),
        bytes(w3.eth.get_code(address)),
        bytes(w3.eth.get_storage_at(address, 0)),
    )


@pytest.mark.parametrize("whose", ["a fresh address", "a contract", "the sender"])
def test_overrides_leave_the_overridden_account_as_it_was(setup, whose):
    chain, account = setup
    w3 = chain.w3
    probe = deploy_probe(w3, account)
    transact(w3, account, probe.functions.store(42))
    address = {
        "a fresh address": Web3.to_checksum_address("0x" + "3c" * 20),
        "a contract": probe.address,
        "the sender": account.address,
    }[whose]
    before = _state(w3, address)
    override = {
        address: {
            "balance": hex(12345),
            "nonce": hex(77),
            "code": "0x6001",
            "stateDiff": {"0x" + "00" * 32: "0x" + "00" * 31 + "09"},
        }
    }
    calls = [{"from": account.address, "to": address}]

    w3.eth.call({"to": address}, "latest", override)
    w3.provider.make_request(
        "eth_simulateV1",
        [{"blockStateCalls": [{"stateOverrides": override, "calls": calls}]}, "latest"],
    )

    assert _state(w3, address) == before


def test_isolated_blocks_give_back_the_journal_checkpoint_of_their_snapshot() -> None:
    # revm refuses every call once 1,024 checkpoints are open (CallTooDeep); a session that
    # isolates each test used to keep one more open per test.
    from ogpu_sim import Simulator

    with Simulator.start(backend="revm", runtime="inline") as sim:
        evm = sim.chain.node.evm
        accounts = sim.network.accounts
        before = evm.journal_depth
        for _ in range(3):
            with sim.isolated():
                sim.w3.eth.send_transaction(
                    {"from": accounts.deployer.address, "to": accounts.client.address, "value": 1}
                )
        assert evm.journal_depth == before
