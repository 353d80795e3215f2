"""protocol.deploy and send on a real JSON-RPC node (anvil), signing locally.

The node has no unlocked account of ours: everything goes through eth_sendRawTransaction,
as on a testnet. Reverts come back as web3's ContractLogicError with the reason.
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from web3 import HTTPProvider, Web3
from web3.exceptions import ContractLogicError

from ogpu_sim import protocol

ANVIL = Path(__file__).resolve().parents[2] / "node_modules" / ".bin" / "anvil"
CHAIN_ID = 200820172034

pytestmark = pytest.mark.anvil


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def anvil() -> Iterator[Web3]:
    assert ANVIL.exists(), f"anvil not found at {ANVIL}: run `make install` (npm ci)"
    port = _free_port()
    proc = subprocess.Popen(
        [
            str(ANVIL),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--chain-id",
            str(CHAIN_ID),
            "--silent",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        w3 = Web3(HTTPProvider(f"http://127.0.0.1:{port}", request_kwargs={"timeout": 10}))
        deadline = time.monotonic() + 15
        while not w3.is_connected():
            assert proc.poll() is None, "anvil exited during start-up"
            assert time.monotonic() < deadline, "anvil did not answer within 15 s"
            time.sleep(0.05)
        yield w3
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _funded(w3: Web3, label: str) -> LocalAccount:
    """A fresh local key, funded through anvil's cheat RPC (the node never holds the key)."""
    account: LocalAccount = Account.from_key(keccak(text=f"ogpu-sim remote {label}"))
    w3.provider.make_request("anvil_setBalance", [account.address, hex(1_000 * 10**18)])
    return account


@pytest.fixture(scope="module")
def deployed(anvil: Web3) -> tuple[Web3, protocol.Deployment, dict[str, LocalAccount]]:
    accounts = {r: _funded(anvil, r) for r in ("deployer", "client", "master", "provider")}
    assert all(a.address not in anvil.eth.accounts for a in accounts.values())
    return anvil, protocol.deploy(anvil, accounts["deployer"]), accounts


def test_deploy_on_a_remote_node_wires_the_protocol(deployed) -> None:
    w3, dep, accounts = deployed
    assert w3.eth.chain_id == CHAIN_ID
    assert [dep.addresses[k] for k in protocol.SINGLETONS] == [
        protocol.create_address(accounts["deployer"].address, n) for n in range(5)
    ]
    assert dep.contracts["NEXUS"].functions.vault().call() == dep.addresses["VAULT"]
    assert dep.contracts["TERMINAL"].functions.vault().call() == dep.addresses["VAULT"]
    assert dep.contracts["VAULT"].functions.UNBONDING_PERIOD().call() == 10
    assert dep.contracts["NEXUS"].functions.checkController(dep.addresses["CONTROLLER"]).call()
    assert dep.block_number == max(r["blockNumber"] for r in dep.receipts)


def test_a_first_response_task_runs_end_to_end_on_a_remote_node(deployed) -> None:
    w3, dep, a = deployed
    nexus, controller, terminal, vault = (
        dep.contracts[k] for k in ("NEXUS", "CONTROLLER", "TERMINAL", "VAULT")
    )
    send = protocol.send
    send(w3, a["master"], terminal.functions.announceProvider(a["provider"].address, 0))
    send(w3, a["provider"], terminal.functions.announceMaster(a["master"].address))
    send(w3, a["client"], vault.functions.deposit(a["client"].address), value=10**18)
    params = (a["client"].address, "ipfs://m", 1, 0, 0, 3_600, False, "", 1, 0)
    receipt = send(w3, a["client"], nexus.functions.publishSource(params))
    source = nexus.events.SourcePublished().process_receipt(receipt)[0]["args"]["source"]
    send(w3, a["provider"], nexus.functions.register(source, a["provider"].address, 1))
    expiry = w3.eth.get_block("latest")["timestamp"] + 600
    receipt = send(
        w3, a["client"], controller.functions.publishTask((source, "ipfs://t", expiry, 10**16))
    )
    task = nexus.events.TaskPublished().process_receipt(receipt)[0]["args"]["task"]
    send(w3, a["provider"], nexus.functions.attempt(task, a["provider"].address, 0))
    send(
        w3,
        a["provider"],
        nexus.functions.submitResponse((task, a["provider"].address, "ipfs://r", 10**16)),
    )
    assert protocol.instance(w3, "Task", task).functions.getStatus().call() == 5
    assert vault.functions.balanceOf(a["provider"].address).call() == 10**16
    assert vault.functions.balanceOf(a["client"].address).call() == 10**18 - 10**16


def test_a_revert_on_a_remote_node_carries_the_reason(deployed) -> None:
    w3, dep, a = deployed
    with pytest.raises(ContractLogicError, match="InsufficientBalance"):
        protocol.send(w3, a["provider"], dep.contracts["VAULT"].functions.withdraw(10**30))
