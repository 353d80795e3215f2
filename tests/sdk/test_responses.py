"""Responses through the SDK: confirm, reads, and their typed errors."""

from __future__ import annotations

import pytest
from ogpu import client
from ogpu.protocol import vault
from ogpu.protocol.response import Response
from ogpu.types import DeliveryMethod, ResponseStatus, TaskStatus
from ogpu.types.errors import NotTaskOwnerError, ResponseAlreadyConfirmedError

from ogpu_sim.accounts import key_hex

PAYMENT = 2 * 10**15


@pytest.fixture
def responded(sim, make_source, make_task):
    """A MANUAL_CONFIRMATION task answered by one honest provider."""
    source = make_source()
    provider = sim.add_provider(source)
    task = make_task(source, payment=PAYMENT)
    sim.run_until_idle()
    return task, provider


def test_a_manual_task_waits_responded_with_one_submitted_response(responded):
    task, provider = responded

    (response,) = task.get_responses()

    assert task.get_status() == TaskStatus.RESPONDED
    assert response.get_status() == ResponseStatus.SUBMITTED
    assert response.get_params().provider == provider.address


def test_confirm_response_finalizes_the_task_and_pays_the_provider(sim, responded):
    task, provider = responded
    (response,) = task.get_responses()
    client_before = vault.get_balance_of(sim.accounts.client.address)

    client.confirm_response(response.address)

    assert task.get_status() == TaskStatus.FINALIZED
    assert Response(response.address).is_confirmed() is True
    assert task.get_winning_provider() == provider.address
    assert vault.get_balance_of(provider.address) == PAYMENT
    assert vault.get_total_earnings_of(provider.address) == PAYMENT
    assert vault.get_balance_of(sim.accounts.client.address) == client_before
    assert vault.get_frozen_payment(sim.accounts.client.address) == 0


def test_confirming_twice_raises_response_already_confirmed(responded):
    task, _ = responded
    (response,) = task.get_responses()
    response.confirm()

    with pytest.raises(ResponseAlreadyConfirmedError):
        response.confirm()


def test_confirm_by_a_stranger_raises_not_task_owner(sim, responded):
    task, _ = responded
    (response,) = task.get_responses()

    with pytest.raises(NotTaskOwnerError):
        response.confirm(signer=key_hex(sim.accounts.new("stranger")))


def test_get_confirmed_response_is_none_until_confirmed(responded):
    task, _ = responded
    (response,) = task.get_responses()

    assert task.get_confirmed_response() is None
    response.confirm()
    assert task.get_confirmed_response().address == response.address


def test_attempters_and_timestamps_line_up(sim, responded):
    task, provider = responded

    assert task.get_attempters() == [provider.address]
    assert task.get_attempter_id(provider.address) == 1
    (stamp,) = task.get_attempt_timestamps()
    assert 0 < stamp <= sim.now()


def test_response_data_is_the_pinned_provider_output(responded):
    task, _ = responded
    (response,) = task.get_responses()

    assert response.fetch_data() == {
        "ogpu_sim": "canned",
        "function_name": "multiply",
        "input": {"a": 6, "b": 7},
    }


def test_confirming_the_first_response_winner_again_is_a_no_op(sim, make_source, make_task):
    source = make_source(deliveryMethod=DeliveryMethod.FIRST_RESPONSE)
    sim.add_provider(source)
    task = make_task(source, payment=PAYMENT)
    sim.run_until_idle()
    (response,) = task.get_responses()

    client.confirm_response(response.address)

    assert task.get_status() == TaskStatus.FINALIZED
    assert vault.get_total_earnings_of(response.get_params().provider) == PAYMENT
