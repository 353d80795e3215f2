"""Simulator methods given an argument of the wrong type or range raise ``ConfigError`` naming
it, at the call: never a TypeError from deep inside, a web3 ``MismatchedABI`` dump or a pydantic
``ValidationError``, and never a value silently truncated or accepted."""

from __future__ import annotations

import pytest

from ogpu_sim import ConfigError
from ogpu_sim.simulate.spec import SAMPLE_SOURCES

MULTIPLY = SAMPLE_SOURCES / "multiply"


def refusal(call, *args, **kwargs) -> str:
    with pytest.raises(ConfigError) as caught:
        call(*args, **kwargs)
    return str(caught.value)


# -- time -----------------------------------------------------------------------------------


@pytest.mark.parametrize("seconds", ["10", None, 1.5, -1, True])
def test_advance_time_refuses_what_is_not_whole_seconds(sim, seconds):
    before = sim.now()

    assert refusal(sim.advance_time, seconds) == (
        f"seconds: must be a whole number of seconds, 0 or more; got {seconds!r}"
    )
    assert sim.now() - before < 5


def test_advance_time_refuses_a_jump_past_2_40_seconds(sim):
    assert refusal(sim.advance_time, 10**20) == (
        f"seconds: must be at most 2**40 seconds; got {10**20!r}"
    )


def test_advance_time_takes_the_largest_jump(sim):
    before = sim.now()

    sim.advance_time(2**40)

    assert sim.now() >= before + 2**40


def test_pass_time_refuses_what_advance_time_refuses(sim):
    assert refusal(sim.pass_time, 1.5) == (
        "seconds: must be a whole number of seconds, 0 or more; got 1.5"
    )


# -- driving --------------------------------------------------------------------------------


@pytest.mark.parametrize("timeout", ["x", 0, -1, float("inf"), float("nan")])
def test_run_until_idle_refuses_a_timeout_that_is_not_positive_and_finite(sim, timeout):
    assert refusal(sim.run_until_idle, timeout=timeout) == (
        f"timeout: must be a finite number of seconds above 0; got {timeout!r}"
    )


@pytest.mark.parametrize("interval", ["x", 0])
def test_start_autorun_refuses_an_interval_that_is_not_positive_and_finite(sim, interval):
    assert refusal(sim.start_autorun, interval) == (
        f"interval: must be a finite number of seconds above 0; got {interval!r}"
    )
    assert not sim.driver.autorunning


def test_handler_logs_refuses_a_tail_that_is_not_a_whole_number_of_lines(sim):
    assert refusal(sim.handler_logs, "x") == (
        "tail: must be a whole number of lines, 0 or more; got 'x'"
    )


# -- providers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"handler": 123}, "handler: must be a source folder path (str or Path); got 123"),
        ({"runtime": "k8s"}, "runtime: unknown 'k8s'; known: auto, inline, process, docker"),
        ({"environment": ["cpu"]}, "environment: must be a name (a str); got ['cpu']"),
        ({"behaviour": None}, "behaviour: must be a name (a str); got None"),
        ({"via_agent": "yes"}, "via_agent: must be True or False, got 'yes'"),
        (
            {"behaviour": "slow", "delay": "x"},
            "delay: must be a finite number of seconds 0 or more; got 'x'",
        ),
        ({"delay": -1}, "delay: must be a finite number of seconds 0 or more; got -1"),
        ({"act_after": -3}, "act_after: must be a finite number of seconds 0 or more; got -3"),
        (
            {"act_after": float("inf")},
            "act_after: must be a finite number of seconds 0 or more; got inf",
        ),
    ],
    ids=lambda value: "-".join(value) if isinstance(value, dict) else "",
)
def test_add_provider_refuses_a_bad_argument_before_making_an_account(
    sim, make_source, kwargs, message
):
    source = make_source()
    before = list(sim.providers)

    assert refusal(sim.add_provider, source, **kwargs) == message
    assert sim.providers == before


def test_recruit_refuses_a_handler_that_is_not_a_folder(sim):
    assert refusal(sim.recruit, 1, handler=5) == (
        "handler: must be a source folder path (str or Path); got 5"
    )
    assert sim.fleet.recruits == []


# -- publishing -----------------------------------------------------------------------------


def test_publish_source_from_folder_refuses_no_folder(sim):
    assert refusal(sim.publish_source_from_folder, None) == (
        "folder: must be a source folder path (str or Path); got None"
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("minPayment", -1, "minPayment: must be a whole number of wei, 0 or more; got -1"),
        (
            "minPayment",
            "1 OGPU",
            "minPayment: must be a whole number of wei, 0 or more; got '1 OGPU'",
        ),
        ("minPayment", 2**256, f"minPayment: must be at most 2**256 - 1 wei; got {2**256!r}"),
        (
            "minAvailableLockup",
            1.5,
            "minAvailableLockup: must be a whole number of wei, 0 or more; got 1.5",
        ),
        (
            "maxExpiryDuration",
            -5,
            "maxExpiryDuration: must be a whole number of seconds, 0 or more; got -5",
        ),
        ("name", 5, "name: must be text (a str); got 5"),
        (
            "deliveryMethod",
            7,
            "deliveryMethod: unknown 7; known: first_response, first, manual_confirmation, "
            "manual, the SDK's DeliveryMethod or its value 0 (MANUAL_CONFIRMATION), "
            "1 (FIRST_RESPONSE)",
        ),
        (
            "environments",
            5,
            'environments: must be a name or a list of names ("cpu", ["cpu", "nvidia"]); got 5',
        ),
    ],
    ids=lambda value: value if isinstance(value, str) and len(value) < 20 else "",
)
def test_publish_source_from_folder_refuses_a_bad_override_naming_the_field(
    sim, field, value, message
):
    pinned = len(sim.ipfs.requests)

    assert refusal(sim.publish_source_from_folder, MULTIPLY, **{field: value}) == message
    assert len(sim.ipfs.requests) == pinned  # refused before anything is pinned


def test_a_single_environment_name_publishes_for_that_environment(sim):
    source = sim.publish_source_from_folder(MULTIPLY, environments="cpu")

    assert source.get_params().imageEnvironments == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"payment": -1}, "payment: must be a whole number of wei, 0 or more; got -1"),
        ({"payment": "x"}, "payment: must be a whole number of wei, 0 or more; got 'x'"),
        ({"payment": 2**256}, f"payment: must be at most 2**256 - 1 wei; got {2**256!r}"),
        ({"expires_in": "x"}, "expires_in: must be a whole number of seconds, 1 or more; got 'x'"),
        ({"expires_in": 0}, "expires_in: must be a whole number of seconds, 1 or more; got 0"),
        ({"data": 5}, "data: must be a dict or a pydantic model; got 5"),
        ({"function_name": ""}, "function_name: must be a function's name; got ''"),
    ],
    ids=lambda value: "-".join(value) if isinstance(value, dict) else "",
)
def test_publish_task_refuses_a_bad_argument_naming_it(sim, make_source, kwargs, message):
    arguments = {"function_name": "multiply", "data": {"a": 6, "b": 7}, **kwargs}

    assert refusal(sim.publish_task, make_source(), **arguments) == message
