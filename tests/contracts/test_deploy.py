"""ogpu_sim.protocol: deploy, wiring, configuration, instance handles and send."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_account import Account
from eth_utils import keccak
from web3 import EthereumTesterProvider, Web3

from ogpu_sim import artifacts, protocol
from ogpu_sim.errors import ArtifactNotFoundError, ConfigError
from ogpu_sim.protocol import ProtocolConfig
from tests.contracts.harness import ETHER, Net

ADMIN = b"\x00" * 32


@pytest.fixture(scope="module")
def configured() -> tuple[Web3, protocol.Deployment]:
    """A separate chain deployed with a non-default configuration by a key the node
    does not know (only local signing is possible, as on a remote node)."""
    w3 = Web3(EthereumTesterProvider())
    deployer = Account.from_key(keccak(text="ogpu-sim deploy test"))
    w3.eth.send_transaction(
        {"from": w3.eth.accounts[0], "to": deployer.address, "value": 100 * ETHER}
    )
    assert deployer.address not in w3.eth.accounts
    config = ProtocolConfig(unbonding_period=3_600, min_lockup_per_source=5 * 10**17)
    return w3, protocol.deploy(w3, deployer, config)


def test_deployment_has_the_five_singletons_at_the_addresses_the_nonces_predict(
    configured: tuple[Web3, protocol.Deployment],
) -> None:
    w3, dep = configured
    assert list(dep.addresses) == ["MANAGER", "TERMINAL", "NEXUS", "VAULT", "CONTROLLER"]
    assert [dep.addresses[k] for k in dep.addresses] == [
        protocol.create_address(dep.deployer, nonce) for nonce in range(5)
    ]
    for key, address in dep.addresses.items():
        assert dep.contracts[key].address == address
        assert len(w3.eth.get_code(address)) > 0
    assert dep.block_number == w3.eth.block_number


def test_singletons_point_at_each_other(configured: tuple[Web3, protocol.Deployment]) -> None:
    _, dep = configured
    a, c = dep.addresses, dep.contracts
    assert c["TERMINAL"].functions.manager().call() == a["MANAGER"]
    assert c["TERMINAL"].functions.vault().call() == a["VAULT"]
    assert c["NEXUS"].functions.manager().call() == a["MANAGER"]
    assert c["NEXUS"].functions.terminal().call() == a["TERMINAL"]
    assert c["NEXUS"].functions.vault().call() == a["VAULT"]
    assert c["VAULT"].functions.manager().call() == a["MANAGER"]
    assert c["VAULT"].functions.nexus().call() == a["NEXUS"]
    assert c["VAULT"].functions.terminal().call() == a["TERMINAL"]
    assert c["CONTROLLER"].functions.nexus().call() == a["NEXUS"]
    assert c["CONTROLLER"].functions.terminal().call() == a["TERMINAL"]
    assert c["CONTROLLER"].functions.vault().call() == a["VAULT"]


def test_roles_are_granted_to_controller_nexus_and_the_deployer(
    configured: tuple[Web3, protocol.Deployment],
) -> None:
    _, dep = configured
    manager = dep.contracts["MANAGER"].functions
    assert manager.CONTROLLER().call() == keccak(text="CONTROLLER") == protocol.CONTROLLER_ROLE
    assert manager.PROVIDER().call() == keccak(text="PROVIDER")
    assert manager.JUDGE().call() == keccak(text="JUDGE")
    assert manager.hasRole(protocol.CONTROLLER_ROLE, dep.addresses["CONTROLLER"]).call()
    assert manager.hasRole(protocol.CONTROLLER_ROLE, dep.addresses["NEXUS"]).call()
    assert not manager.hasRole(protocol.CONTROLLER_ROLE, dep.deployer).call()
    assert manager.hasRole(ADMIN, dep.deployer).call()
    assert manager.hasRole(protocol.JUDGE_ROLE, dep.deployer).call()
    assert dep.contracts["NEXUS"].functions.checkController(dep.addresses["CONTROLLER"]).call()
    assert dep.contracts["NEXUS"].functions.CONTROLLER().call() == protocol.CONTROLLER_ROLE
    assert dep.contracts["NEXUS"].functions.PROVIDER().call() == protocol.PROVIDER_ROLE
    assert dep.contracts["TERMINAL"].functions.PROVIDER().call() == protocol.PROVIDER_ROLE


def test_ownable_singletons_are_owned_by_the_deployer(
    configured: tuple[Web3, protocol.Deployment],
) -> None:
    _, dep = configured
    for key in ("TERMINAL", "NEXUS", "CONTROLLER"):
        assert dep.contracts[key].functions.owner().call() == dep.deployer


def test_config_is_applied_to_the_vault(configured: tuple[Web3, protocol.Deployment]) -> None:
    _, dep = configured
    assert dep.config == ProtocolConfig(unbonding_period=3_600, min_lockup_per_source=5 * 10**17)
    assert dep.contracts["VAULT"].functions.UNBONDING_PERIOD().call() == 3_600
    assert dep.contracts["VAULT"].functions.MIN_LOCKUP_PER_SOURCE().call() == 5 * 10**17


def test_default_config_is_ten_seconds_unbonding_and_no_minimum_lockup(net: Net) -> None:
    assert net.deployment.config == ProtocolConfig(unbonding_period=10, min_lockup_per_source=0)
    assert net.vault.functions.UNBONDING_PERIOD().call() == 10
    assert net.vault.functions.MIN_LOCKUP_PER_SOURCE().call() == 0


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("unbonding_period", -1),
        ("min_lockup_per_source", -5),
        ("unbonding_period", 1.5),
        ("min_lockup_per_source", True),
    ],
)
def test_invalid_config_is_rejected_naming_the_option(option: str, value: object) -> None:
    with pytest.raises(ConfigError) as info:
        ProtocolConfig(**{option: value})  # type: ignore[arg-type]
    assert info.value.option == option


def test_instance_returns_a_handle_with_the_kinds_abi(net: Net) -> None:
    source = net.publish_source()
    handle = protocol.instance(net.w3, "Source", source.address.lower())
    assert handle.address == source.address
    assert handle.functions.getClient().call() == net.client.address


def test_instance_of_an_unknown_kind_is_a_config_error(net: Net) -> None:
    with pytest.raises(ConfigError) as info:
        protocol.instance(net.w3, "Nexus", net.nexus.address)  # type: ignore[arg-type]
    assert info.value.option == "kind"
    assert "Source, Task, Response" in info.value.problem


def test_send_returns_the_successful_receipt(net: Net) -> None:
    receipt = protocol.send(
        net.w3, net.stranger, net.vault.functions.deposit(net.stranger.address), value=7
    )
    assert receipt["status"] == 1
    assert receipt["from"] == net.stranger.address
    assert net.vault.functions.balanceOf(net.stranger.address).call() == 7


def test_send_raises_when_the_transaction_is_mined_reverted(net: Net) -> None:
    with pytest.raises(protocol.TransactionRevertedError) as info:
        protocol.send(net.w3, net.stranger, net.vault.functions.withdraw(1), gas=100_000)
    assert info.value.description == "withdraw"
    assert info.value.tx_hash.startswith("0x") and len(info.value.tx_hash) == 66
    assert net.w3.eth.get_transaction_receipt(info.value.tx_hash)["status"] == 0


def test_deploy_can_use_a_directory_of_artifacts(tmp_path: Path, net: Net) -> None:
    for name in artifacts.names():
        (tmp_path / f"{name}.json").write_text(json.dumps(artifacts.load(name)))
    dep = protocol.deploy(net.w3, net.deployer, artifacts=tmp_path)
    assert dep.contracts["NEXUS"].functions.vault().call() == dep.addresses["VAULT"]


def test_deploy_from_a_directory_missing_a_contract_names_it(tmp_path: Path, net: Net) -> None:
    (tmp_path / "Manager.json").write_text("{}")
    with pytest.raises(ArtifactNotFoundError) as info:
        protocol.deploy(net.w3, net.deployer, artifacts=tmp_path)
    assert (info.value.name, info.value.known) == ("Terminal", ["Manager"])


def test_deploy_from_a_path_that_is_not_a_directory_is_a_config_error(
    tmp_path: Path, net: Net
) -> None:
    with pytest.raises(ConfigError) as info:
        protocol.deploy(net.w3, net.deployer, artifacts=tmp_path / "missing")
    assert info.value.option == "artifacts"


def test_protocol_send_resends_the_same_transaction_after_a_reset() -> None:
    from ogpu_sim import Simulator
    from ogpu_sim.protocol import send

    with Simulator.start() as sim:
        vault = sim.deployment.contracts["VAULT"]
        actor = sim.accounts.new("client")
        before = sim.w3.eth.get_transaction_count(actor.address)
        sim.chain.faults.fail_next(2, method="eth_sendRawTransaction")

        send(sim.w3, actor, vault.functions.deposit(actor.address), value=7)

        assert vault.functions.balanceOf(actor.address).call() == 7
        assert sim.w3.eth.get_transaction_count(actor.address) == before + 1


def test_protocol_send_after_a_lost_answer_lands_exactly_once() -> None:
    from ogpu_sim import Simulator
    from ogpu_sim.protocol import send

    with Simulator.start() as sim:
        vault = sim.deployment.contracts["VAULT"]
        actor = sim.accounts.new("client")
        before = sim.w3.eth.get_transaction_count(actor.address)
        sim.chain.faults.lose_next(1, method="eth_sendRawTransaction")

        send(sim.w3, actor, vault.functions.deposit(actor.address), value=7)

        assert vault.functions.balanceOf(actor.address).call() == 7
        assert sim.w3.eth.get_transaction_count(actor.address) == before + 1
