"""The same SDK flows on every local backend: anvil over HTTP and revm in process."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from ogpu import client
from ogpu.protocol import vault
from ogpu.types import (
    DeliveryMethod,
    ImageEnvironments,
    SourceInfo,
    TaskInfo,
    TaskInput,
    TaskStatus,
)
from ogpu.types.errors import TaskAlreadyFinalizedError, UnbondingPeriodNotElapsedError

from ogpu_sim import Simulator
from ogpu_sim.accounts import key_hex

PAYMENT = 10**15


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("anvil", marks=pytest.mark.anvil),
        pytest.param("revm"),
    ],
)
def backend_sim(request: pytest.FixtureRequest, sim: Simulator) -> Iterator[Simulator]:
    with Simulator.start(backend=request.param) as other:
        yield other


@pytest.fixture
def fresh(backend_sim: Simulator) -> Iterator[Simulator]:
    snapshot = backend_sim.snapshot()
    yield backend_sim
    backend_sim.revert(snapshot)


def publish(sim: Simulator, delivery: DeliveryMethod) -> tuple[object, object]:
    source = client.publish_source(
        SourceInfo(
            name="s",
            description="",
            logoUrl="",
            imageEnvs=ImageEnvironments(cpu=sim.ipfs.add("c")),
            minPayment=1,
            minAvailableLockup=0,
            maxExpiryDuration=3600,
            deliveryMethod=delivery,
        )
    )
    task = client.publish_task(
        TaskInfo(
            source=source.address,
            config=TaskInput(function_name="f", data={"x": 1}),
            expiryTime=max(sim.now(), int(time.time())) + 600,
            payment=PAYMENT,
        )
    )
    return source, task


def test_a_first_response_lifecycle_pays_the_provider(fresh):
    source, task = publish(fresh, DeliveryMethod.FIRST_RESPONSE)
    provider = fresh.add_provider(source)

    fresh.run_until_idle()

    assert task.get_status() == TaskStatus.FINALIZED
    assert vault.get_total_earnings_of(provider.address) == PAYMENT


def test_cancel_after_an_attempt_raises_the_typed_error(fresh):
    source, task = publish(fresh, DeliveryMethod.MANUAL_CONFIRMATION)
    fresh.add_provider(source, behaviour="silent")
    fresh.run_until_idle()

    with pytest.raises(TaskAlreadyFinalizedError):
        client.cancel_task(task.address)


def test_claim_follows_time_travel(fresh):
    actor = fresh.accounts.new("actor")
    vault.deposit(actor.address, 1000, signer=key_hex(actor))
    vault.lock(1000, signer=key_hex(actor))
    vault.unbond(1000, signer=key_hex(actor))
    with pytest.raises(UnbondingPeriodNotElapsedError):
        vault.claim(signer=key_hex(actor))

    fresh.advance_time(11)
    vault.claim(signer=key_hex(actor))

    assert vault.get_balance_of(actor.address) == 1000
