"""Simulator.attach against a live network stand-in: keys, money, waiting, what is refused."""

from __future__ import annotations

import json
import os
import time

import pytest
from ogpu.protocol import vault
from ogpu.types import TaskStatus
from web3 import Web3

from ogpu_sim import Simulator
from ogpu_sim.accounts import derive, key_hex
from ogpu_sim.errors import (
    AttachModeError,
    ConfigError,
    MissingKeysError,
    SpendCapError,
    UnsafeSignerError,
)
from ogpu_sim.network.live import vault_held
from ogpu_sim.simulate.spec import SAMPLE_SOURCES
from tests.attach.conftest import EXAMPLE, Node

PAYMENT = 10**15
MULTIPLY = SAMPLE_SOURCES / "multiply"


@pytest.fixture
def keys(node: Node) -> dict[str, str]:
    return node.fresh_keys()


@pytest.fixture
def sim(node: Node, keys: dict[str, str], no_role_keys: None):
    with Simulator.attach(
        connection_file=node.info_file, keys=keys, runtime="inline", max_spend="5 OGPU", quiet=True
    ) as attached:
        yield attached


# First in the session: a node's chain time runs ahead of the wall clock by a second per block
# mined in a burst, and a live clock cannot be moved, so this wait is shortest on a fresh node.
def test_expire_waits_for_a_near_expiry_then_an_attempt_expires_and_refunds(sim: Simulator):
    # The node's providers run the example handler, which has no `multiply`: they attempt and
    # never answer. The local one runs the multiply source's handler and holds its answer.
    source = sim.publish_source_from_folder(EXAMPLE)
    sim.add_provider(source, behaviour="late", handler=MULTIPLY)
    client = sim.accounts.client.address
    before = vault.get_balance_of(client)
    # A couple of seconds after both chain time (ahead of the wall clock after a burst of blocks)
    # and the wall clock (the SDK's own check).
    expires_in = max(2, int(time.time()) + 2 - sim.now())
    task = sim.publish_task(source, "multiply", {"a": 2, "b": 3}, expires_in=expires_in)

    sim.expire(task)

    assert sim.now() > task.get_expiry_time()  # it waited for the expiry
    assert task.get_status() == TaskStatus.EXPIRED
    assert vault.get_balance_of(client) == before


def test_attach_without_keys_names_the_variable_and_ignores_the_node_files_keys(
    node: Node, no_role_keys: None
):
    with pytest.raises(MissingKeysError) as raised:
        Simulator.attach(connection_file=node.info_file, quiet=True)

    assert raised.value.roles == ("client",)
    assert raised.value.variables == ("CLIENT_PRIVATE_KEY",)
    assert "ogpu-sim never signs with its public test keys" in str(raised.value)


def test_a_node_url_without_its_connection_file_says_how_to_name_the_node(
    node: Node, keys: dict[str, str], tmp_path, monkeypatch
):
    monkeypatch.setenv("OGPU_SIM_CACHE", str(tmp_path))
    monkeypatch.delenv("OGPU_SIM_NODE", raising=False)

    with pytest.raises(ConfigError) as raised:
        Simulator.attach(node.rpc_url, keys=keys, quiet=True)

    assert raised.value.problem.startswith("no contract at NEXUS 0x")
    assert raised.value.problem.endswith(
        "addresses from the SDK's ChainConfig for chain 200820172034); a local node's addresses "
        f"are its own: no ogpu-sim node connection file names {node.rpc_url} (looked at "
        f"{tmp_path}/node.json; $OGPU_SIM_NODE is unset): attach with the node's connection file "
        "instead of its URL, set OGPU_SIM_NODE to it, or pass addresses={'NEXUS': ..., "
        "'CONTROLLER': ..., 'TERMINAL': ..., 'VAULT': ...}"
    )


def test_a_node_url_attaches_to_the_node_of_the_default_connection_file(
    node: Node, keys: dict[str, str], tmp_path, monkeypatch
):
    monkeypatch.setenv("OGPU_SIM_CACHE", str(tmp_path))
    monkeypatch.delenv("OGPU_SIM_NODE", raising=False)
    (tmp_path / "node.json").write_text(node.info_file.read_text())

    with Simulator.attach(node.rpc_url, keys=keys, quiet=True) as sim:
        assert sim.network.live is not None
        origin = sim.network.live.target.origin
        nexus = sim.deployment.addresses["NEXUS"]

    assert origin == f"connection file {tmp_path / 'node.json'}"
    assert nexus == node.info["addresses"]["NEXUS"]


