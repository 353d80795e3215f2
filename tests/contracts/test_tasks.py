"""Task lifecycle: every transition of PROTOCOL.md 5.2 with its guards, events and escrow."""

from __future__ import annotations

from eth_utils import keccak

from ogpu_sim import protocol
from tests.contracts.harness import (
    ATTEMPTED,
    CANCELED,
    CONFIRMED,
    ETHER,
    EXPIRED,
    FINALIZED,
    FIRST,
    MANUAL,
    NEW,
    RESPONDED,
    SUBMITTED,
    ZERO,
    Net,
    reverts,
)

P = 10**16


def status(task) -> int:
    return task.functions.getStatus().call()


# ---- publish --------------------------------------------------------------------------


def test_publish_task_creates_a_new_task_and_freezes_the_payment(net: Net) -> None:
    source = net.ready_source()
    expiry = net.now() + 600
    receipt = net.tx(
        net.client, net.controller.functions.publishTask((source.address, "ipfs://cfg", expiry, P))
    )
    (event,) = net.events(receipt, net.nexus, "TaskPublished")
    assert event["source"] == source.address
    task = protocol.instance(net.w3, "Task", event["task"])
    t = task.functions
    assert tuple(t.taskParams().call()) == (source.address, "ipfs://cfg", expiry, P)
    assert (t.getStatus().call(), t.status().call()) == (NEW, NEW)
    assert (t.getSource().call(), t.getPayment().call(), t.getExpiryTime().call()) == (
        source.address,
        P,
        expiry,
    )
    assert t.getDeliveryMethod().call() == t.deliveryMethod().call() == MANUAL
    assert t.owner().call() == net.nexus.address
    assert t.winningProvider().call() == ZERO
    assert source.functions.getTasks(0, 0).call() == [task.address]
    assert net.log_names(receipt, net.nexus) == ["OwnershipTransferred", "TaskPublished"]
    assert net.events(receipt, net.nexus, "TaskStatusChanged") == []


def test_publish_task_moves_the_payment_from_balance_to_frozen(net: Net) -> None:
    source = net.ready_source()
    net.publish_task(source, payment=P)
    net.publish_task(source, payment=2 * P)
    led = net.ledgers(net.client.address)
    assert (led["balance"], led["frozen"]) == (10 * ETHER - 3 * P, 3 * P)


def test_a_task_copies_the_sources_delivery_method_at_publish(net: Net) -> None:
    source = net.ready_source(delivery=FIRST)
    task = net.publish_task(source)
    net.tx(
        net.client,
        net.nexus.functions.updateSource(
            source.address, net.source_params(net.client, deliveryMethod=MANUAL)
        ),
    )
    assert task.functions.getDeliveryMethod().call() == FIRST
    assert net.publish_task(source).functions.getDeliveryMethod().call() == MANUAL


def test_publish_to_an_unknown_source_reverts(net: Net) -> None:
    with reverts("UnknownSource"):
        net.tx(
            net.client,
            net.controller.functions.publishTask((net.stranger.address, "c", net.now() + 60, P)),
        )


def test_publish_to_an_inactive_source_reverts_before_the_balance_check(net: Net) -> None:
    source = net.ready_source()
    net.tx(net.client, net.nexus.functions.inactivateSource(source.address))
    with reverts("SourceInactive"):
        net.publish_task(source, payment=100 * ETHER)


def test_publish_with_expiry_not_in_the_future_reverts(net: Net) -> None:
    source = net.ready_source()
    with reverts("Expired"):
        net.publish_task(source, expires_in=1)  # the block runs at now() + 1


def test_publish_with_expiry_beyond_the_sources_maximum_reverts(net: Net) -> None:
    source = net.ready_source(maxExpiryDuration=100)
    net.publish_task(source, expires_in=101)  # at now()+1 the remaining span is exactly 100
    with reverts("ExpiryTooLong"):
        net.publish_task(source, expires_in=102)


def test_publish_below_the_minimum_payment_reverts(net: Net) -> None:
    source = net.ready_source(minPayment=P)
    with reverts("PaymentTooLow"):
        net.publish_task(source, payment=P - 1)


def test_publish_beyond_the_vault_balance_reverts(net: Net) -> None:
    source = net.ready_source()
    with reverts("InsufficientBalance"):
        net.publish_task(source, payment=10 * ETHER + 1)


