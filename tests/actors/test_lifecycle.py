"""End to end: the SDK on the client side, simulated providers on the other.

The flows follow docs/protocol.md, task lifecycle.
"""

from __future__ import annotations

import pytest
from ogpu import client
from ogpu.protocol import vault
from ogpu.types import DeliveryMethod, ResponseStatus, TaskStatus
from ogpu.types.errors import InsufficientLockupError, TxRevertError

ETHER = 10**18
PAYMENT = 3 * 10**15
FIRST = DeliveryMethod.FIRST_RESPONSE


def balances(address: str) -> tuple[int, int, int]:
    """(vault balance, frozen payment, total earnings) of an account."""
    return (
        vault.get_balance_of(address),
        vault.get_frozen_payment(address),
        vault.get_total_earnings_of(address),
    )


def test_first_response_finalizes_and_pays_the_provider(sim, make_source, make_task):
    source = make_source(deliveryMethod=FIRST)
    provider = sim.add_provider(source)
    client_balance, _, _ = balances(sim.accounts.client.address)
    task = make_task(source, payment=PAYMENT)

    sim.run_until_idle()

    (response,) = task.get_responses()
    assert task.get_status() == TaskStatus.FINALIZED
    assert task.get_winning_provider() == provider.address
    assert response.get_status() == ResponseStatus.CONFIRMED
    assert balances(provider.address) == (PAYMENT, 0, PAYMENT)
    assert balances(sim.accounts.client.address) == (client_balance - PAYMENT, 0, 0)


def test_first_response_emits_the_events_in_order(sim, make_source, make_task):
    source = make_source(deliveryMethod=FIRST)
    sim.add_provider(source)
    task = make_task(source)

    sim.run_until_idle()

    names = [
        (e.name, e.args.get("status"))
        for e in sim.timeline.events()
        if e.args.get("task") == task.address or e.name == "ResponseStatusChanged"
    ]
    assert names == [
        ("TaskPublished", None),
        ("TaskStatusChanged", 1),
        ("Attempted", None),
        ("ResponseSubmitted", None),
        ("ResponseStatusChanged", 1),
        ("TaskStatusChanged", 5),
    ]


def test_the_response_data_is_pinned_on_the_mock_ipfs(sim, make_source, make_task):
    source = make_source(deliveryMethod=FIRST)
    sim.add_provider(source)
    task = make_task(source)

    sim.run_until_idle()

    link = task.get_responses()[0].get_data()
    assert sim.ipfs.get(link) == (
        b'{"ogpu_sim": "canned", "function_name": "multiply", "input": {"a": 6, "b": 7}}'
    )


def test_three_racers_produce_exactly_one_winner_and_one_payment(sim, make_source, make_task):
    source = make_source(deliveryMethod=FIRST)
    racers = [sim.add_provider(source, behaviour="racer") for _ in range(3)]
    task = make_task(source, payment=PAYMENT)

    sim.run_until_idle()

    winner = task.get_winning_provider()
    assert winner in {r.address for r in racers}
    assert sorted(task.get_attempters()) == sorted(r.address for r in racers)
    assert len(task.get_responses()) == 1
    assert sum(vault.get_total_earnings_of(r.address) for r in racers) == PAYMENT
    assert vault.get_total_earnings_of(winner) == PAYMENT


def test_manual_task_with_three_responses_finalizes_on_the_confirmed_one(
    sim, make_source, make_task
):
    source = make_source()
    providers = [sim.add_provider(source) for _ in range(3)]
    task = make_task(source, payment=PAYMENT)
    sim.run_until_idle()
    responses = task.get_responses()
    chosen = responses[1]

    client.confirm_response(chosen.address)

    assert task.get_status() == TaskStatus.FINALIZED
    assert [r.get_status() for r in responses] == [
        ResponseStatus.SUBMITTED,
        ResponseStatus.CONFIRMED,
        ResponseStatus.SUBMITTED,
    ]
    assert task.get_winning_provider() == providers[1].address
    assert [vault.get_total_earnings_of(p.address) for p in providers] == [0, PAYMENT, 0]


def test_expiry_without_any_attempt_refunds_the_client(sim, make_source, make_task):
    source = make_source()
    sim.add_provider(source)
    client_balance, _, _ = balances(sim.accounts.client.address)
    task = make_task(source, payment=PAYMENT, expires_in=30)
    sim.advance_time(31)

    sim.run_until_idle()

    assert task.get_status() == TaskStatus.EXPIRED
    assert task.get_attempt_count() == 0
    assert balances(sim.accounts.client.address) == (client_balance, 0, 0)