@pytest.mark.parametrize("through", ["keys", "environment"])
def test_the_public_test_keys_are_refused_for_a_remote_endpoint(
    through: str, no_role_keys: None, monkeypatch: pytest.MonkeyPatch
):
    public = key_hex(derive(1))  # the public mnemonic's client
    if through == "environment":
        monkeypatch.setenv("CLIENT_PRIVATE_KEY", public)
    addresses = {name: "0x" + "11" * 20 for name in ("NEXUS", "CONTROLLER", "TERMINAL", "VAULT")}

    with pytest.raises(UnsafeSignerError) as raised:
        Simulator.attach(
            "http://ogpu.example:8545",
            addresses=addresses,
            keys={"client": public} if through == "keys" else None,
            quiet=True,
        )

    assert raised.value.rpc_url == "http://ogpu.example:8545"


def test_attach_exports_only_the_keys_it_was_given_and_restores_the_environment(
    node: Node, keys: dict[str, str], no_role_keys: None
):
    with Simulator.attach(connection_file=node.info_file, keys=keys, quiet=True) as sim:
        exported = {v: os.environ.get(v) for v in ("CLIENT_PRIVATE_KEY", "PROVIDER_PRIVATE_KEY")}
        addresses = sim.deployment.addresses

    assert exported == {"CLIENT_PRIVATE_KEY": keys["client"], "PROVIDER_PRIVATE_KEY": None}
    assert addresses == {k: Web3.to_checksum_address(v) for k, v in node.info["addresses"].items()}
    assert "CLIENT_PRIVATE_KEY" not in os.environ


def test_attach_prints_the_accounts_it_spends_from_with_their_balances_first(
    node: Node, keys: dict[str, str], no_role_keys: None, capsys: pytest.CaptureFixture[str]
):
    client = Web3().eth.account.from_key(keys["client"]).address

    with Simulator.attach(connection_file=node.info_file, keys=keys, max_spend="0.5 OGPU"):
        printed = capsys.readouterr().err

    assert "spend cap 0.5 OGPU (500000000000000000 wei)" in printed
    assert f"client   {client}  " in printed
    assert "/ 1 OGPU (1000000000000000000 wei)" in printed  # its Vault balance


def test_run_until_idle_waits_for_the_live_networks_answer(sim: Simulator):
    source = sim.publish_source_from_folder(EXAMPLE, deliveryMethod="first_response")
    task = sim.publish_task(source, "count_words", {"text": "one two"}, payment=PAYMENT)

    sim.run_until_idle(timeout=60)

    assert task.get_status() == TaskStatus.FINALIZED
    assert task.get_responses()[0].fetch_data() == {"words": 2, "characters": 7}
    assert sim.providers == []  # the live network's provider answered


def test_a_publish_past_the_spend_cap_is_refused_before_it_is_sent(
    node: Node, keys: dict[str, str], no_role_keys: None
):
    from ogpu.client import publish_task
    from ogpu.types import TaskInfo, TaskInput
    from ogpu.types.errors import TxRpcError

    with Simulator.attach(
        connection_file=node.info_file, keys=keys, max_spend="0.05 OGPU", quiet=True
    ) as sim:
        source = sim.publish_source_from_folder(EXAMPLE)
        spent = sim.attachment.ledger.spent

        with pytest.raises(SpendCapError) as raised:
            sim.publish_task(source, "count_words", {"text": "x"}, payment=10**17)
        with pytest.raises(TxRpcError) as wrapped:  # the unmodified SDK wraps it
            publish_task(
                TaskInfo(
                    source=source.address,
                    config=TaskInput(function_name="count_words", data={"text": "x"}),
                    expiryTime=int(time.time()) + 600,
                    payment=10**17,
                )
            )

        assert (raised.value.cap, raised.value.spent) == (5 * 10**16, spent)
        assert raised.value.description == "Controller.publishTask paying 100000000000000000 wei"
        assert str(raised.value).endswith("raise it with max_spend= if you mean to spend more")
        assert isinstance(wrapped.value.__cause__, SpendCapError)
        assert source.get_task_count() == 0
        assert vault.get_frozen_payment(sim.accounts.client.address) == 0
        assert sim.attachment.ledger.spent == spent


