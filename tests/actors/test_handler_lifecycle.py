"""The lifecycle with the sources' real handlers, in every runtime (docker runs in CI)."""

from __future__ import annotations

import pytest
from ogpu.protocol import vault
from ogpu.types import DeliveryMethod, TaskStatus

from ogpu_sim.simulate.spec import SAMPLE_SOURCES
from tests.runtime.conftest import require_docker

SOURCES = SAMPLE_SOURCES
PAYMENT = 10**15
RUNTIMES = [
    pytest.param("inline", id="inline"),
    pytest.param("process", id="process"),
    pytest.param(
        "docker", id="docker", marks=[pytest.mark.docker, pytest.mark.xdist_group("docker")]
    ),
]


@pytest.fixture(params=RUNTIMES)
def runtime(request: pytest.FixtureRequest) -> str:
    if request.param == "docker":
        require_docker()
    return str(request.param)


def test_first_response_delivers_the_multiply_output(sim, runtime):
    source = sim.publish_source_from_folder(
        SOURCES / "multiply", deliveryMethod=DeliveryMethod.FIRST_RESPONSE
    )
    provider = sim.add_provider(source, runtime=runtime)
    task = sim.publish_task(source, "multiply", {"a": 6, "b": 7}, payment=PAYMENT)

    sim.run_until_idle()

    assert task.get_status() == TaskStatus.FINALIZED
    assert task.get_responses()[0].fetch_data() == {"result": 42}
    assert vault.get_total_earnings_of(provider.address) == PAYMENT


def test_an_emulated_nvidia_provider_runs_the_sentiment_handler(sim, runtime):
    source = sim.publish_source_from_folder(
        SOURCES / "sentiment", deliveryMethod=DeliveryMethod.FIRST_RESPONSE
    )
    sim.add_provider(source, environment="nvidia", runtime=runtime)
    task = sim.publish_task(source, "classify", {"text": "a great and wonderful day"})

    sim.run_until_idle()

    assert task.get_status() == TaskStatus.FINALIZED
    assert task.get_responses()[0].fetch_data()["label"] == "positive"


def test_invalid_input_gets_no_response(sim):
    source = sim.publish_source_from_folder(SOURCES / "multiply")
    provider = sim.add_provider(source, runtime="inline")
    task = sim.publish_task(source, "multiply", {"a": "six"})

    sim.run_until_idle()

    assert task.get_status() == TaskStatus.ATTEMPTED
    actions = [e for e in sim.timeline if e.emitter == provider.address]
    assert [e.name for e in actions] == ["attempt", "handler-failed"]
    assert (
        actions[1].args["detail"].startswith(f"multiply rejected the input of task {task.address}")
    )
