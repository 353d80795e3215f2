"""The SDK's event watchers see the chain as on a live network: from_block=None means "from now"."""

from __future__ import annotations

import asyncio

import pytest
from ogpu.events import watch_registered

from ogpu_sim import Simulator
from ogpu_sim.simulate.spec import SAMPLE_SOURCES

from .helpers import EVERY_BACKEND

MULTIPLY = SAMPLE_SOURCES / "multiply"


@pytest.mark.parametrize("backend", EVERY_BACKEND)
def test_a_watcher_from_now_never_yields_an_event_mined_before_it_started(backend: str) -> None:
    with Simulator.start(backend=backend, runtime="inline") as sim:
        source = sim.publish_source_from_folder(MULTIPLY)
        sim.add_provider(source)  # its Registered event is in the head block

        async def first_event() -> tuple[str, str]:
            events = watch_registered(source.address, poll_interval=0.05)
            watcher = asyncio.ensure_future(events.__anext__())
            await asyncio.sleep(1.0)  # the watcher installs its filter meanwhile
            later = await asyncio.to_thread(sim.add_provider, source)
            event = await asyncio.wait_for(watcher, timeout=15)
            await events.aclose()
            return event.provider, later.address

        seen, registered_after_start = asyncio.run(first_event())
        assert seen == registered_after_start
