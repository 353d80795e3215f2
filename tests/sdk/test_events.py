"""The SDK's six async event watchers (``ogpu.events``) see the simulator's events over HTTP."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from ogpu import events
from ogpu.protocol import nexus
from ogpu.types import DeliveryMethod, Environment, ResponseStatus, TaskStatus


def first_events(watcher: Any, count: int, action: Any, timeout: float = 20.0) -> list[Any]:
    """Start ``watcher``, run ``action`` in a thread once it polls, return ``count`` events."""

    async def run() -> list[Any]:
        seen: list[Any] = []

        async def consume() -> None:
            async for event in watcher:
                seen.append(event)
                if len(seen) == count:
                    return

        consumer = asyncio.ensure_future(consume())
        await asyncio.sleep(0.3)  # let the watcher install its filter
        await asyncio.to_thread(action)
        await asyncio.wait_for(consumer, timeout)
        return seen

    return asyncio.run(run())


@pytest.fixture
def head(sim) -> int:
    return sim.w3.eth.block_number


def test_watch_task_published_yields_the_new_task(sim, make_source, make_task, head):
    source = make_source()
    published: list[Any] = []

    (event,) = first_events(
        events.watch_task_published(source.address, from_block=head, poll_interval=0.1),
        1,
        lambda: published.append(make_task(source)),
    )

    assert (event.task, event.source) == (published[0].address, source.address)


def test_watch_registered_yields_the_registration(sim, make_source, head):
    source = make_source()
    provider = sim.accounts.provider.address

    (event,) = first_events(
        events.watch_registered(source.address, from_block=head, poll_interval=0.1),
        1,
        lambda: nexus.register(source.address, provider, int(Environment.CPU)),
    )

    assert (event.provider, event.registrant_id, event.source) == (provider, 1, source.address)


def test_watch_attempted_and_response_submitted(sim, make_source, make_task, head):
    source = make_source()
    provider = sim.add_provider(source)
    task = make_task(source)

    events_seen = first_events(
        _merge(
            events.watch_attempted(task.address, from_block=head, poll_interval=0.1),
            events.watch_response_submitted(task.address, from_block=head, poll_interval=0.1),
        ),
        2,
        sim.run_until_idle,
    )
    # Two watchers poll independently: order the events as the chain did.
    attempted, submitted = sorted(events_seen, key=lambda e: (e.block_number, e.log_index))

    assert (attempted.task, attempted.provider) == (task.address, provider.address)
    assert attempted.suggested_payment == task.get_payment()
    assert submitted.task == task.address
    assert submitted.response == task.get_responses()[0].address


def test_watch_status_changes_of_a_first_response_task(sim, make_source, make_task, head):
    source = make_source(deliveryMethod=DeliveryMethod.FIRST_RESPONSE)
    sim.add_provider(source)
    task = make_task(source)

    statuses = first_events(
        events.watch_task_status_changed(task.address, from_block=head, poll_interval=0.1),
        2,
        sim.run_until_idle,
    )

    assert [e.status for e in statuses] == [TaskStatus.ATTEMPTED, TaskStatus.FINALIZED]


def test_watch_response_status_changed_on_confirm(sim, make_source, make_task):
    source = make_source()
    sim.add_provider(source)
    task = make_task(source)
    sim.run_until_idle()
    (response,) = task.get_responses()
    head = sim.w3.eth.block_number

    (event,) = first_events(
        events.watch_response_status_changed(response.address, from_block=head, poll_interval=0.1),
        1,
        response.confirm,
    )

    assert (event.response, event.status) == (response.address, ResponseStatus.CONFIRMED)


async def _merge(*generators: Any) -> Any:
    """Interleave async generators in arrival order."""
    queue: asyncio.Queue[Any] = asyncio.Queue()

    async def pump(gen: Any) -> None:
        async for item in gen:
            await queue.put(item)

    tasks = [asyncio.ensure_future(pump(g)) for g in generators]
    try:
        while True:
            yield await queue.get()
    finally:
        for t in tasks:
            t.cancel()


def test_autorun_providers_act_on_their_own_while_a_watcher_listens(sim, make_source, make_task):
    source = make_source(deliveryMethod=DeliveryMethod.FIRST_RESPONSE)
    sim.add_provider(source, act_after=0.5)
    head = sim.w3.eth.block_number
    published: list[Any] = []
    sim.start_autorun(interval=0.05)
    try:
        statuses = first_events(
            _all_status_changes(head),
            2,
            lambda: published.append(make_task(source)),
        )
    finally:
        sim.stop_autorun()

    assert [e.status for e in statuses] == [TaskStatus.ATTEMPTED, TaskStatus.FINALIZED]
    assert {e.task for e in statuses} == {published[0].address}


async def _all_status_changes(head: int) -> Any:
    """Every TaskStatusChanged from ``head`` on (the task address is not known in advance)."""
    from ogpu.chain.config import ChainConfig
    from ogpu.events._async_web3 import get_async_web3

    w3 = await get_async_web3()
    nexus = w3.eth.contract(
        address=ChainConfig.get_contract_address("NEXUS"), abi=ChainConfig.load_abi("NexusAbi")
    )
    event_filter = await nexus.events.TaskStatusChanged.create_filter(fromBlock=head)
    while True:
        for entry in await event_filter.get_new_entries():
            yield type(
                "Event", (), {"task": entry.args.task, "status": TaskStatus(entry.args.status)}
            )
        await asyncio.sleep(0.1)