def test_a_client_agent_publishes_on_the_clients_balance(net: Net) -> None:
    source = net.ready_source()
    net.tx(net.client, net.terminal.functions.setAgent(net.agent.address, True))
    net.publish_task(source, signer=net.agent)
    assert net.ledgers(net.client.address)["frozen"] == P
    assert net.ledgers(net.agent.address)["frozen"] == 0


def test_a_stranger_publishing_to_a_source_pays_and_owns_the_task(net: Net) -> None:
    source = net.ready_source()
    task = net.publish_task(source, signer=net.client2)
    assert net.ledgers(net.client2.address)["frozen"] == P
    assert net.ledgers(net.client.address)["frozen"] == 0
    with reverts("NotOwner"):
        net.tx(net.client, net.controller.functions.cancelTask(task.address))
    net.tx(net.client2, net.controller.functions.cancelTask(task.address))
    assert net.ledgers(net.client2.address)["balance"] == 10 * ETHER


# ---- attempt --------------------------------------------------------------------------


def test_first_attempt_moves_new_to_attempted(net: Net) -> None:
    task = net.publish_task(net.ready_source())
    receipt = net.attempt(task, net.provider, suggested=123)
    assert status(task) == ATTEMPTED
    assert net.log_names(receipt, net.nexus) == ["TaskStatusChanged", "Attempted"]
    assert net.events(receipt, net.nexus, "TaskStatusChanged") == [
        {"task": task.address, "status": ATTEMPTED}
    ]
    assert net.events(receipt, net.nexus, "Attempted") == [
        {"task": task.address, "provider": net.provider.address, "suggestedPayment": 123}
    ]
    t = task.functions
    assert t.getAttemptCount().call() == 1
    assert (
        t.getAttempterId(net.provider.address).call()
        == t.attempterId(net.provider.address).call()
        == 1
    )
    block = net.w3.eth.get_block(receipt["blockNumber"])
    assert t.getAttemptTimestamps(0, 0).call() == [block["timestamp"]]
    assert t.attempters(0).call() == net.provider.address


def test_a_second_attempt_only_records_the_attempt(net: Net) -> None:
    task = net.publish_task(net.ready_source())
    net.attempt(task, net.provider)
    receipt = net.attempt(task, net.provider2)
    assert status(task) == ATTEMPTED
    assert net.log_names(receipt, net.nexus) == ["Attempted"]
    assert task.functions.getAttempters(0, 1).call() == [
        net.provider.address,
        net.provider2.address,
    ]


def test_the_master_or_an_agent_of_the_master_may_attempt(net: Net) -> None:
    source = net.ready_source()
    net.attempt(net.publish_task(source), net.provider, signer=net.master)
    net.tx(net.master, net.terminal.functions.setAgent(net.agent.address, True))
    task = net.publish_task(source)
    net.attempt(task, net.provider, signer=net.agent)
    assert task.functions.getAttempters(0, 0).call() == [net.provider.address]


def test_attempting_twice_reverts(net: Net) -> None:
    task = net.publish_task(net.ready_source())
    net.attempt(task, net.provider)
    with reverts("AlreadyAttempted"):
        net.attempt(task, net.provider)


def test_attempt_on_an_unknown_task_reverts(net: Net) -> None:
    with reverts("UnknownTask"):
        net.tx(
            net.provider, net.nexus.functions.attempt(net.stranger.address, net.provider.address, 0)
        )


def test_attempt_by_a_non_provider_or_non_operator_reverts(net: Net) -> None:
    task = net.publish_task(net.ready_source())
    with reverts("NotProvider"):
        net.attempt(task, net.stranger)
    with reverts("NotProvider"):
        net.attempt(task, net.provider, signer=net.master2)


def test_attempt_by_an_unregistered_provider_reverts(net: Net) -> None:
    task = net.publish_task(net.publish_source())
    with reverts("NotRegistered"):
        net.attempt(task, net.provider)


def test_attempt_by_a_sanctioned_provider_reverts(net: Net) -> None:
    task = net.publish_task(net.ready_source())
    net.deposit(net.provider, ETHER)
    net.tx(net.provider, net.vault.functions.lock(ETHER))
    net.tx(net.deployer, net.vault.functions.sanction(net.provider.address, 1))
    with reverts("NotEligible"):
        net.attempt(task, net.provider)


