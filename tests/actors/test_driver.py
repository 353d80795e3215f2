"""The driver's loop: which steps of ``run_until_idle`` poll the chain, and what they see."""

from __future__ import annotations

import threading
import time
from typing import Any

from ogpu.types import DeliveryMethod

from ogpu_sim.actors.driver import Driver
from ogpu_sim.actors.timeline import Timeline
from tests.actors.test_timeline import over_json_rpc, requests_to


def productive_once(driver: Driver) -> list[int]:
    """Hook the driver with one action in its first step; the list grows by one per step."""
    steps: list[int] = []

    def hook() -> int:
        steps.append(len(steps))
        return 1 if len(steps) == 1 else 0

    driver.before_step.append(hook)
    return steps


def test_a_step_right_after_a_productive_one_sends_no_request_over_json_rpc(sim):
    driver = Driver(over_json_rpc(sim, sim.w3.eth.block_number + 1))
    steps = productive_once(driver)

    with requests_to(sim) as seen:
        assert driver.run_until_idle() == 1

    assert (len(steps), seen) == (2, ["eth_getLogs"])


def test_what_is_mined_after_the_first_step_is_seen_by_the_next_call(sim, make_source, make_task):
    start = sim.w3.eth.block_number + 1
    driver = Driver(over_json_rpc(sim, start))
    driver.run_until_idle()
    make_task(make_source(deliveryMethod=DeliveryMethod.FIRST_RESPONSE))

    driver.run_until_idle()

    names = [e.name for e in driver.timeline.entries if e.emitter == "NEXUS"]
    assert names[0] == "SourcePublished" and names[-1] == "TaskPublished"


def test_a_follow_on_step_on_an_in_process_chain_still_collects_new_events(
    sim, make_source, make_task
):
    timeline = Timeline(sim.w3, dict(sim.deployment.contracts), chain=sim.chain)
    timeline.start_at(sim.w3.eth.block_number + 1)
    make_task(make_source())

    with timeline.trusting(follow_on=True):
        names = [e.name for e in timeline.entries]

    assert names[-1] == "TaskPublished"


def test_a_transaction_sent_after_a_steps_poll_makes_the_next_step_poll(
    sim, make_source, make_task
):
    source = make_source(deliveryMethod=DeliveryMethod.FIRST_RESPONSE)
    driver = Driver(over_json_rpc(sim, sim.w3.eth.block_number + 1))
    steps: list[int] = []

    def hook() -> int:
        steps.append(len(steps))
        if len(steps) == 2:  # after the first step's poll, before the follow-on step's
            make_task(source)
        return 1 if len(steps) == 1 else 0

    driver.before_step.append(hook)
    with requests_to(sim) as seen:
        driver.run_until_idle()

    names = [e.name for e in driver.timeline.entries if e.emitter == "NEXUS"]
    assert names[-1] == "TaskPublished"
    assert seen.count("eth_getLogs") == 2


def noted(driver: Driver) -> list[Any]:
    return [e for e in driver.timeline.entries if e.name == "autorun-error"]


def test_an_autorun_step_that_raises_is_noted_by_its_class_and_message_and_serving_goes_on(sim):
    driver = Driver(over_json_rpc(sim, sim.w3.eth.block_number + 1))
    raised = threading.Event()

    def hook() -> int:
        if not raised.is_set():
            raised.set()
            raise RuntimeError("the handler did not start\n--- handler log ---\nTraceback ...")
        return 0

    driver.before_step.append(hook)
    driver.start_autorun(0.01)
    try:
        deadline = time.monotonic() + 10
        while not noted(driver) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert driver.autorunning
    finally:
        driver.stop_autorun()

    (note,) = noted(driver)
    assert note.args["error"] == (
        "RuntimeError: the handler did not start\n--- handler log ---\nTraceback ..."
    )
