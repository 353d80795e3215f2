"""The timeline reads raw logs and receipts and decodes them as web3 does, with few requests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from eth_utils import event_abi_to_log_topic
from hexbytes import HexBytes
from ogpu.client import confirm_response
from ogpu.protocol import vault
from ogpu.types import DeliveryMethod, TaskStatus

from ogpu_sim.actors import lean
from ogpu_sim.actors.timeline import UNBOUNDED_POLLS, Timeline, _data, _plain
from ogpu_sim.errors import RpcError

FIRST = DeliveryMethod.FIRST_RESPONSE


@contextmanager
def requests_to(sim) -> Iterator[list[str]]:
    """The JSON-RPC methods the chain answers inside the block (its web3 provider's door)."""
    seen: list[str] = []
    provider = sim.chain.provider
    answer = provider._dispatch

    def request(method, params):
        seen.append(method)
        return answer(method, params)

    provider._dispatch = request
    try:
        yield seen
    finally:
        provider._dispatch = answer


def web3_decoded(sim, from_block: int) -> list[tuple]:
    """The protocol events since ``from_block`` as web3's own log decoding gives them."""
    contracts = sim.deployment.contracts
    decoded = []
    for log in sim.w3.eth.get_logs(
        {"fromBlock": from_block, "address": [c.address for c in contracts.values()]}
    ):
        for name, contract in contracts.items():
            if contract.address != log["address"]:
                continue
            for abi in contract.abi:
                if abi["type"] == "event" and event_abi_to_log_topic(abi) == log["topics"][0]:
                    data = getattr(contract.events, abi["name"])().process_log(log)
                    args = _plain(dict(data["args"]))
                    decoded.append((abi["name"], args, log["blockNumber"], name))
    return decoded


def test_events_are_decoded_exactly_as_web3_decodes_them(sim, make_source, make_task):
    start = sim.w3.eth.block_number + 1
    mark = sim.timeline.mark()
    source = make_source()
    sim.add_provider(source, via_agent=True)
    task = make_task(source)
    sim.run_until_idle()
    confirm_response(task.get_responses()[0].address)
    vault.deposit(sim.accounts.client.address, 1, signer=sim.accounts.client.key.hex())

    ours = [
        (e.name, e.args, e.block, e.emitter) for e in sim.timeline.since(mark) if e.kind == "event"
    ]

    assert ours == web3_decoded(sim, start)
    assert task.get_status() == TaskStatus.FINALIZED


def test_an_idle_step_sends_no_json_rpc_request_to_an_in_process_chain(sim):
    with requests_to(sim) as seen:
        sim.step()

    assert seen == []


def test_a_first_response_lifecycle_reads_only_the_tasks_facts(sim, make_source, make_task):
    source = make_source(deliveryMethod=FIRST)
    provider = sim.add_provider(source)
    task = make_task(source)

    with requests_to(sim) as seen:
        sim.run_until_idle()

    assert seen == [  # the logs of each step and the task's facts come from the chain directly
        "eth_sendRawTransactionSync",  # attempt, answered with its receipt
        "eth_sendRawTransactionSync",  # submitResponse
    ]
    assert [e.name for e in sim.timeline if e.emitter == provider.address] == [
        "attempt",
        "respond",
    ]
    assert task.get_status() == TaskStatus.FINALIZED


def test_on_a_node_without_send_raw_transaction_sync_each_send_reads_its_receipt(
    sim, make_source, make_task, monkeypatch
):
    provider = sim.chain.provider
    answer = provider._dispatch

    def request(method, params):  # a node that predates EIP-7966
        if method == "eth_sendRawTransactionSync":
            raise RpcError(-32601, f"the method {method} does not exist/is not available")
        return answer(method, params)

    monkeypatch.setattr(provider, "_dispatch", request)
    monkeypatch.delitem(lean._FACTS, sim.w3, raising=False)  # probe the node again
    source = make_source(deliveryMethod=FIRST)
    sim.add_provider(source)
    task = make_task(source)

    with requests_to(sim) as seen:
        sim.run_until_idle()

    sends = [m for m in seen if "Transaction" in m]
    assert sends == [
        "eth_sendRawTransaction",
        "eth_getTransactionReceipt",
        "eth_sendRawTransaction",
        "eth_getTransactionReceipt",
    ]
    assert task.get_status() == TaskStatus.FINALIZED


def test_a_timeline_without_the_chain_collects_the_same_events_over_json_rpc(
    sim, make_source, make_task
):
    start = sim.w3.eth.block_number + 1
    mark = sim.timeline.mark()
    source = make_source(deliveryMethod=FIRST)
    sim.add_provider(source)
    make_task(source)
    sim.run_until_idle()
    over_rpc = Timeline(sim.w3, dict(sim.deployment.contracts))
    over_rpc.start_at(start)

    with requests_to(sim) as seen:
        over_rpc.poll()

    assert over_rpc.events() == [e for e in sim.timeline.since(mark) if e.kind == "event"]
    assert seen == ["eth_blockNumber", "eth_getLogs"]


def over_json_rpc(sim, start: int) -> Timeline:
    """A timeline of ``sim``'s chain that reads it over JSON-RPC (as on anvil or attached)."""
    timeline = Timeline(sim.w3, dict(sim.deployment.contracts))
    timeline.start_at(start)
    return timeline


def test_a_driver_step_over_json_rpc_reads_the_logs_up_to_latest_without_the_head(
    sim, make_source, make_task
):
    start, mark = sim.w3.eth.block_number + 1, sim.timeline.mark()
    make_task(make_source(deliveryMethod=FIRST))
    over_rpc = over_json_rpc(sim, start)

    with requests_to(sim) as seen, over_rpc.trusting():
        pass

    assert seen == ["eth_getLogs"]
    assert over_rpc.entries == [e for e in sim.timeline.since(mark) if e.kind == "event"]


def test_a_driver_step_over_json_rpc_that_finds_no_new_log_adds_nothing(
    sim, make_source, make_task
):
    start = sim.w3.eth.block_number + 1
    make_task(make_source(deliveryMethod=FIRST))
    over_rpc = over_json_rpc(sim, start)
    with over_rpc.trusting():
        collected = list(over_rpc.entries)

    with requests_to(sim) as seen, over_rpc.trusting():
        pass

    assert (seen, over_rpc.entries) == (["eth_getLogs"], collected)


def test_driver_steps_over_json_rpc_read_the_head_after_unbounded_polls_found_nothing(
    sim, make_source, make_task
):
    start = sim.w3.eth.block_number + 1
    make_task(make_source(deliveryMethod=FIRST))
    over_rpc = over_json_rpc(sim, start)
    with over_rpc.trusting():
        pass
    with requests_to(sim) as seen:
        for _ in range(UNBOUNDED_POLLS + 2):
            with over_rpc.trusting():
                pass

    assert seen == ["eth_getLogs"] * UNBOUNDED_POLLS + ["eth_blockNumber", "eth_getLogs"]


def test_a_driver_step_over_json_rpc_ahead_of_the_chain_reads_the_head_and_nothing_else(sim):
    over_rpc = over_json_rpc(sim, sim.w3.eth.block_number + 5)  # as after an unseen revert

    with requests_to(sim) as seen, over_rpc.trusting():
        pass

    assert (seen, over_rpc.entries) == (["eth_getLogs", "eth_blockNumber"], [])


@pytest.mark.parametrize(
    "data",
    ["0x", "0x00ff", "0xABcd", "0x1", "0X0102", b"\x01\x02", HexBytes("0x0a")],
    ids=["empty", "lower", "mixed case", "odd length", "upper prefix", "bytes", "hexbytes"],
)
def test_log_data_reads_as_hexbytes_reads_it(data):
    assert _data(data) == bytes(HexBytes(data))


@pytest.mark.parametrize("data", ["0x01 02", "0xzz"], ids=["whitespace", "not hex"])
def test_log_data_hexbytes_refuses_is_refused(data):
    with pytest.raises(ValueError):
        HexBytes(data)
    with pytest.raises(ValueError):
        _data(data)
