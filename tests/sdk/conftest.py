"""Fixtures for driving the real SDK against one session simulator, isolated per test."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from ogpu.client import publish_source, publish_task
from ogpu.types import DeliveryMethod, ImageEnvironments, SourceInfo, TaskInfo, TaskInput

from ogpu_sim import Simulator

ETHER = 10**18


@pytest.fixture(scope="session")
def sim() -> Iterator[Simulator]:
    with Simulator.start() as simulator:
        yield simulator


@pytest.fixture(autouse=True)
def isolated(sim: Simulator) -> Iterator[None]:
    snapshot = sim.snapshot()
    yield
    sim.revert(snapshot)


@pytest.fixture
def make_source(sim: Simulator) -> Callable[..., Any]:
    """Publish a source through ``ogpu.client.publish_source`` (CPU compose pinned to IPFS)."""

    def make(**overrides: Any) -> Any:
        private_key = overrides.pop("private_key", None)
        fields: dict[str, Any] = {
            "name": "multiply",
            "description": "multiplies two numbers",
            "logoUrl": "",
            "imageEnvs": ImageEnvironments(cpu=sim.ipfs.add("services: {}\n")),
            "minPayment": 1000,
            "minAvailableLockup": 0,
            "maxExpiryDuration": 86_400,
            "deliveryMethod": DeliveryMethod.MANUAL_CONFIRMATION,
        }
        fields.update(overrides)
        return publish_source(SourceInfo(**fields), private_key=private_key)

    return make


@pytest.fixture
def make_task(sim: Simulator) -> Callable[..., Any]:
    """Publish a task through ``ogpu.client.publish_task``."""

    def make(source: Any, payment: int = 10**15, expires_in: int = 3600, **kw: Any) -> Any:
        info = TaskInfo(
            source=source.address,
            config=TaskInput(function_name="multiply", data={"a": 6, "b": 7}),
            expiryTime=max(sim.now(), int(time.time())) + expires_in,
            payment=payment,
        )
        return publish_task(info, **kw)

    return make
