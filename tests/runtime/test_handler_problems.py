"""A wrong function_name and invalid input: one behaviour, one message, on every runtime.

Both are invalid task input (the SDK's ``TaskInput`` is ``function_name`` plus ``data``): the
handler refuses the task, the simulated provider records ``handler-failed`` with the refusal's
message and sends no response, as a real provider would; ``run_until_idle`` does not raise.
"""

from __future__ import annotations

import pytest
from ogpu.types import TaskStatus

from tests.sdk.conftest import isolated, sim  # noqa: F401

from .conftest import BROKEN, SAMPLES, require_docker

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


def refusal(sim, runtime, function_name, data):  # noqa: F811
    source = sim.publish_source_from_folder(SAMPLES / "multiply")
    provider = sim.add_provider(source, runtime=runtime)
    task = sim.publish_task(source, function_name, data)
    sim.run_until_idle()
    actions = [e for e in sim.timeline if e.emitter == provider.address]
    return task, [(e.name, e.args.get("detail")) for e in actions]


def test_a_wrong_function_name_is_recorded_as_a_refused_task(sim, runtime):  # noqa: F811
    task, actions = refusal(sim, runtime, "divide", {"a": 6, "b": 7})
    assert task.get_status() == TaskStatus.ATTEMPTED
    assert actions == [
        ("attempt", ""),
        (
            "handler-failed",
            f"divide rejected the input of task {task.address}: path.function_name: "
            "no function 'divide'; the handler exposes: multiply",
        ),
    ]


def test_invalid_input_is_recorded_the_same_way(sim, runtime):  # noqa: F811
    task, actions = refusal(sim, runtime, "multiply", {"a": 6})
    assert task.get_status() == TaskStatus.ATTEMPTED
    assert actions == [
        ("attempt", ""),
        (
            "handler-failed",
            f"multiply rejected the input of task {task.address}: body.b: Field required",
        ),
    ]


def test_a_handler_that_raises_is_recorded_with_its_error(sim, runtime):  # noqa: F811
    source = sim.publish_source_from_folder(BROKEN / "raises")
    provider = sim.add_provider(source, runtime=runtime)
    task = sim.publish_task(source, "checked", {"value": -3})
    sim.run_until_idle()

    assert task.get_status() == TaskStatus.ATTEMPTED
    assert [
        (e.name, e.args.get("detail")) for e in sim.timeline if e.emitter == provider.address
    ] == [
        ("attempt", ""),
        (
            "handler-failed",
            f"checked raised for task {task.address}: negative value -3 (the handler's log has "
            "the traceback)",
        ),
    ]
