"""``eth_getBlockTransactionCountByNumber`` on eth-tester: a block the node mined itself is
counted from the block it remembers, any other from the whole block's JSON, with one answer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from web3 import Web3

from ogpu_sim.chain.tester import TesterChain

from .helpers import funded_account, send

METHOD = "eth_getBlockTransactionCountByNumber"


@pytest.fixture
def chain() -> Iterator[TesterChain]:
    """Blocks of every kind: genesis, a balance write, two sends, an empty block, a send."""
    with TesterChain(31337) as made:
        account = funded_account(made)  # a block the node mines without remembering it
        for _ in range(2):
            send(made.w3, account, {"to": account.address, "value": 1})
        made.mine()
        send(made.w3, account, {"to": account.address, "value": 1})
        yield made


def derived(chain: TesterChain, tag: Any) -> Any:
    """The answer taken from the block's JSON (``rpc_derived``), the native count bypassed."""
    return chain._derived.answer(METHOD, [tag], chain._basic)


def tags(chain: TesterChain) -> list[Any]:
    head = chain.head()
    numbers = [hex(n) for n in range(head + 2)]
    return [*numbers, "0x0" + hex(head)[2:], "latest", "safe", "finalized", "pending", "earliest"]


def test_every_block_and_tag_counts_as_the_blocks_json_says(chain: TesterChain) -> None:
    answers = [chain.request(METHOD, [tag]) for tag in tags(chain)]

    assert answers == [derived(chain, tag) for tag in tags(chain)]
    assert answers[: chain.head() + 2] == ["0x0", "0x0", "0x1", "0x1", "0x0", "0x1", None]


def test_a_block_the_node_mined_is_counted_without_its_json(chain: TesterChain) -> None:
    node = chain.node

    assert [node.mined_transaction_count(hex(n)) for n in range(chain.head() + 2)] == [
        None,  # genesis
        None,  # the balance write, mined by eth-tester's own path
        "0x1",
        "0x1",
        None,  # an empty block
        "0x1",
        None,  # not mined yet
    ]
    assert node.mined_transaction_count("latest") == "0x1"


@pytest.mark.parametrize(
    "tag",
    ["pending", "earliest", "0xzz", 5, None, {"blockNumber": "0x2"}, "0x" + "ab" * 32],
    ids=repr,
)
def test_anything_but_a_number_or_latest_is_left_to_the_derived_answer(
    chain: TesterChain, tag: Any
) -> None:
    assert chain.node.mined_transaction_count(tag) is None


def test_a_block_replaced_after_a_revert_counts_its_own_transactions(
    chain: TesterChain,
) -> None:
    head = chain.head()
    snapshot = chain.snapshot()
    account = funded_account(chain)
    send(chain.w3, account, {"to": Web3.to_checksum_address("0x" + "11" * 20), "value": 1})
    chain.revert(snapshot)
    chain.mine()

    assert chain.request(METHOD, [hex(head + 1)]) == "0x0"
    assert chain.request(METHOD, [hex(head + 2)]) is None