def test_expiry_after_a_silent_attempt_refunds_the_client(sim, make_source, make_task):
    source = make_source()
    silent = sim.add_provider(source, behaviour="silent")
    client_balance, _, _ = balances(sim.accounts.client.address)
    task = make_task(source, payment=PAYMENT, expires_in=30)
    sim.run_until_idle()
    assert task.get_status() == TaskStatus.ATTEMPTED

    sim.add_provider(source)
    sim.advance_time(31)
    sim.run_until_idle()

    assert task.get_status() == TaskStatus.EXPIRED
    assert task.get_attempters() == [silent.address]
    assert balances(sim.accounts.client.address) == (client_balance, 0, 0)


def test_a_late_response_reverts_and_the_client_is_refunded(sim, make_source, make_task):
    source = make_source()
    late = sim.add_provider(source, behaviour="late")
    client_balance, _, _ = balances(sim.accounts.client.address)
    task = make_task(source, payment=PAYMENT, expires_in=30)
    sim.run_until_idle()
    assert task.get_status() == TaskStatus.ATTEMPTED

    sim.advance_time(31)
    sim.run_until_idle()

    reverts = [e for e in sim.timeline if e.name == "revert" and e.emitter == late.address]
    assert len(reverts) == 1
    assert reverts[0].args["detail"].startswith("submitResponse: TaskExpiredError")
    assert task.get_status() == TaskStatus.EXPIRED
    assert task.get_responses() == []
    assert balances(sim.accounts.client.address) == (client_balance, 0, 0)


def test_tasks_of_an_inactivated_source_still_finish(sim, make_source, make_task):
    source = make_source(deliveryMethod=FIRST)
    sim.add_provider(source)
    task = make_task(source)
    source.inactivate()

    sim.run_until_idle()

    assert task.get_status() == TaskStatus.FINALIZED


def test_a_provider_without_enough_lockup_cannot_join(sim, make_source):
    source = make_source(minAvailableLockup=2 * ETHER)

    with pytest.raises(InsufficientLockupError):
        sim.add_provider(source, stake=ETHER)


def test_a_provider_for_an_environment_the_source_lacks_cannot_join(sim, make_source):
    source = make_source()

    with pytest.raises(TxRevertError, match="InvalidEnvironment"):
        sim.add_provider(source, environment="nvidia")


def test_an_agent_driven_provider_completes_the_lifecycle(sim, make_source, make_task):
    source = make_source(deliveryMethod=FIRST)
    provider = sim.add_provider(source, via_agent=True)
    task = make_task(source, payment=PAYMENT)

    sim.run_until_idle()

    assert provider.agent is not None
    assert task.get_winning_provider() == provider.address
    assert vault.get_total_earnings_of(provider.address) == PAYMENT


def test_a_slow_provider_responds_after_its_delay(sim, make_source, make_task):
    source = make_source(deliveryMethod=FIRST)
    sim.add_provider(source, behaviour="slow", delay=0.3)
    task = make_task(source)

    sim.step()
    assert task.get_status() == TaskStatus.ATTEMPTED
    sim.run_until_idle()

    assert task.get_status() == TaskStatus.FINALIZED


def test_a_failing_provider_attempts_but_never_responds(sim, make_source, make_task):
    source = make_source()
    failing = sim.add_provider(source, behaviour="failing")
    task = make_task(source)

    sim.run_until_idle()

    assert task.get_status() == TaskStatus.ATTEMPTED
    assert task.get_responses() == []
    assert [
        (e.name, e.args.get("detail")) for e in sim.timeline if e.emitter == failing.address
    ] == [
        ("attempt", ""),
        ("handler-failed", "no callback: the failing behaviour's handler fails on purpose"),
    ]


def test_a_wrong_provider_submits_a_payload_that_is_not_the_handler_output(
    sim, make_source, make_task
):
    source = make_source()
    sim.add_provider(source, behaviour="wrong")
    task = make_task(source)

    sim.run_until_idle()

    (response,) = task.get_responses()
    assert response.fetch_data() == {
        "ogpu_sim_wrong_output": True,
        "expected_keys": ["function_name", "input", "ogpu_sim"],
    }
    assert task.get_status() == TaskStatus.RESPONDED


def test_a_provider_picks_up_tasks_published_before_it_joined(sim, make_source, make_task):
    source = make_source(deliveryMethod=FIRST)
    task = make_task(source)

    sim.add_provider(source)
    sim.run_until_idle()

    assert task.get_status() == TaskStatus.FINALIZED


def test_an_unknown_behaviour_raises_config_error(sim, make_source):
    from ogpu_sim import ConfigError

    with pytest.raises(ConfigError, match="behaviour"):
        sim.add_provider(make_source(), behaviour="lazy")
