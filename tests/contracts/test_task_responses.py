"""Task lifecycle, part 2: responses, MANUAL_CONFIRMATION and FIRST_RESPONSE.

See docs/protocol.md, task lifecycle.
"""

from __future__ import annotations

from eth_utils import keccak

from ogpu_sim import protocol
from tests.contracts.harness import (
    CONFIRMED,
    ETHER,
    EXPIRED,
    FINALIZED,
    FIRST,
    RESPONDED,
    SUBMITTED,
    ZERO,
    Net,
    reverts,
)

P = 10**16


def status(task) -> int:
    return task.functions.getStatus().call()


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
    assert r.responseTimestamp().call() == net.w3.eth.get_block("latest")["timestamp"]
    key = keccak(bytes.fromhex(net.provider.address[2:]) + b"ipfs://out")
    assert task.functions.isAlreadySubmitted(key).call() is True


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


def test_two_providers_may_submit_the_same_data(net: Net) -> None:
    task = net.publish_task(net.ready_source())
    net.attempt(task, net.provider)
    net.attempt(task, net.provider2)
    net.respond(task, net.provider, data="same")
    net.respond(task, net.provider2, data="same")
    assert task.functions.getAttemptCount().call() == 2
    assert task.functions.responseOf(net.provider2.address).call() != ZERO


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
