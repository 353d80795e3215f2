"""A wrong source or task handed to the simulator is a ConfigError that says what is there.

``add_provider``, ``publish_task``, ``expire`` and ``task_facts`` take an SDK handle or an
address; anything else (nothing there, a task for a source, the Vault, a name) is refused with
an :class:`~ogpu_sim.errors.OgpuSimError`, not web3's ``BadFunctionCallOutput`` or a bare revert.
"""

from __future__ import annotations

import pytest
from ogpu.types import DeliveryMethod, TaskStatus

from ogpu_sim.actors.addresses import NO_CODE, OTHER, kind_of
from ogpu_sim.errors import ConfigError, OgpuSimError

NOTHING = "0x0000000000000000000000000000000000000001"
RUNTIME_42 = "602a60005260206000f3"
"""Runtime code that answers every call with the word 42: a contract the Nexus does not know."""


def _deploy_answering_42(sim) -> str:
    """Deploy :data:`RUNTIME_42` from a fresh account (the SDK's accounts keep their nonces)."""
    deployer = sim.accounts.new("deployer")
    tx = {
        "data": "0x600a600c600039600a6000f3" + RUNTIME_42,
        "gas": 100_000,
        "gasPrice": sim.w3.eth.gas_price,
        "nonce": sim.w3.eth.get_transaction_count(deployer.address),
        "chainId": sim.chain_id,
        "value": 0,
    }
    signed = deployer.sign_transaction(tx)
    tx_hash = sim.w3.eth.send_raw_transaction(signed.raw_transaction)
    return str(sim.w3.eth.wait_for_transaction_receipt(tx_hash)["contractAddress"])


def _refused(call, *args) -> str:
    with pytest.raises(ConfigError) as raised:
        call(*args)
    assert isinstance(raised.value, OgpuSimError)
    return str(raised.value)


@pytest.mark.parametrize("address", [NOTHING, "client"], ids=["precompile", "account"])
def test_add_provider_refuses_an_address_without_contract_code(sim, address):
    address = sim.accounts.client.address if address == "client" else address
    before = sim.timeline.mark()

    message = _refused(sim.add_provider, address)

    assert message == (
        f"add_provider: {address} is not a Source of this network (no contract code there)"
    )
    assert (sim.providers, sim.timeline.mark()) == ([], before)  # nothing paired or staked


def test_add_provider_refuses_a_task_handle_or_address_naming_it_a_task(
    sim, make_source, make_task
):
    task = make_task(make_source())

    refusals = {_refused(sim.add_provider, t) for t in (task, task.address.lower())}

    assert refusals == {f"add_provider: {task.address} is a Task, not a Source"}


@pytest.mark.parametrize("value", ["nonsense", None, 123, "0x1234", ""])
def test_add_provider_refuses_what_is_not_an_address(sim, value):
    assert _refused(sim.add_provider, value) == (
        f"add_provider: {value!r} is not an address or a Source handle"
    )


def test_add_provider_refuses_a_protocol_singleton_by_its_name(sim):
    vault = sim.deployment.addresses["VAULT"]

    assert _refused(sim.add_provider, vault) == (
        f"add_provider: {vault} is the VAULT contract, not a Source"
    )


def test_add_provider_refuses_a_response_naming_it_a_response(sim, make_source, make_task):
    source = make_source(deliveryMethod=DeliveryMethod.FIRST_RESPONSE)
    sim.add_provider(source)
    task = make_task(source)
    sim.run_until_idle()
    (response,) = task.get_responses()

    assert _refused(sim.add_provider, response) == (
        f"add_provider: {response.address} is a Response, not a Source"
    )


def test_add_provider_refuses_a_contract_the_nexus_does_not_know(sim):
    stranger = _deploy_answering_42(sim)

    assert _refused(sim.add_provider, stranger) == (
        f"add_provider: {stranger} is not a Source of this network "
        "(a contract its Nexus does not know)"
    )


def test_add_provider_takes_a_source_handle_or_its_address_in_any_case(sim, make_source):
    source = make_source()

    served = [sim.add_provider(s).source for s in (source, source.address.lower())]

    assert served == [source.address, source.address]


def test_expire_refuses_an_address_without_a_task(sim):
    assert _refused(sim.expire, NOTHING) == (
        f"expire: {NOTHING} is not a Task of this network (no contract code there)"
    )


def test_expire_refuses_a_source_naming_it_a_source(sim, make_source):
    source = make_source()

    assert _refused(sim.expire, source) == f"expire: {source.address} is a Source, not a Task"


@pytest.mark.parametrize("value", ["nonsense", None])
def test_expire_refuses_what_is_not_an_address(sim, value):
    assert _refused(sim.expire, value) == f"expire: {value!r} is not an address or a Task handle"


def test_expire_still_expires_a_task_given_by_its_address(sim, make_source, make_task):
    task = make_task(make_source())

    sim.expire(task.address.lower())

    assert task.get_status() == TaskStatus.EXPIRED


@pytest.mark.parametrize("payment", [None, 10**15], ids=["default-payment", "payment"])
def test_publish_task_refuses_an_address_without_a_source(sim, payment):
    message = _refused(lambda: sim.publish_task(NOTHING, "multiply", {}, payment=payment))

    assert message == (
        f"publish_task: {NOTHING} is not a Source of this network (no contract code there)"
    )


def test_publish_task_refuses_a_task_naming_it_a_task(sim, make_source, make_task):
    task = make_task(make_source())

    assert _refused(lambda: sim.publish_task(task, "multiply", {})) == (
        f"publish_task: {task.address} is a Task, not a Source"
    )


def test_publish_task_refuses_what_is_not_an_address(sim):
    assert _refused(lambda: sim.publish_task("nonsense", "multiply", {})) == (
        "publish_task: 'nonsense' is not an address or a Source handle"
    )


def test_task_facts_refuses_a_source_naming_it_a_source(sim, make_source):
    source = make_source()

    assert _refused(sim.task_facts, source.address) == (
        f"task_facts: {source.address} is a Source, not a Task"
    )


def test_task_facts_refuses_what_is_not_an_address(sim):
    assert _refused(sim.task_facts, None) == "task_facts: None is not an address or a Task handle"


def test_task_facts_takes_the_sdks_task_as_its_address(sim, make_source, make_task):
    task = make_task(make_source(), payment=1234)

    assert sim.task_facts(task) == sim.task_facts(task.address)
    assert sim.task_facts(task).payment == 1234


def test_what_an_address_holds_is_read_off_the_chain(sim, make_source, make_task):
    source = make_source()
    task = make_task(source)
    addresses = sim.deployment.addresses

    kinds = [
        kind_of(sim.w3, addresses, a)
        for a in (source.address, task.address, addresses["NEXUS"], NOTHING)
    ]

    assert kinds == ["Source", "Task", "NEXUS", NO_CODE]
    assert kind_of(sim.w3, addresses, _deploy_answering_42(sim)) == OTHER


def test_valid_tasks_and_sources_are_checked_only_when_a_call_fails(
    sim, make_source, make_task, monkeypatch
):
    import ogpu_sim.simulator as simulator

    def unexpected(*args):
        raise AssertionError(f"checked on the valid path: {args}")

    monkeypatch.setattr(simulator, "mismatch", unexpected)
    source = make_source()

    task = sim.publish_task(source, "multiply", {"a": 6}, payment=10**15)
    sim.task_facts(task.address)
    sim.expire(task)

    assert task.get_status() == TaskStatus.EXPIRED
