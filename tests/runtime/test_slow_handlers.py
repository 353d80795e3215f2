"""A handler slower than the caller's patience: ``run_until_idle``'s timeout bounds the wait
and a later call picks the handler's answer up; ``handler_timeout`` bounds the handler itself,
and a provider whose handler passes it records why, naming the setting."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from ogpu.types import TaskStatus

from ogpu_sim import Simulator
from ogpu_sim.errors import IdleTimeoutError

from .conftest import BROKEN

SLOW = BROKEN / "slow"  # sleepy(seconds) sleeps, then answers; expose(timeout=1)


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator.start(handler_timeout=0.5) as simulator:
        yield simulator


@pytest.fixture(autouse=True)
def isolated(sim: Simulator) -> Iterator[None]:
    with sim.isolated():
        yield


@pytest.fixture(params=["inline", "process"])
def runtime(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_run_until_idle_stops_at_its_timeout_while_a_handler_runs_and_resumes_later(sim, runtime):
    source = sim.publish_source_from_folder(SLOW, deliveryMethod="first_response")
    provider = sim.add_provider(source, runtime=runtime)
    task = sim.publish_task(source, "sleepy", {"seconds": 0.4})

    started = time.monotonic()
    with pytest.raises(IdleTimeoutError) as caught:
        sim.run_until_idle(timeout=0.1)
    waited = time.monotonic() - started

    assert str(caught.value) == (
        f"providers still busy after 0.1s: {provider.address} "
        f"(sleepy is still running task {task.address})"
    )
    assert waited < 0.4  # the handler's 0.4 s were not waited out
    assert task.get_status() == TaskStatus.ATTEMPTED

    sim.run_until_idle()

    assert task.get_status() == TaskStatus.FINALIZED
    assert task.get_responses()[0].fetch_data() == {"seconds": 0.4}
    actions = [e.name for e in sim.timeline if e.emitter == provider.address]
    assert actions == ["attempt", "respond"]


def test_a_handler_past_handler_timeout_is_recorded_as_failed_naming_the_setting(sim, runtime):
    source = sim.publish_source_from_folder(SLOW, deliveryMethod="first_response")
    provider = sim.add_provider(source, runtime=runtime)
    task = sim.publish_task(source, "sleepy", {"seconds": 0.9})

    assert sim.run_until_idle() == 2

    assert task.get_status() == TaskStatus.ATTEMPTED
    actions = [
        (e.name, e.args.get("detail")) for e in sim.timeline if e.emitter == provider.address
    ]
    assert actions == [
        ("attempt", ""),
        (
            "handler-failed",
            f"sleepy sent no callback for task {task.address} within 0.5 s (handler_timeout: "
            "Simulator.start(handler_timeout=...), ini ogpu_handler_timeout)",
        ),
    ]


def test_a_timed_out_handlers_late_answer_never_answers_the_next_task_at_its_address(sim, runtime):
    source = sim.publish_source_from_folder(SLOW, deliveryMethod="first_response")
    with sim.isolated():
        sim.add_provider(source, runtime=runtime)
        stale = sim.publish_task(source, "sleepy", {"seconds": 0.9})
        sim.run_until_idle()  # gives up at 0.5 s; the handler answers at 0.9 s
    sim.add_provider(source, runtime=runtime)

    task = sim.publish_task(source, "sleepy", {"seconds": 0.1})  # answers before the stale one
    sim.run_until_idle()

    assert task.address == stale.address  # the revert published the same address again
    assert task.get_status() == TaskStatus.FINALIZED
    assert task.get_responses()[0].fetch_data() == {"seconds": 0.1}
