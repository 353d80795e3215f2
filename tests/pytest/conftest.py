"""pytester set-up: inner sessions see the sample sources and helper snippets."""

from __future__ import annotations

import pytest

from ogpu_sim.simulate.spec import SAMPLE_SOURCES

SOURCES = SAMPLE_SOURCES

HELPERS = """
import time
from ogpu.client import publish_source, publish_task
from ogpu.types import DeliveryMethod, ImageEnvironments, SourceInfo, TaskInfo, TaskInput
from ogpu_sim.simulate.spec import SAMPLE_SOURCES


def source_count(sim):
    return sim.deployment.contracts["NEXUS"].functions.getSourceCount().call()


def new_source(sim, delivery=DeliveryMethod.FIRST_RESPONSE):
    return publish_source(SourceInfo(
        name="s", description="", logoUrl="", imageEnvs=ImageEnvironments(cpu=sim.ipfs.add("c")),
        minPayment=1, minAvailableLockup=0, maxExpiryDuration=3600, deliveryMethod=delivery,
    ))


def new_task(sim, source, data=None):
    return publish_task(TaskInfo(
        source=source.address,
        config=TaskInput(function_name="multiply", data=data or {"a": 6, "b": 7}),
        expiryTime=max(sim.now(), int(time.time())) + 600, payment=10**15,
    ))
"""


@pytest.fixture
def inner(pytester: pytest.Pytester) -> pytest.Pytester:
    """A pytester with ``helpers.py`` and the sample sources path available to inner tests."""
    pytester.makepyfile(helpers=HELPERS)
    pytester.makeconftest(f"SOURCES = {str(SOURCES)!r}\n")
    pytester.syspathinsert()
    return pytester
