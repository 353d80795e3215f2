"""Task lifecycle, part 3: confirmation, cancellation and admin forcing.

See docs/protocol.md, task lifecycle.
"""

from __future__ import annotations

from tests.contracts.harness import (
    CANCELED,
    CONFIRMED,
    ETHER,
    EXPIRED,
    FINALIZED,
    FIRST,
    MANUAL,
    SUBMITTED,
    Net,
    reverts,
)

P = 10**16


def status(task) -> int:
    return task.functions.getStatus().call()


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
