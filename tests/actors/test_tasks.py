"""What providers read about tasks off the chain: facts, the config from its gateway, SDK errors."""

from __future__ import annotations

import socket
import weakref
from pathlib import Path

import pytest
from ogpu.ipfs.fetch import fetch_ipfs_json
from ogpu.types import DeliveryMethod
from ogpu.types.errors import IPFSFetchError, IPFSGatewayError

from ogpu_sim.actors import tasks
from ogpu_sim.actors.tasks import TaskFacts, fetch_config, read_task_facts
from ogpu_sim.errors import ChainError


def test_a_config_is_fetched_from_its_gateway_url(sim):
    url = sim.ipfs.add({"function_name": "multiply", "data": {"a": 6}})

    assert fetch_config(url) == {"function_name": "multiply", "data": {"a": 6}}


def test_a_config_on_a_server_running_here_is_fetched_without_a_socket(sim, monkeypatch):
    url = sim.ipfs.add({"function_name": "multiply", "data": {"a": 7}})

    def no_socket(*args):
        raise AssertionError("a socket was connected")

    monkeypatch.setattr(socket.socket, "connect", no_socket)
    assert fetch_config(url) == {"function_name": "multiply", "data": {"a": 7}}
    record = sim.ipfs.requests[-1]
    sent = len(b'{"function_name": "multiply", "data": {"a": 7}}')
    assert (record.method, record.route, record.status, record.bytes_sent) == (
        "GET",
        "/ipfs",
        200,
        sent,
    )


def test_a_failing_gateway_raises_the_sdks_gateway_error(sim):
    url = sim.ipfs.add({"a": 1})
    sim.ipfs.faults.fail_next(1, status=503, route="/ipfs")

    with pytest.raises(IPFSGatewayError) as raised:
        fetch_config(url)

    assert (raised.value.gateway, raised.value.status_code) == (url, 503)


def test_a_body_that_is_not_json_raises_the_sdks_fetch_error(sim):
    url = sim.ipfs.add(b"<html>not json</html>")

    with pytest.raises(IPFSFetchError, match="Invalid JSON"):
        fetch_config(url)


def _eth_calls(sim):
    """Count the ``eth_call`` requests reaching ``sim``'s chain inside the block."""
    calls = []
    dispatch = sim.chain.provider._dispatch

    def counted(method, params):
        if method == "eth_call":
            calls.append(params[0])
        return dispatch(method, params)

    return calls, counted


def test_on_an_in_process_chain_a_tasks_facts_are_read_without_an_eth_call(
    sim, make_source, make_task, monkeypatch
):
    task = make_task(make_source(deliveryMethod=DeliveryMethod.FIRST_RESPONSE), payment=1234)
    params = task.get_params()
    calls, counted = _eth_calls(sim)
    monkeypatch.setattr(sim.chain.provider, "_dispatch", counted)

    facts = read_task_facts(sim.w3, task.address)

    assert facts == TaskFacts(
        expiry=params.expiryTime,
        payment=1234,
        delivery=DeliveryMethod.FIRST_RESPONSE,
        config_url=params.config,
    )
    assert calls == []


def _node_elsewhere(monkeypatch):
    """Make the chain look like a node in another process: the facts take the eth_call path."""
    monkeypatch.setattr(tasks, "in_process_chain", lambda w3: None)


def test_a_tasks_facts_are_read_in_one_call(sim, make_source, make_task, monkeypatch):
    task = make_task(make_source(deliveryMethod=DeliveryMethod.MANUAL_CONFIRMATION), payment=1234)
    calls, counted = _eth_calls(sim)
    monkeypatch.setattr(sim.chain.provider, "_dispatch", counted)
    _node_elsewhere(monkeypatch)

    facts = read_task_facts(sim.w3, task.address)
    sent = ["to" in call for call in calls]

    params = task.get_params()
    assert facts == TaskFacts(
        expiry=params.expiryTime,
        payment=1234,
        delivery=DeliveryMethod.MANUAL_CONFIRMATION,
        config_url=params.config,
    )
    assert sent == [False]  # one eth_call, of creation code


def test_a_node_without_creation_call_output_is_read_with_two_calls(
    sim, make_source, make_task, monkeypatch
):
    task = make_task(make_source(), payment=4321)
    calls, counted = _eth_calls(sim)

    def no_creation_output(method, params):
        answer = counted(method, params)
        return "0x" if method == "eth_call" and "to" not in params[0] else answer

    monkeypatch.setattr(sim.chain.provider, "_dispatch", no_creation_output)
    monkeypatch.setattr(tasks, "_CREATION_CALLS", weakref.WeakKeyDictionary())
    _node_elsewhere(monkeypatch)

    first = read_task_facts(sim.w3, task.address)
    second = read_task_facts(sim.w3, task.address)

    assert (first, [("to" in c) for c in calls]) == (second, [False, True, True, True, True])
    assert (first.payment, first.delivery) == (4321, DeliveryMethod.MANUAL_CONFIRMATION)


def test_facts_of_an_address_without_a_task_raise_a_chain_error(sim):
    with pytest.raises(ChainError, match="cannot read the task facts"):
        read_task_facts(sim.w3, sim.accounts.client.address)


def test_the_facts_reader_is_its_solidity_source_compiled():
    from ogpu_sim.dev.build import compile_helper

    compiled = compile_helper(Path(tasks.__file__).with_name("TaskFactsRead.sol"))

    assert compiled == tasks.FACTS_READ_BYTECODE


def _outcome(fetch, url):
    try:
        return ("ok", fetch(url))
    except Exception as exc:  # the error type and its message are the outcome
        return (type(exc).__name__, str(exc))


@pytest.mark.parametrize(
    "fault",
    [
        lambda faults: faults.drop(route="/ipfs", count=1),
        lambda faults: faults.truncate(5, route="/ipfs", count=1),
        lambda faults: faults.wrong_content(b"\xff\xfe not json", count=1),
        lambda faults: faults.status(429, route="/ipfs", count=1),
        lambda faults: None,
    ],
    ids=["drop", "truncate", "wrong-content", "status", "none"],
)
def test_a_config_fetch_ends_as_the_sdks_own_fetch_does(sim, fault):
    url = sim.ipfs.add({"function_name": "multiply", "data": {"a": 6}})
    sim.ipfs.faults.latency(0.001, route="/ipfs", count=1)  # armed: this fetch uses the socket
    fetch_config(url)  # and keeps its connection alive, as after earlier faulty fetches
    outcomes = []
    for fetch in (fetch_config, fetch_ipfs_json):
        fault(sim.ipfs.faults)
        outcomes.append(_outcome(fetch, url))

    assert outcomes[0] == outcomes[1]
