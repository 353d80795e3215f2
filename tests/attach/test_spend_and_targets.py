"""The pure parts of attach mode: amounts, pricing a raw transaction, the ledger, the target."""

from __future__ import annotations

import pytest
from eth_account import Account
from web3 import Web3

from ogpu_sim.errors import ConfigError, SpendCapError
from ogpu_sim.network.spend import SpendLedger, decode_raw, parse_amount, show_wei
from ogpu_sim.network.target import chain_id_of, resolve_target
from ogpu_sim.protocol import contract

CONTROLLER = Web3.to_checksum_address("0x" + "cc" * 20)
SENDER = Account.from_key("0x" + "42" * 32)


def _never_probed(url: str) -> int:
    raise AssertionError(f"probed {url}")


@pytest.mark.parametrize(
    ("text", "wei"),
    [
        ("0.5 OGPU", 5 * 10**17),
        ("20 gwei", 20 * 10**9),
        ("1_000 wei", 1000),
        (10**15, 10**15),
        ("none", None),
        (None, None),
    ],
)
def test_spend_caps_parse_to_wei(text, wei):
    assert parse_amount(text) == wei


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("5", "'5' needs a unit: OGPU, gwei or wei"),
        ("5 dollars", "unknown unit 'dollars'"),
        ("0.5 wei", "'0.5 wei' is not a whole number of wei"),
        ("-1 OGPU", "must be >= 0"),
        ("lots", "not an amount: 'lots'"),
        ("inf OGPU", "must be a finite amount, got 'inf OGPU'"),
        ("nan wei", "must be a finite amount, got 'nan wei'"),
        ("1e999999999 wei", "'1e999999999 wei' is more than 2**256 - 1 wei"),
        ("1e60 OGPU", "'1e60 OGPU' is more than 2**256 - 1 wei"),
        (2**256, f"{2**256} is more than 2**256 - 1 wei"),
    ],
)
def test_a_bad_spend_cap_is_a_config_error_naming_the_problem(text, problem):
    with pytest.raises(ConfigError) as raised:
        parse_amount(text, "--ogpu-max-spend")

    assert raised.value.option == "--ogpu-max-spend"
    assert raised.value.problem.startswith(problem)


def test_amounts_show_in_ogpu_and_exact_wei():
    assert show_wei(25 * 10**16) == "0.25 OGPU (250000000000000000 wei)"


def _signed(**tx):
    base = {"nonce": 0, "gas": 100_000, "chainId": 1071, "to": CONTROLLER, "value": 7}
    return bytes(SENDER.sign_transaction({**base, **tx}).raw_transaction)


@pytest.mark.parametrize(
    ("fees", "cap"),
    [({"gasPrice": 3}, 3), ({"maxFeePerGas": 5, "maxPriorityFeePerGas": 1}, 5)],
    ids=["legacy", "eip-1559"],
)
def test_a_raw_transaction_decodes_to_its_sender_value_gas_and_fee_cap(fees, cap):
    tx = decode_raw(_signed(**fees))

    assert (tx.sender, tx.to, tx.value, tx.gas, tx.fee_cap) == (
        SENDER.address,
        Web3.to_checksum_address(CONTROLLER),
        7,
        100_000,
        cap,
    )


def _publish_task(payment: int) -> bytes:
    controller = contract(Web3(), "Controller", CONTROLLER)
    params = (Web3.to_checksum_address("0x" + "55" * 20), "ipfs://config", 2**40, payment)
    data = controller.encode_abi("publishTask", args=[params])
    return _signed(gasPrice=1, data=data, value=0)


def test_the_ledger_counts_gas_and_a_tasks_payment_and_refuses_past_the_cap():
    controller = contract(Web3(), "Controller", CONTROLLER)
    ledger = SpendLedger(cap=10**6, own={SENDER.address}, controller=controller)

    ledger.check(_publish_task(payment=500_000))
    with pytest.raises(SpendCapError) as raised:
        ledger.check(_publish_task(payment=500_000))

    assert ledger.spent == 600_000  # 100_000 gas at 1 wei + the payment
    assert (raised.value.cost, raised.value.spent, raised.value.cap) == (600_000, 600_000, 10**6)
    assert raised.value.description == "Controller.publishTask paying 500000 wei"
    assert len(ledger.sent) == 1


def test_the_ledger_ignores_transactions_of_other_senders():
    ledger = SpendLedger(cap=0, own={"0x" + "ab" * 20})

    ledger.check(_signed(gasPrice=1))

    assert (ledger.spent, ledger.sent) == (0, set())


def test_a_known_chain_resolves_to_the_sdks_own_rpc_addresses_and_ipfs():
    from ogpu.chain.config import ChainId

    from ogpu_sim.sdk.binding import shipped_config

    target = resolve_target(None, None, "testnet", None, None, _never_probed)

    assert target.rpc_url == "https://testnetrpc.ogpuscan.io"
    assert target.addresses == shipped_config()["contracts"][ChainId.OGPU_TESTNET]
    assert target.ipfs_publish_url == "https://capi.ogpuscan.io/file/create"
    assert target.chain_id == 200820172034


