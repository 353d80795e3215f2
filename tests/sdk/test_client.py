"""Client-role SDK entry points (docs/protocol.md, SDK) against the simulator."""

from __future__ import annotations

import time

import pytest
from ogpu import client
from ogpu.protocol import controller, vault
from ogpu.protocol.source import Source
from ogpu.protocol.task import Task
from ogpu.types import (
    DeliveryMethod,
    ImageEnvironments,
    SourceInfo,
    SourceStatus,
    TaskInfo,
    TaskInput,
    TaskParams,
    TaskStatus,
)
from ogpu.types.errors import (
    InsufficientBalanceError,
    NotSourceOwnerError,
    NotTaskOwnerError,
    SourceInactiveError,
    TaskAlreadyFinalizedError,
    TaskExpiredError,
)

from ogpu_sim.accounts import key_hex


def test_publish_source_returns_an_active_source_owned_by_the_client(sim, make_source):
    source = make_source()

    assert source.get_status() == SourceStatus.ACTIVE
    assert source.get_client() == sim.accounts.client.address


def test_publish_source_stores_the_params_it_was_given(make_source):
    params = make_source(minPayment=1234, maxExpiryDuration=600).get_params()

    assert (params.minPayment, params.maxExpiryDuration, params.imageEnvironments) == (1234, 600, 1)
    assert DeliveryMethod(params.deliveryMethod) == DeliveryMethod.MANUAL_CONFIRMATION


def test_source_metadata_round_trips_through_the_mock_ipfs(sim, make_source):
    source = make_source(name="multiply-v2", description="x*y")

    metadata = source.get_metadata()

    assert metadata["name"] == "multiply-v2"
    assert metadata["description"] == "x*y"
    assert metadata["cpu"].startswith(sim.ipfs.url + "/ipfs/Qm")


def test_update_source_replaces_min_payment(sim, make_source):
    source = make_source(minPayment=1000)
    info = SourceInfo(
        name="multiply",
        description="",
        logoUrl="",
        imageEnvs=ImageEnvironments(cpu=sim.ipfs.add("x")),
        minPayment=5000,
        minAvailableLockup=0,
        maxExpiryDuration=86_400,
    )

    client.update_source(source.address, info)

    assert Source(source.address).get_params().minPayment == 5000


def test_update_source_by_another_account_raises_not_source_owner(sim, make_source):
    source = make_source()
    stranger = sim.accounts.new("stranger")
    info = SourceInfo(
        name="x",
        description="",
        logoUrl="",
        imageEnvs=ImageEnvironments(cpu="u"),
        minPayment=1,
        minAvailableLockup=0,
        maxExpiryDuration=60,
    )

    with pytest.raises(NotSourceOwnerError):
        client.update_source(source.address, info, private_key=key_hex(stranger))


def test_inactivate_source_makes_it_inactive(make_source):
    source = make_source()

    client.inactivate_source(source.address)

    assert source.get_status() == SourceStatus.INACTIVE


def test_source_set_status_by_a_stranger_raises_not_source_owner(sim, make_source):
    source = make_source()

    with pytest.raises(NotSourceOwnerError):
        source.set_status(SourceStatus.INACTIVE, signer=key_hex(sim.accounts.new("stranger")))


def test_publish_task_to_an_inactive_source_raises_source_inactive(make_source, make_task):
    source = make_source()
    source.inactivate()

    with pytest.raises(SourceInactiveError):
        make_task(source)


def test_publish_task_freezes_the_payment_from_the_client_vault_balance(
    sim, make_source, make_task
):
    source = make_source()
    client_address = sim.accounts.client.address
    before = vault.get_balance_of(client_address)

    task = make_task(source, payment=3 * 10**15)

    assert task.get_status() == TaskStatus.NEW
    assert vault.get_balance_of(client_address) == before - 3 * 10**15
    assert vault.get_frozen_payment(client_address) == 3 * 10**15


def test_published_task_config_round_trips_through_the_mock_ipfs(make_source, make_task):
    task = make_task(make_source())

    assert task.get_metadata() == {"function_name": "multiply", "data": {"a": 6, "b": 7}}


def test_publish_task_without_vault_balance_raises_insufficient_balance(
    sim, make_source, make_task
):
    source = make_source()
    poor = sim.accounts.new("poor-client")

    with pytest.raises(InsufficientBalanceError):
        make_task(source, private_key=key_hex(poor))


def test_client_publish_task_refuses_a_past_expiry_before_any_transaction(sim, make_source):
    source = make_source()
    block = sim.w3.eth.block_number
    info = TaskInfo(
        source=source.address,
        config=TaskInput(function_name="f", data={}),
        expiryTime=int(time.time()) - 1,
        payment=10**15,
    )

    with pytest.raises(TaskExpiredError):
        client.publish_task(info)
    assert sim.w3.eth.block_number == block


def test_controller_publish_task_with_expired_time_reverts_expired(sim, make_source):
    source = make_source()
    config = sim.ipfs.add({"function_name": "f", "data": {}})
    params = TaskParams(
        source=source.address, config=config, expiryTime=sim.now() - 10, payment=10**15
    )

    with pytest.raises(TaskExpiredError):
        controller.publish_task(params)


def test_cancel_task_refunds_the_client_and_marks_it_canceled(sim, make_source, make_task):
    source = make_source()
    client_address = sim.accounts.client.address
    before = vault.get_balance_of(client_address)
    task = make_task(source, payment=10**15)

    client.cancel_task(task.address)

    assert task.get_status() == TaskStatus.CANCELED
    assert vault.get_balance_of(client_address) == before
    assert vault.get_frozen_payment(client_address) == 0


def test_cancel_task_twice_raises_task_already_finalized(make_source, make_task):
    task = make_task(make_source())
    task.cancel()

    with pytest.raises(TaskAlreadyFinalizedError):
        task.cancel()


def test_cancel_after_an_attempt_raises_task_already_finalized(sim, make_source, make_task):
    source = make_source()
    sim.add_provider(source, behaviour="silent")
    task = make_task(source)
    sim.run_until_idle()

    with pytest.raises(TaskAlreadyFinalizedError):
        client.cancel_task(task.address)


def test_cancel_by_a_stranger_raises_not_task_owner(sim, make_source, make_task):
    task = make_task(make_source())

    with pytest.raises(NotTaskOwnerError):
        Task(task.address).cancel(signer=key_hex(sim.accounts.new("stranger")))