def test_late_attempt_on_a_new_task_marks_it_expired_and_refunds(net: Net) -> None:
    task = net.publish_task(net.ready_source(), expires_in=60)
    net.advance(61)
    receipt = net.attempt(task, net.provider)
    assert status(task) == EXPIRED
    assert task.functions.getAttemptCount().call() == 0
    assert net.events(receipt, net.nexus, "TaskStatusChanged") == [
        {"task": task.address, "status": EXPIRED}
    ]
    assert net.events(receipt, net.nexus, "Attempted") == []
    led = net.ledgers(net.client.address)
    assert (led["balance"], led["frozen"]) == (10 * ETHER, 0)


def test_attempt_exactly_at_expiry_is_still_in_time(net: Net) -> None:
    task = net.publish_task(net.ready_source(), expires_in=60)
    net.tester.time_travel(task.functions.getExpiryTime().call())
    net.attempt(task, net.provider)
    assert status(task) == ATTEMPTED


def test_late_attempt_on_an_attempted_task_marks_it_expired(net: Net) -> None:
    task = net.publish_task(net.ready_source(), expires_in=60)
    net.attempt(task, net.provider)
    net.advance(61)
    net.attempt(task, net.provider2)
    assert status(task) == EXPIRED
    assert task.functions.getAttemptCount().call() == 1
    assert net.ledgers(net.client.address)["frozen"] == 0


def test_attempt_on_an_expired_task_reverts(net: Net) -> None:
    task = net.publish_task(net.ready_source(), expires_in=60)
    net.advance(61)
    net.attempt(task, net.provider)
    with reverts("Expired"):
        net.attempt(task, net.provider2)


def test_late_attempt_on_a_responded_task_reverts_and_keeps_the_response(net: Net) -> None:
    task = net.publish_task(net.ready_source(), expires_in=60)
    net.attempt(task, net.provider)
    net.respond(task, net.provider)
    net.advance(61)
    with reverts("Expired"):
        net.attempt(task, net.provider2)
    assert status(task) == RESPONDED


def test_attempt_on_finalized_or_canceled_tasks_reverts(net: Net) -> None:
    source = net.ready_source(delivery=FIRST)
    finalized = net.publish_task(source)
    net.attempt(finalized, net.provider)
    net.respond(finalized, net.provider)
    canceled = net.publish_task(source)
    net.tx(net.client, net.controller.functions.cancelTask(canceled.address))
    for task in (finalized, canceled):
        with reverts("AlreadyFinalized"):
            net.attempt(task, net.provider2)


# ---- submit response: MANUAL_CONFIRMATION -------------------------------------------


def test_manual_response_moves_attempted_to_responded(net: Net) -> None:
    task = net.publish_task(net.ready_source())
    net.attempt(task, net.provider)
    receipt = net.tx(
        net.provider,
        net.nexus.functions.submitResponse((task.address, net.provider.address, "ipfs://out", P)),
    )
    (event,) = net.events(receipt, net.nexus, "ResponseSubmitted")
    response = protocol.instance(net.w3, "Response", event["response"])
    assert event["task"] == task.address
    assert status(task) == RESPONDED
    assert net.events(receipt, net.nexus, "TaskStatusChanged") == [
        {"task": task.address, "status": RESPONDED}
    ]
    assert net.events(receipt, net.nexus, "ResponseStatusChanged") == []
    assert task.functions.responseOf(net.provider.address).call() == response.address


def test_a_response_records_its_params_time_and_dedupe_hash(net: Net) -> None:
    task = net.publish_task(net.ready_source())
    net.attempt(task, net.provider)
    response = net.respond(task, net.provider, data="ipfs://out", payment=P - 5)
    r = response.functions
    assert tuple(r.getResponseParams().call()) == (
        task.address,
        net.provider.address,
        "ipfs://out",
        P - 5,
    )
    assert tuple(r.responseParams().call()) == (
        task.address,
        net.provider.address,
        "ipfs://out",
        P - 5,
    )
    assert (r.getStatus().call(), r.status().call(), r.confirmedFinal().call()) == (
        SUBMITTED,
        SUBMITTED,
        False,
    )
    assert r.owner().call() == net.nexus.address
    assert r.responseTimestamp().call() == net.now()
    assert task.functions.isAlreadySubmitted(keccak(text="ipfs://out")).call() is True


def test_more_responses_keep_a_manual_task_responded(net: Net) -> None:
    task = net.publish_task(net.ready_source())
    net.attempt(task, net.provider)
    net.attempt(task, net.provider2)
    net.respond(task, net.provider, data="a")
    receipt = net.tx(
        net.provider2,
        net.nexus.functions.submitResponse((task.address, net.provider2.address, "b", P)),
    )
    assert status(task) == RESPONDED
    assert net.events(receipt, net.nexus, "TaskStatusChanged") == []


