"""Task lifecycle, part 1: publishing and attempts, incl. lazy expiry.

See docs/protocol.md, task lifecycle.
"""

from __future__ import annotations

from ogpu_sim import protocol
from tests.contracts.harness import (
    ATTEMPTED,
    ETHER,
    EXPIRED,
    FIRST,
    MANUAL,
    NEW,
    RESPONDED,
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
        net.publish_task(source, expires_in=0)  # expiry == the block's own timestamp


def test_publish_with_expiry_beyond_the_sources_maximum_reverts(net: Net) -> None:
    source = net.ready_source(maxExpiryDuration=100)
    net.publish_task(source, expires_in=100)
    with reverts("ExpiryTooLong"):
        net.publish_task(source, expires_in=101)


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
    task = net.publish_task(net.ready_source(), expires_in=3_600)
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
