"""The eth-tester node answers mined blocks kept by their hash exactly as eth-tester would.

Each answer of ``eth_getBlockByNumber`` is compared, field for field and in order, with
eth-tester's own block turned into JSON-RPC the way the node turned it before it kept them.
"""

from __future__ import annotations

from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from ogpu_sim.chain.jsonrpc import block_to_rpc
from ogpu_sim.chain.tester import TesterChain
from ogpu_sim.chain.tester_answers import AnswerMemo, json_copy

from .helpers import transact


def eth_testers(chain: TesterChain, tag: Any, full: bool) -> dict[str, Any]:
    """The block as the node answered it from eth-tester."""
    return block_to_rpc(chain.node.tester.get_block_by_number(tag, full))


def stored(chain: TesterChain, account: LocalAccount, probe: Contract, value: int) -> None:
    """Mine one block with a transaction in it (so full and hash-only answers differ)."""
    transact(chain.w3, account, probe.functions.store(value))


@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("tag", ["latest", "earliest", "number"])
def test_a_mined_block_asked_twice_is_eth_testers_block(
    chain: TesterChain, account: LocalAccount, probe: Contract, tag: str, full: bool
) -> None:
    stored(chain, account, probe, 1)
    asked: Any = chain.node.head_number if tag == "number" else tag
    first = chain.node.get_block(asked, full)
    again = chain.node.get_block(asked, full)
    theirs = eth_testers(chain, asked, full)
    assert first is not None and again is not None
    assert list(first.items()) == list(theirs.items())
    assert again == first


def test_the_pending_block_is_the_latest_restamped_every_time(
    chain: TesterChain, account: LocalAccount, probe: Contract
) -> None:
    stored(chain, account, probe, 2)
    latest = chain.node.get_block("latest")
    pending = chain.node.get_block("pending")
    assert latest is not None and pending is not None
    assert (pending["number"], pending["hash"], pending["parentHash"]) == (
        hex(int(latest["number"], 16) + 1),
        None,
        latest["hash"],
    )
    assert chain.node.get_block("latest") == latest  # the pending answer changed no kept one


def test_changing_a_block_answer_changes_nothing_kept(
    chain: TesterChain, account: LocalAccount, probe: Contract
) -> None:
    stored(chain, account, probe, 3)
    changed = chain.node.get_block("latest", True)
    assert changed is not None
    expected = eth_testers(chain, "latest", True)
    changed["transactions"][0]["input"] = "0x"
    changed["transactions"].clear()
    changed["number"] = "0x0"
    assert chain.node.get_block("latest", True) == expected


def test_latest_after_a_snapshot_revert_names_the_new_head(
    chain: TesterChain, account: LocalAccount, probe: Contract
) -> None:
    snapshot = chain.snapshot()
    stored(chain, account, probe, 4)
    removed = chain.node.get_block("latest")
    chain.revert(snapshot)
    reverted = chain.node.get_block("latest")
    stored(chain, account, probe, 5)
    replaced = chain.node.get_block("latest")
    assert removed is not None and reverted is not None and replaced is not None
    assert reverted["number"] == hex(int(removed["number"], 16) - 1)
    assert replaced["number"] == removed["number"]
    assert replaced["hash"] != removed["hash"]
    assert list(replaced.items()) == list(eth_testers(chain, "latest", False).items())


def test_a_block_above_the_head_is_none(chain: TesterChain) -> None:
    assert chain.node.get_block(chain.node.head_number + 1) is None
    assert chain.node.get_block(chain.node.head_number + 50, True) is None


def test_an_answer_memo_starts_over_when_full() -> None:
    memo = AnswerMemo(limit=2)
    memo.get("a", lambda: {"v": 1})
    memo.get("b", lambda: {"v": 2})
    memo.get("c", lambda: {"v": 3})
    assert (len(memo), memo.get("c", lambda: {"v": 0})) == (1, {"v": 3})


def test_an_answer_memo_keeps_no_missing_answer() -> None:
    memo = AnswerMemo()
    assert (memo.get("a", lambda: None), len(memo)) == (None, 0)


def test_a_json_copy_shares_no_dict_or_list() -> None:
    value = {"a": [1, {"b": ["c"]}], "d": None}
    copied = json_copy(value)
    copied["a"][1]["b"].append("e")
    assert (copied == value, value) == (False, {"a": [1, {"b": ["c"]}], "d": None})
