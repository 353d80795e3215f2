"""The exported strategies generate what they promise, judged by the reference model."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ogpu.types import DeliveryMethod as SdkDelivery

from ogpu_sim.testing import strategies as ost
from ogpu_sim.testing.model import DeliveryMethod, ModelRevert, ProtocolModel, SourceParams

NOW = 10_000
CLIENT = "client"


def model_source(info) -> tuple[ProtocolModel, str]:
    model = ProtocolModel(admin="admin")
    model.deposit(CLIENT, CLIENT, 100 * ost.OGPU)
    mask = (
        (1 if info.imageEnvs.cpu else 0)
        | (2 if info.imageEnvs.nvidia else 0)
        | (4 if info.imageEnvs.amd else 0)
    )
    params = SourceParams(
        client=CLIENT,
        image_environments=mask,
        min_payment=info.minPayment,
        min_available_lockup=info.minAvailableLockup,
        max_expiry_duration=info.maxExpiryDuration,
        delivery_method=DeliveryMethod(info.deliveryMethod.value),
    )
    return model, model.publish_source(CLIENT, params)


@settings(max_examples=60, database=None)
@given(info=ost.source_infos())
def test_source_infos_are_always_publishable_with_at_least_one_environment(info):
    model, source = model_source(info)
    assert 1 <= model.sources[source].params.image_environments <= 7


@settings(max_examples=80, database=None)
@given(data=st.data(), info=ost.source_infos())
def test_valid_task_infos_are_accepted(data, info):
    model, source = model_source(info)
    task = data.draw(ost.task_infos(source, now=NOW, source_info=info, valid=True))
    address = model.publish_task(CLIENT, source, task.expiryTime, task.payment, NOW)
    assert model.tasks[address].payment == task.payment


@settings(max_examples=80, database=None)
@given(data=st.data(), info=ost.source_infos())
def test_invalid_task_infos_are_rejected_on_expiry_or_payment(data, info):
    model, source = model_source(info)
    task = data.draw(ost.task_infos(source, now=NOW, source_info=info, valid=False))
    with pytest.raises(ModelRevert) as caught:
        model.publish_task(CLIENT, source, task.expiryTime, task.payment, NOW)
    assert caught.value.reason in {"Expired", "ExpiryTooLong", "PaymentTooLow"}


@settings(max_examples=50, database=None)
@given(value=ost.amounts(1000, min_value=10))
def test_amounts_stay_within_bounds(value):
    assert 10 <= value <= 1000


@settings(max_examples=30, database=None)
@given(env=ost.invalid_environments())
def test_invalid_environments_are_rejected_by_register(env):
    model = ProtocolModel(admin="admin")
    source = model.publish_source(CLIENT, SourceParams(client=CLIENT, image_environments=7))
    model.announce_provider("master", "provider", 0, 0)
    with pytest.raises(ModelRevert, match="InvalidEnvironment"):
        model.register("provider", source, "provider", env)


@settings(max_examples=10, database=None)
@given(method=ost.delivery_methods())
def test_delivery_methods_are_the_sdk_enum(method):
    assert isinstance(method, SdkDelivery)


@settings(max_examples=20, database=None)
@given(task_input=ost.task_inputs(("a", "b")))
def test_task_inputs_serialize_with_the_function_name(task_input):
    assert task_input.to_dict()["function_name"] in {"a", "b"}