def test_a_manual_task_accepts_attempts_while_responded(net: Net) -> None:
    task = net.publish_task(net.ready_source())
    net.attempt(task, net.provider)
    net.respond(task, net.provider)
    net.attempt(task, net.provider2)
    assert status(task) == RESPONDED
    assert task.functions.getAttemptCount().call() == 2


def test_responses_are_listed_per_attempter_slot(net: Net) -> None:
    task = net.publish_task(net.ready_source())
    net.attempt(task, net.provider)
    net.attempt(task, net.provider2)
    response = net.respond(task, net.provider2)
    t = task.functions
    assert t.getResponsesOf(0, 1).call() == [ZERO, response.address]
    assert t.getResponsesOf(1, 1).call() == [response.address]
    assert t.getResponsesOf(1, 50).call() == [response.address]
    assert t.getResponsesOf(2, 5).call() == []
    assert t.getAttempters(1, 1).call() == [net.provider2.address]
    assert len(t.getAttemptTimestamps(0, 9).call()) == 2


def test_response_without_attempt_reverts(net: Net) -> None:
    task = net.publish_task(net.ready_source())
    with reverts("NotAttempted"):
        net.respond(task, net.provider)


def test_response_for_an_unknown_task_reverts(net: Net) -> None:
    with reverts("UnknownTask"):
        net.tx(
            net.provider,
            net.nexus.functions.submitResponse(
                (net.stranger.address, net.provider.address, "x", 0)
            ),
        )


def test_response_by_a_non_operator_reverts(net: Net) -> None:
    task = net.publish_task(net.ready_source())
    net.attempt(task, net.provider)
    with reverts("NotProvider"):
        net.respond(task, net.provider, signer=net.stranger)


def test_a_second_response_from_the_same_provider_reverts(net: Net) -> None:
    task = net.publish_task(net.ready_source())
    net.attempt(task, net.provider)
    net.respond(task, net.provider, data="a")
    with reverts("AlreadySubmitted"):
        net.respond(task, net.provider, data="b")


def test_a_response_repeating_another_responses_data_reverts(net: Net) -> None:
    task = net.publish_task(net.ready_source())
    net.attempt(task, net.provider)
    net.attempt(task, net.provider2)
    net.respond(task, net.provider, data="same")
    with reverts("AlreadySubmitted"):
        net.respond(task, net.provider2, data="same")


def test_a_response_claiming_more_than_the_payment_reverts(net: Net) -> None:
    task = net.publish_task(net.ready_source())
    net.attempt(task, net.provider)
    with reverts("InvalidPayment"):
        net.respond(task, net.provider, payment=P + 1)


def test_a_response_after_expiry_reverts(net: Net) -> None:
    task = net.publish_task(net.ready_source(), expires_in=60)
    net.attempt(task, net.provider)
    net.advance(61)
    with reverts("Expired"):
        net.respond(task, net.provider)


def test_a_response_to_a_finalized_task_reverts(net: Net) -> None:
    task = net.publish_task(net.ready_source(delivery=FIRST))
    net.attempt(task, net.provider)
    net.attempt(task, net.provider2)
    net.respond(task, net.provider, data="a")
    with reverts("AlreadyFinalized"):
        net.respond(task, net.provider2, data="b")


def test_a_response_to_an_expired_task_reverts(net: Net) -> None:
    task = net.publish_task(net.ready_source(), expires_in=60)
    net.attempt(task, net.provider)
    net.tx(net.deployer, net.nexus.functions.setTaskStatus(task.address, EXPIRED))
    with reverts("Expired"):
        net.respond(task, net.provider)


# ---- submit response: FIRST_RESPONSE --------------------------------------------------


