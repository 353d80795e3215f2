"""A mined block persisted by tester_chaindb writes exactly what py-evm's ChainDB.persist_block
writes: on the canonical head with its own writes, anywhere else through py-evm itself."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from eth.db.atomic import AtomicDB
from eth.db.backends.memory import MemoryDB
from eth.db.chain import ChainDB
from eth_account import Account
from eth_account.signers.local import LocalAccount

from ogpu_sim.chain import tester_chaindb
from ogpu_sim.chain.tester import TesterChain
from ogpu_sim.chain.tester_receipts import remembered_block

TO = "0x000000000000000000000000000000000000dEaD"


@pytest.fixture
def sender(chain: TesterChain) -> LocalAccount:
    account: LocalAccount = Account.create()
    chain.set_balance(account.address, 10**20)
    return account


def _send(chain: TesterChain, account: LocalAccount, count: int = 1) -> None:
    nonce = chain.w3.eth.get_transaction_count(account.address)
    for offset in range(count):
        tx = {
            "to": TO,
            "value": 1,
            "gas": 21000,
            "gasPrice": 10**10,
            "nonce": nonce + offset,
            "chainId": chain.chain_id,
        }
        chain.w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction)


def _store(chain: TesterChain) -> dict[bytes, bytes]:
    return dict(chain.node.chain.chaindb.db.wrapped_db.kv_store)


def _persisted(before: dict[bytes, bytes], block: Any, persist: Callable[..., None]) -> Any:
    store = dict(before)
    persist(ChainDB(AtomicDB(MemoryDB(store))), block)
    return store


def _fallbacks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the calls of py-evm's own persist_block (its methods' identity is kept)."""
    calls: list[int] = []
    stock = ChainDB.persist_block
    tester_chaindb._stock(ChainDB)  # decided before the spy below replaces the method

    def spy(self: Any, block: Any, *args: Any) -> Any:
        calls.append(block.number)
        return stock(self, block, *args)

    monkeypatch.setattr(ChainDB, "persist_block", spy)
    return calls


def _compare(before: dict[bytes, bytes], chain: TesterChain) -> None:
    block = remembered_block(chain.node._canonical_hash("latest"))
    ours = _persisted(before, block, tester_chaindb.persist_block)
    theirs = _persisted(before, block, lambda chaindb, b: ChainDB.persist_block(chaindb, b))
    assert ours == theirs
    assert ours != before


def test_a_block_on_the_head_is_written_as_py_evm_writes_it(
    chain: TesterChain, sender: LocalAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _store(chain)
    _send(chain, sender)
    calls = _fallbacks(monkeypatch)
    _compare(before, chain)
    assert calls == [chain.node.head_number]  # py-evm's own run for the comparison only


def test_a_block_after_a_revert_is_py_evm_s_own(
    chain: TesterChain, sender: LocalAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    snapshot = chain.node.snapshot()
    _send(chain, sender, 2)
    chain.node.revert(snapshot)
    before = _store(chain)
    _send(chain, sender)
    calls = _fallbacks(monkeypatch)
    _compare(before, chain)
    assert calls == [chain.node.head_number] * 2  # the header gaps did not move: py-evm decides
