"""The in-process chains' direct reads at ``latest``: what JSON-RPC answers, with no trace left."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from eth_hash.auto import keccak

from ogpu_sim.chain.inprocess import InProcessChain
from ogpu_sim.chain.revm import RevmChain
from ogpu_sim.chain.tester import TesterChain

from .helpers import deploy_probe, funded_account, send, transact

OTHER = "0x" + "77" * 20
"""An address no test touches before its direct reads."""


@pytest.fixture(scope="module", params=["eth-tester", "revm"])
def setup(request: pytest.FixtureRequest) -> Iterator[tuple[InProcessChain, Any, Any]]:
    """A chain, a funded account and a Probe that stored 42 (slot 0) and has one child."""
    chain: InProcessChain = TesterChain() if request.param == "eth-tester" else RevmChain()
    with chain:
        account = funded_account(chain)
        probe = deploy_probe(chain.w3, account)
        transact(chain.w3, account, probe.functions.store(42))
        transact(chain.w3, account, probe.functions.spawn(1))
        yield chain, account, probe


def test_head_storage_answers_what_eth_get_storage_at_answers(setup):
    chain, _account, probe = setup
    slots = [0, 1, 2, int.from_bytes(keccak((1).to_bytes(32, "big")), "big")]

    words = chain.head_storage(probe.address, slots)

    rpc = [int.from_bytes(chain.w3.eth.get_storage_at(probe.address, s), "big") for s in slots]
    assert words == rpc
    assert words[0] == 42 and words[1] == 1 and words[3] != 0


def test_head_code_hash_is_the_keccak_of_the_deployed_code(setup):
    chain, account, probe = setup
    created = send(chain.w3, account, {"data": "0x600a600c600039600a6000f3" + "60" * 10})

    assert chain.head_code_hash(created["contractAddress"]) == keccak(bytes.fromhex("60" * 10))
    assert chain.head_code_hash(probe.address) != keccak(b"")


def test_head_code_hash_of_an_account_without_code_is_the_empty_codes(setup):
    chain, account, _probe = setup

    assert chain.head_code_hash(account.address) == keccak(b"")


def _reader(chain: InProcessChain, account: Any, other: str) -> str:
    """A contract whose call runs EXTCODEHASH of ``other`` and SLOADs its own slot 5: 4,500 gas
    more while both are cold than once warm."""
    runtime = bytes.fromhex("73" + other[2:] + "3f50" + "600554" + "50" + "00")
    init = bytes.fromhex(f"60{len(runtime):02x}600c60003960{len(runtime):02x}6000f3") + runtime
    receipt = send(chain.w3, account, {"data": "0x" + init.hex(), "gas": 200_000})
    return str(receipt["contractAddress"])


def test_direct_reads_leave_the_gas_of_later_transactions_unchanged(setup):
    chain, account, _probe = setup
    untouched, read = _reader(chain, account, OTHER), _reader(chain, account, "0x" + "78" * 20)
    baseline = send(chain.w3, account, {"to": untouched, "gas": 100_000})["gasUsed"]

    chain.head_storage(read, [5])
    chain.head_code_hash("0x" + "78" * 20)
    chain.head_code_hash(read)

    assert send(chain.w3, account, {"to": read, "gas": 100_000})["gasUsed"] == baseline


def test_head_reads_follow_the_head_through_new_blocks_and_reverts(setup):
    chain, account, probe = setup
    snapshot = chain.snapshot()
    before = chain.head_storage(probe.address, [0])

    transact(chain.w3, account, probe.functions.store(43))
    after = chain.head_storage(probe.address, [0])
    chain.revert(snapshot)

    assert (before, after, chain.head_storage(probe.address, [0])) == ([42], [43], [42])
