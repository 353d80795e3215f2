"""A live network stand-in for attach mode: an ``ogpu-sim node --providers 1`` process.

The node runs in its own process and deploys its own protocol; the tests only attach to it.
The keys the tests pass are fresh ones, funded here by plain transfers from the node's
deployer (and a Vault deposit by the client itself): nothing in the test process deploys,
reverts or moves time on the node.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from web3 import Web3

from ogpu_sim.accounts import key_hex
from ogpu_sim.network import transfer
from ogpu_sim.protocol import contract, send

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "fixtures" / "example-source-repo"
ETHER = 10**18
ROLE_VARIABLES = (
    "CLIENT_PRIVATE_KEY",
    "PROVIDER_PRIVATE_KEY",
    "MASTER_PRIVATE_KEY",
    "AGENT_PRIVATE_KEY",
)


@dataclass(frozen=True)
class Node:
    """A running node: its connection file and what it says."""

    info_file: Path
    info: dict[str, Any]

    @property
    def rpc_url(self) -> str:
        return str(self.info["rpc_url"])

    @property
    def w3(self) -> Web3:
        return Web3(Web3.HTTPProvider(self.rpc_url))

    def contract(self, name: str) -> Any:
        return contract(self.w3, name.capitalize(), self.info["addresses"][name])

    def fresh_keys(self, native: int = 10 * ETHER, deposit: int = ETHER) -> dict[str, str]:
        """A new client (``deposit`` in its Vault) and master, funded from the node's deployer."""
        w3 = self.w3
        deployer = Account.from_key(self.info["accounts"]["deployer"]["private_key"])
        client, master = Account.create(), Account.create()
        for account in (client, master):
            transfer(w3, deployer, account.address, native)
        if deposit:
            vault = self.contract("VAULT")
            send(w3, client, vault.functions.deposit(client.address), value=deposit)
        return {"client": key_hex(client), "master": key_hex(master)}


@pytest.fixture(scope="session")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    """``ogpu-sim node --providers 1``: every source published gets a provider of its own."""
    folder = tmp_path_factory.mktemp("node")
    info, log = folder / "node.json", folder / "node.log"
    command = [sys.executable, "-m", "ogpu_sim.cli", "node", "--info", str(info)]
    command += ["--providers", "1", "--handler", str(EXAMPLE), "--runtime", "inline"]
    with log.open("w") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while not info.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"node did not start:\n{log.read_text()}")
            time.sleep(0.1)
        yield Node(info, json.loads(info.read_text()))
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture
def no_role_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """No role key in the environment (a developer's shell may have some)."""
    for variable in ROLE_VARIABLES:
        monkeypatch.delenv(variable, raising=False)


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's own ogpu-sim cache: kept attach keys and connection files a test writes or
    looks for never touch the developer's ``~/.cache/ogpu-sim``."""
    cache = tmp_path / "ogpu-sim-cache"
    monkeypatch.setenv("OGPU_SIM_CACHE", str(cache))
    return cache