def test_an_unknown_chain_names_the_ones_the_sdk_knows():
    with pytest.raises(ConfigError) as raised:
        chain_id_of(31337)

    assert raised.value.problem == (
        "unknown chain 31337; the SDK's ChainConfig knows OGPU_MAINNET (1071), "
        "OGPU_TESTNET (200820172034)"
    )


def test_explicit_addresses_need_all_four_singletons():
    with pytest.raises(ConfigError) as raised:
        resolve_target(
            "http://127.0.0.1:1", {"NEXUS": "0x" + "11" * 20}, None, None, None, _never_probed
        )

    assert raised.value.problem.startswith("no address for CONTROLLER, TERMINAL, VAULT")


def test_a_known_chain_resolves_to_the_shipped_config_even_while_a_simulator_is_bound():
    from ogpu_sim import Simulator

    with Simulator.start():
        target = resolve_target(None, None, "testnet", None, None, _never_probed)

    assert target.rpc_url == "https://testnetrpc.ogpuscan.io"
    assert target.ipfs_publish_url == "https://capi.ogpuscan.io/file/create"


def _node_file(folder, rpc_url: str, nexus: str = "0x" + "ab" * 20):
    """A connection file of the shape ``ogpu-sim node`` writes."""
    import json

    from ogpu_sim.accounts import ROLE_ENV_VARS

    addresses = {n: "0x" + f"{i + 1:02x}" * 20 for i, n in enumerate(("CONTROLLER", "TERMINAL"))}
    addresses |= {"NEXUS": nexus, "VAULT": "0x" + "0c" * 20, "MANAGER": "0x" + "0d" * 20}
    info = {
        "rpc_url": rpc_url,
        "chain_id": 200820172034,
        "ipfs_url": "http://127.0.0.1:5001",
        "ipfs_publish_url": "http://127.0.0.1:5001/file/create",
        "addresses": addresses,
        "accounts": {role: {"private_key": "0x" + "42" * 32} for role in ROLE_ENV_VARS},
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "node.json"
    path.write_text(json.dumps(info))
    return path


def _serves_testnet(url: str) -> int:
    return 200820172034


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("OGPU_SIM_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("OGPU_SIM_NODE", raising=False)
    return tmp_path / "cache"


def test_a_loopback_url_takes_the_addresses_of_the_default_node_file_naming_it(cache):
    path = _node_file(cache, "http://127.0.0.1:8545")

    target = resolve_target("http://localhost:8545/", None, None, None, None, _never_probed)

    assert target.origin == f"connection file {path}"
    assert target.addresses["NEXUS"] == Web3.to_checksum_address("0x" + "ab" * 20)
    assert target.ipfs_publish_url == "http://127.0.0.1:5001/file/create"


def test_the_node_file_named_by_ogpu_sim_node_comes_before_the_default(cache, monkeypatch):
    _node_file(cache, "http://127.0.0.1:8545")
    named = _node_file(cache / "elsewhere", "http://127.0.0.1:8545", nexus="0x" + "ee" * 20)
    monkeypatch.setenv("OGPU_SIM_NODE", str(named))

    target = resolve_target("http://127.0.0.1:8545", None, None, None, None, _never_probed)

    assert target.origin == f"connection file {named}"
    assert target.addresses["NEXUS"] == Web3.to_checksum_address("0x" + "ee" * 20)


def test_a_node_file_for_another_port_is_not_taken(cache):
    _node_file(cache, "http://127.0.0.1:8546")

    target = resolve_target("http://127.0.0.1:8545", None, None, None, None, _serves_testnet)

    assert target.origin == "the SDK's ChainConfig for chain 200820172034"


def test_a_remote_url_is_never_matched_to_a_node_file(cache, monkeypatch):
    monkeypatch.setenv("OGPU_SIM_NODE", str(_node_file(cache, "https://rpc.example.org")))

    target = resolve_target("https://rpc.example.org", None, None, None, None, _serves_testnet)

    assert target.origin == "the SDK's ChainConfig for chain 200820172034"


def test_an_unknown_chain_at_a_loopback_url_says_how_to_name_the_node(cache):
    with pytest.raises(ConfigError) as raised:
        resolve_target("http://127.0.0.1:8545", None, None, None, None, lambda url: 31337)

    assert raised.value.problem == (
        "http://127.0.0.1:8545 serves chain 31337, which the SDK's ChainConfig does not know, and "
        "no ogpu-sim node connection file names http://127.0.0.1:8545 (looked at "
        f"{cache}/node.json; $OGPU_SIM_NODE is unset): attach with the node's connection file "
        "instead of its URL, set OGPU_SIM_NODE to it, or pass addresses={'NEXUS': ..., "
        "'CONTROLLER': ..., 'TERMINAL': ..., 'VAULT': ...}"
    )