def test_a_far_expiry_is_refused_naming_attach_mode(sim: Simulator):
    source = sim.publish_source_from_folder(EXAMPLE)
    task = sim.publish_task(source, "count_words", {"text": "x"}, expires_in=600)

    with pytest.raises(AttachModeError) as raised:
        sim.expire(task)

    assert raised.value.operation == "sim.expire"
    assert "expire_wait allows 30s" in raised.value.problem


def test_time_travel_and_snapshots_are_refused_naming_attach_mode(sim: Simulator):
    with pytest.raises(AttachModeError) as travel:
        sim.advance_time(10)
    with pytest.raises(AttachModeError) as snapshot:
        sim.snapshot()
    with pytest.raises(AttachModeError) as deployer:
        sim.accounts.deployer  # noqa: B018

    assert str(travel.value).startswith(f"attach mode ({sim.rpc_url}): advance_time is not")
    assert snapshot.value.operation == "snapshot"
    assert deployer.value.operation == "accounts.deployer"


def test_isolation_stops_the_scopes_providers_and_sweeps_their_accounts_back(sim: Simulator):
    source = sim.publish_source_from_folder(EXAMPLE)
    ledger = sim.attachment.ledger
    with sim.isolated() as snapshot_id:
        provider = sim.add_provider(source)
        funded = ledger.spent

    assert snapshot_id == ""
    assert sim.providers == []
    assert sim.w3.eth.get_balance(provider.address) == 0
    assert ledger.spent < funded


def test_a_fresh_account_left_holding_a_stake_has_its_key_kept_owner_only(
    sim: Simulator, tmp_path, monkeypatch
):
    monkeypatch.setenv("OGPU_SIM_CACHE", str(tmp_path))
    source = sim.publish_source_from_folder(EXAMPLE)
    vault_contract = sim.network.contract("VAULT")
    with sim.isolated():
        provider = sim.add_provider(source, stake=PAYMENT)
        accounts = [provider.account, provider.master]
        held = {str(a.address): vault_held(vault_contract, a.address) for a in accounts}

    chain_id, nexus = sim.w3.eth.chain_id, sim.deployment.addresses["NEXUS"]
    kept = tmp_path / "attach-keys" / f"{chain_id}-{nexus.lower()}.jsonl"
    lines = [json.loads(line) for line in kept.read_text().splitlines()]
    assert [(x["address"], x["private_key"], x["vault_wei"]) for x in lines] == [
        (str(a.address), key_hex(a), held[str(a.address)]) for a in accounts if held[str(a.address)]
    ]
    assert {(x["chain_id"], x["nexus"]) for x in lines} == {(chain_id, nexus)}
    assert lines and oct(kept.stat().st_mode & 0o777) == "0o600"


def test_a_local_providers_earnings_are_withdrawn_and_swept_back_not_left_in_the_vault(
    sim: Simulator, tmp_path, monkeypatch
):
    # The node's own providers run the example handler, which has no `multiply`: the local
    # provider, running the multiply source's handler, is the one that answers and is paid.
    monkeypatch.setenv("OGPU_SIM_CACHE", str(tmp_path))
    source = sim.publish_source_from_folder(EXAMPLE, deliveryMethod="first_response")
    with sim.isolated():
        provider = sim.add_provider(source, handler=MULTIPLY)
        task = sim.publish_task(source, "multiply", {"a": 2, "b": 3}, payment=PAYMENT)
        sim.run_until_idle(timeout=60)
        earned = vault.get_balance_of(provider.address)
        locked = vault.get_lockup_of(provider.address)

    assert task.get_status() == TaskStatus.FINALIZED
    assert earned == PAYMENT
    assert vault.get_balance_of(provider.address) == 0
    assert sim.w3.eth.get_balance(provider.address) == 0
    chain_id, nexus = sim.w3.eth.chain_id, sim.deployment.addresses["NEXUS"]
    kept = tmp_path / "attach-keys" / f"{chain_id}-{nexus.lower()}.jsonl"
    lines = [json.loads(line) for line in kept.read_text().splitlines()] if kept.exists() else []
    assert [(x["address"], x["vault_wei"]) for x in lines] == (
        [(provider.address, locked)] if locked else []
    )