def test_first_response_confirms_finalizes_and_pays_in_one_transaction(net: Net) -> None:
    task = net.publish_task(net.ready_source(delivery=FIRST))
    net.attempt(task, net.provider)
    receipt = net.tx(
        net.provider,
        net.nexus.functions.submitResponse((task.address, net.provider.address, "ipfs://out", P)),
    )
    (submitted,) = net.events(receipt, net.nexus, "ResponseSubmitted")
    response = submitted["response"]
    assert status(task) == FINALIZED
    assert task.functions.winningProvider().call() == net.provider.address
    assert net.log_names(receipt, net.nexus) == [
        "OwnershipTransferred",
        "ResponseSubmitted",
        "ResponseStatusChanged",
        "TaskStatusChanged",
    ]
    assert net.events(receipt, net.nexus, "ResponseStatusChanged") == [
        {"response": response, "status": CONFIRMED}
    ]
    assert net.events(receipt, net.nexus, "TaskStatusChanged") == [
        {"task": task.address, "status": FINALIZED}
    ]
    client, provider = net.ledgers(net.client.address), net.ledgers(net.provider.address)
    assert (client["balance"], client["frozen"]) == (10 * ETHER - P, 0)
    assert (provider["balance"], provider["earnings"]) == (P, P)


def test_first_response_claiming_less_refunds_the_remainder(net: Net) -> None:
    task = net.publish_task(net.ready_source(delivery=FIRST))
    net.attempt(task, net.provider)
    response = net.respond(task, net.provider, payment=P // 4)
    assert response.functions.confirmedFinal().call() is True
    assert net.ledgers(net.client.address)["balance"] == 10 * ETHER - P // 4
    assert net.ledgers(net.provider.address)["earnings"] == P // 4


# ---- confirm --------------------------------------------------------------------------


def _responded(net: Net, delivery: int = MANUAL, payment: int = P):
    task = net.publish_task(net.ready_source(delivery=delivery))
    net.attempt(task, net.provider)
    net.attempt(task, net.provider2)
    return task, net.respond(task, net.provider, data="one", payment=payment)


def test_confirm_finalizes_pays_and_refunds_the_remainder(net: Net) -> None:
    task, response = _responded(net, payment=P - 100)
    receipt = net.tx(net.client, net.controller.functions.confirmResponse(response.address))
    assert status(task) == FINALIZED
    assert (response.functions.getStatus().call(), response.functions.confirmedFinal().call()) == (
        CONFIRMED,
        True,
    )
    assert task.functions.winningProvider().call() == net.provider.address
    assert net.log_names(receipt, net.nexus) == ["ResponseStatusChanged", "TaskStatusChanged"]
    assert net.events(receipt, net.nexus, "TaskStatusChanged") == [
        {"task": task.address, "status": FINALIZED}
    ]
    client, provider = net.ledgers(net.client.address), net.ledgers(net.provider.address)
    assert (client["balance"], client["frozen"]) == (10 * ETHER - P + 100, 0)
    assert (provider["balance"], provider["earnings"]) == (P - 100, P - 100)


def test_other_responses_stay_submitted_after_a_confirm(net: Net) -> None:
    task, first = _responded(net)
    other = net.respond(task, net.provider2, data="two")
    net.tx(net.client, net.controller.functions.confirmResponse(other.address))
    assert first.functions.getStatus().call() == SUBMITTED
    assert task.functions.winningProvider().call() == net.provider2.address
    with reverts("AlreadyFinalized"):
        net.tx(net.client, net.controller.functions.confirmResponse(first.address))


def test_a_client_agent_may_confirm(net: Net) -> None:
    task, response = _responded(net)
    net.tx(net.client, net.terminal.functions.setAgent(net.agent.address, True))
    net.tx(net.agent, net.controller.functions.confirmResponse(response.address))
    assert status(task) == FINALIZED


def test_confirming_twice_reverts(net: Net) -> None:
    _, response = _responded(net)
    net.tx(net.client, net.controller.functions.confirmResponse(response.address))
    with reverts("AlreadyConfirmed"):
        net.tx(net.client, net.controller.functions.confirmResponse(response.address))


def test_confirming_the_first_response_winner_is_a_no_op(net: Net) -> None:
    task, response = _responded(net, delivery=FIRST)
    before = net.ledgers(net.provider.address)
    receipt = net.tx(net.client, net.controller.functions.confirmResponse(response.address))
    assert receipt["logs"] == []
    assert net.ledgers(net.provider.address) == before
    assert status(task) == FINALIZED


def test_confirm_by_someone_else_reverts(net: Net) -> None:
    _, response = _responded(net)
    with reverts("NotOwner"):
        net.tx(net.stranger, net.controller.functions.confirmResponse(response.address))


def test_confirm_of_something_that_is_not_a_response_reverts(net: Net) -> None:
    task, _ = _responded(net)
    for not_a_response in (net.stranger.address, net.vault.address, task.address):
        with reverts("UnknownResponse"):
            net.tx(net.client, net.controller.functions.confirmResponse(not_a_response))


def test_confirm_on_an_expired_task_reverts(net: Net) -> None:
    task, response = _responded(net)
    net.tx(net.deployer, net.nexus.functions.setTaskStatus(task.address, EXPIRED))
    with reverts("Expired"):
        net.tx(net.client, net.controller.functions.confirmResponse(response.address))


def test_confirm_after_expiry_of_a_responded_task_is_allowed(net: Net) -> None:
    task, response = _responded(net)
    net.advance(7_200)
    net.tx(net.client, net.controller.functions.confirmResponse(response.address))
    assert status(task) == FINALIZED


# ---- cancel ---------------------------------------------------------------------------


def test_cancel_of_a_new_task_refunds_the_client(net: Net) -> None:
    task = net.publish_task(net.ready_source())
    receipt = net.tx(net.client, net.controller.functions.cancelTask(task.address))
    assert status(task) == CANCELED
    assert net.events(receipt, net.nexus, "TaskStatusChanged") == [
        {"task": task.address, "status": CANCELED}
    ]
    led = net.ledgers(net.client.address)
    assert (led["balance"], led["frozen"]) == (10 * ETHER, 0)


def test_cancel_after_expiry_is_the_refund_path(net: Net) -> None:
    task = net.publish_task(net.ready_source(), expires_in=60)
    net.advance(3_600)
    net.tx(net.client, net.controller.functions.cancelTask(task.address))
    assert status(task) == CANCELED


def test_cancel_of_an_attempted_task_reverts(net: Net) -> None:
    task = net.publish_task(net.ready_source())
    net.attempt(task, net.provider)
    with reverts("AlreadyFinalized"):
        net.tx(net.client, net.controller.functions.cancelTask(task.address))


def test_cancelling_twice_reverts(net: Net) -> None:
    task = net.publish_task(net.ready_source())
    net.tx(net.client, net.controller.functions.cancelTask(task.address))
    with reverts("AlreadyFinalized"):
        net.tx(net.client, net.controller.functions.cancelTask(task.address))


def test_cancel_by_someone_else_reverts(net: Net) -> None:
    task = net.publish_task(net.ready_source())
    with reverts("NotOwner"):
        net.tx(net.stranger, net.controller.functions.cancelTask(task.address))


def test_a_client_agent_may_cancel(net: Net) -> None:
    task = net.publish_task(net.ready_source())
    net.tx(net.client, net.terminal.functions.setAgent(net.agent.address, True))
    net.tx(net.agent, net.controller.functions.cancelTask(task.address))
    assert status(task) == CANCELED


def test_cancel_of_an_unknown_task_reverts(net: Net) -> None:
    with reverts("UnknownTask"):
        net.tx(net.client, net.controller.functions.cancelTask(net.stranger.address))


# ---- admin forcing -------------------------------------------------------------------


def test_forced_status_moves_no_money_until_force_release(net: Net) -> None:
    task = net.publish_task(net.ready_source())
    receipt = net.tx(net.deployer, net.nexus.functions.setTaskStatus(task.address, CANCELED))
    assert status(task) == CANCELED
    assert net.events(receipt, net.nexus, "TaskStatusChanged") == [
        {"task": task.address, "status": CANCELED}
    ]
    assert net.ledgers(net.client.address)["frozen"] == P
    net.tx(net.deployer, net.vault.functions.forceReleasePayment(net.client.address, task.address))
    led = net.ledgers(net.client.address)
    assert (led["balance"], led["frozen"]) == (10 * ETHER, 0)


def test_forced_status_of_an_unknown_task_reverts(net: Net) -> None:
    with reverts("UnknownTask"):
        net.tx(net.deployer, net.nexus.functions.setTaskStatus(net.stranger.address, CANCELED))


def test_forced_response_status_keeps_confirmed_final_in_step(net: Net) -> None:
    _, response = _responded(net)
    receipt = net.tx(
        net.deployer, net.nexus.functions.setResponseStatus(response.address, CONFIRMED)
    )
    assert response.functions.confirmedFinal().call() is True
    assert net.events(receipt, net.nexus, "ResponseStatusChanged") == [
        {"response": response.address, "status": CONFIRMED}
    ]
    net.tx(net.deployer, net.nexus.functions.setResponseStatus(response.address, SUBMITTED))
    assert response.functions.confirmedFinal().call() is False
