"""The log-filter registry both in-process nodes share (ogpu_sim/chain/filters.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from ogpu_sim.chain import create_chain
from ogpu_sim.chain.filters import topics_match
from ogpu_sim.chain.inprocess import InProcessChain
from ogpu_sim.chain.jsonrpc import RpcError

from .helpers import IN_PROCESS, transact

A = "0x" + "aa" * 32
B = "0x" + "bb" * 32
C = "0x" + "cc" * 32


@pytest.fixture(scope="module", params=IN_PROCESS)
def chain(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Each in-process backend in turn (overrides the conftest's eth-tester chain)."""
    with create_chain(request.param) as started:
        assert isinstance(started, InProcessChain)
        yield started


@pytest.fixture(autouse=True)
def isolated(chain: InProcessChain, probe: Contract) -> Iterator[None]:
    snapshot_id = chain.snapshot()
    yield
    chain.revert(snapshot_id)


def test_a_log_filter_from_a_future_block_reports_only_logs_from_that_block_on(
    chain: InProcessChain, account: LocalAccount, probe: Contract
) -> None:
    w3 = chain.w3
    start = w3.eth.block_number + 3
    filter_id = w3.eth.filter({"address": probe.address, "fromBlock": start}).filter_id
    values = []
    for value in (1, 2, 3, 4):
        transact(w3, account, probe.functions.store(value))
        values += [int(log["data"].hex(), 16) for log in w3.eth.get_filter_changes(filter_id)]
    assert values == [3, 4]


@pytest.mark.parametrize("start", ["none", "latest", "head"])
def test_a_new_log_filter_from_now_reports_only_logs_mined_after_it(
    chain: InProcessChain, account: LocalAccount, probe: Contract, start: str
) -> None:
    w3 = chain.w3
    transact(w3, account, probe.functions.store(1))  # in the head block
    query: dict[str, Any] = {"address": probe.address}
    if start != "none":
        query["fromBlock"] = w3.eth.block_number if start == "head" else start
    filter_id = w3.eth.filter(query).filter_id  # type: ignore[arg-type]
    first_poll = w3.eth.get_filter_changes(filter_id)
    transact(w3, account, probe.functions.store(2))
    values = [int(log["data"].hex(), 16) for log in w3.eth.get_filter_changes(filter_id)]
    assert (first_poll, values) == ([], [2])


def test_a_log_filter_from_a_block_below_the_head_replays_from_it(
    chain: InProcessChain, account: LocalAccount, probe: Contract
) -> None:
    w3 = chain.w3
    first = transact(w3, account, probe.functions.store(1))["blockNumber"]
    transact(w3, account, probe.functions.store(2))
    filter_id = w3.eth.filter({"address": probe.address, "fromBlock": first}).filter_id
    values = [int(log["data"].hex(), 16) for log in w3.eth.get_filter_changes(filter_id)]
    assert values == [1, 2]


def test_logs_reads_the_nodes_logs_without_json_rpc(
    chain: InProcessChain, account: LocalAccount, probe: Contract
) -> None:
    block = transact(chain.w3, account, probe.functions.store(3))["blockNumber"]
    logs = chain.logs(block, addresses=[probe.address])
    assert [(int(log["blockNumber"], 16), int(log["data"], 16)) for log in logs] == [(block, 3)]
    assert chain.logs(block, addresses=["0x" + "00" * 20]) == []
    assert chain.head() == chain.w3.eth.block_number


def test_after_a_reorg_a_log_filter_reports_the_replaced_blocks_logs_as_removed(
    chain: InProcessChain, account: LocalAccount, probe: Contract
) -> None:
    w3 = chain.w3
    filter_id = w3.eth.filter({"address": probe.address}).filter_id
    transact(w3, account, probe.functions.store(5))
    assert [int(log["data"].hex(), 16) for log in w3.eth.get_filter_changes(filter_id)] == [5]

    chain.faults.reorg(1)
    transact(w3, account, probe.functions.store(6))

    changes = w3.eth.get_filter_changes(filter_id)
    assert [(int(log["data"].hex(), 16), log["removed"]) for log in changes] == [
        (5, True),
        (6, False),
    ]


def test_a_block_filter_reports_the_blocks_mined_after_a_revert_once(
    chain: InProcessChain,
) -> None:
    w3 = chain.w3
    snapshot_id = chain.snapshot()
    filter_id = w3.eth.filter("latest").filter_id
    chain.mine(2)
    assert len(w3.eth.get_filter_changes(filter_id)) == 2
    chain.revert(snapshot_id)
    chain.mine(1)
    assert w3.eth.get_filter_changes(filter_id) == [w3.eth.get_block("latest")["hash"]]


def test_eth_getFilterLogs_answers_the_whole_query_and_uninstall_forgets_the_filter(
    chain: InProcessChain, account: LocalAccount, probe: Contract
) -> None:
    w3 = chain.w3
    first = transact(w3, account, probe.functions.store(8))["blockNumber"]
    filter_id = w3.eth.filter({"address": probe.address, "fromBlock": first}).filter_id
    assert [int(log["data"].hex(), 16) for log in w3.eth.get_filter_logs(filter_id)] == [8]
    assert (w3.eth.uninstall_filter(filter_id), w3.eth.uninstall_filter(filter_id)) == (True, False)


@pytest.mark.parametrize(
    ("wanted", "matches"),
    [
        ([], True),
        ([A], True),
        ([A.upper().replace("0X", "0x")], True),
        ([B], False),
        ([None, B], True),
        ([[], B], True),
        ([[C, A]], True),
        ([[B, C]], False),
        ([A, B, C], False),
    ],
)
def test_topics_match_position_by_position(wanted: list[Any], matches: bool) -> None:
    assert topics_match(wanted, [A, B]) is matches


def test_a_topic_that_is_neither_a_string_a_list_nor_None_is_invalid_params() -> None:
    with pytest.raises(RpcError) as info:
        topics_match([42], [A])
    assert (info.value.code, info.value.message) == (-32602, "invalid topic 42")
