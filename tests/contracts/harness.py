"""A small driver for the protocol contracts on eth-tester, shared by the contract tests.

It talks to the contracts only through ``ogpu_sim.protocol`` (deploy, send, instance) and
plain web3, so the tests exercise exactly what other layers use.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from eth_abi import encode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_tester.exceptions import TransactionFailed
from eth_utils import keccak
from hexbytes import HexBytes
from web3 import EthereumTesterProvider, Web3
from web3.contract import Contract
from web3.types import TxReceipt

from ogpu_sim import artifacts, protocol
from ogpu_sim.protocol import Deployment, ProtocolConfig

ETHER = 10**18
TX_GAS = 8_000_000
HOLDINGS = ("balanceOf", "lockupOf", "unbondingOf", "frozenPayment", "sanctionOf")
VAULT_SLOTS = {
    entry["label"]: int(entry["slot"])
    for entry in artifacts.load("Vault")["storageLayout"]["storage"]
}
ZERO = "0x0000000000000000000000000000000000000000"
ROLES = (
    "deployer",
    "client",
    "client2",
    "master",
    "provider",
    "master2",
    "provider2",
    "agent",
    "stranger",
)

# TaskStatus / SourceStatus / ResponseStatus / DeliveryMethod values (docs/protocol.md, types).
NEW, ATTEMPTED, RESPONDED, CANCELED, EXPIRED, FINALIZED = range(6)
ACTIVE, INACTIVE = 0, 1
SUBMITTED, CONFIRMED = 0, 1
MANUAL, FIRST = 0, 1
CPU, NVIDIA, AMD = 1, 2, 4


@contextmanager
def reverts(reason: str) -> Iterator[None]:
    """Expect the enclosed transaction to revert with exactly ``Error(reason)``."""
    with pytest.raises(TransactionFailed) as info:
        yield
    assert str(info.value) == f"execution reverted: {reason}"


@contextmanager
def reverts_with_error(signature: str, *args: Any) -> Iterator[None]:
    """Expect a custom-error revert, e.g. ``("OwnableUnauthorizedAccount(address)", addr)``."""
    with pytest.raises(TransactionFailed) as info:
        yield
    types = re.fullmatch(r"\w+\((.*)\)", signature)
    assert types is not None
    arg_types = [t for t in types.group(1).split(",") if t]
    data = keccak(text=signature)[:4] + encode(arg_types, list(args))
    assert str(info.value) == f"execution reverted: {data!r}"


@dataclass
class Net:
    """One deployed protocol with funded role accounts, plus helpers for common flows."""

    w3: Web3
    tester: Any
    deployment: Deployment
    accounts: dict[str, LocalAccount]
    tracked: set[str] = field(default_factory=set)
    baseline_sources: dict[int, Contract] = field(default_factory=dict)

    # ---- handles ---------------------------------------------------------------
    @property
    def nexus(self) -> Contract:
        return self.deployment.contracts["NEXUS"]

    @property
    def controller(self) -> Contract:
        return self.deployment.contracts["CONTROLLER"]

    @property
    def terminal(self) -> Contract:
        return self.deployment.contracts["TERMINAL"]

    @property
    def vault(self) -> Contract:
        return self.deployment.contracts["VAULT"]

    @property
    def manager(self) -> Contract:
        return self.deployment.contracts["MANAGER"]

    def __getattr__(self, role: str) -> LocalAccount:
        if role in ROLES:
            return self.accounts[role]
        raise AttributeError(role)

    # ---- chain -----------------------------------------------------------------
    def tx(self, account: LocalAccount, fn: Any, value: int = 0) -> TxReceipt:
        """Sign and send through ``protocol.send`` with a fixed gas limit (eth-tester's
        estimate costs several executions). If it reverts, the chain is rolled back to
        before it (as a node that refused it at estimation would be) and a dry run at the
        pending block raises eth-tester's ``TransactionFailed`` with the exact reason."""
        snapshot = self.tester.take_snapshot()
        try:
            return protocol.send(self.w3, account, fn, value=value, gas=TX_GAS)
        except protocol.TransactionRevertedError:
            self.tester.revert_to_snapshot(snapshot)
            fn.call({"from": account.address, "value": value}, block_identifier="pending")
            raise

    def now(self) -> int:
        """The timestamp the next transaction runs at (the pending block's).

        Not the latest block's: after a snapshot revert the chain's head can be minutes old,
        and eth-tester stamps the next block with the wall clock when that is later.
        """
        return int(self.w3.eth.get_block("pending")["timestamp"])

    def advance(self, seconds: int) -> None:
        """Make the next transaction run ``seconds`` later than it would have."""
        self.tester.time_travel(self.now() + seconds)

    def events(self, receipt: TxReceipt, contract: Contract, name: str) -> list[dict[str, Any]]:
        """Decoded args of every ``name`` log that ``contract`` emitted in ``receipt``."""
        event = getattr(contract.events, name)()
        topic = HexBytes(event.topic)
        return [
            dict(event.process_log(log)["args"])
            for log in receipt["logs"]
            if log["address"] == contract.address
            and log["topics"]
            and HexBytes(log["topics"][0]) == topic
        ]

    def log_names(self, receipt: TxReceipt, *contracts: Contract) -> list[str]:
        """Names of the logs in ``receipt`` that any of ``contracts``' ABIs can decode, in order."""
        topics: dict[bytes, str] = {}
        for c in contracts:
            for entry in c.abi:
                if entry["type"] == "event":
                    topics[bytes(HexBytes(getattr(c.events, entry["name"])().topic))] = entry[
                        "name"
                    ]
        return [topics.get(bytes(log["topics"][0]), "?") for log in receipt["logs"]]

    # ---- vault ledgers ---------------------------------------------------------
    def ledgers(self, account: str) -> dict[str, int]:
        f = self.vault.functions
        return {
            "balance": f.balanceOf(account).call(),
            "lockup": f.lockupOf(account).call(),
            "unbonding": f.unbondingOf(account).call(),
            "frozen": f.frozenPayment(account).call(),
            "sanction": f.sanctionOf(account).call(),
            "earnings": f.totalEarningsOf(account).call(),
        }

    def ledger_total(self, accounts: set[str] | None = None) -> int:
        """Sum of every tracked account's holdings in the Vault (balance, lockup, unbonding,
        frozen, sanction; earnings are a statistic, not a holding).

        Read straight from the Vault's storage (slots from the artifact's storage layout):
        some 50 getter calls per test would cost more than the test itself.
        """
        state = self.tester.backend.chain.get_vm().state
        vault = bytes.fromhex(self.vault.address[2:])
        total = 0
        for label in HOLDINGS:
            slot = VAULT_SLOTS[label]
            for account in self.tracked if accounts is None else accounts:
                key = keccak(encode(["address", "uint256"], [account, slot]))
                total += state.get_storage(vault, int.from_bytes(key, "big"))
        return total

    # ---- flows -----------------------------------------------------------------
    def source_params(self, client: LocalAccount, **overrides: Any) -> tuple[Any, ...]:
        params: dict[str, Any] = {
            "client": client.address,
            "imageMetadataUrl": "ipfs://metadata",
            "imageEnvironments": CPU | NVIDIA,
            "minPayment": 10**15,
            "minAvailableLockup": 0,
            "maxExpiryDuration": 86_400,
            "privacyEnabled": False,
            "optionalParamsUrl": "",
            "deliveryMethod": MANUAL,
            "lastUpdateTime": 1_700_000_000,
        }
        params.update(overrides)
        return tuple(params.values())

    def publish_source(
        self,
        client: LocalAccount | None = None,
        signer: LocalAccount | None = None,
        **overrides: Any,
    ) -> Contract:
        client = client or self.client
        receipt = self.tx(
            signer or client,
            self.nexus.functions.publishSource(self.source_params(client, **overrides)),
        )
        (event,) = self.events(receipt, self.nexus, "SourcePublished")
        return protocol.instance(self.w3, "Source", event["source"])

    def deposit(self, account: LocalAccount, amount: int) -> None:
        self.tx(account, self.vault.functions.deposit(account.address), value=amount)

    def pair(self, master: LocalAccount, provider: LocalAccount, stake: int = 0) -> None:
        self.tx(
            master, self.terminal.functions.announceProvider(provider.address, stake), value=stake
        )
        self.tx(provider, self.terminal.functions.announceMaster(master.address))

    def register(
        self,
        source: Contract,
        provider: LocalAccount,
        env: int = CPU,
        signer: LocalAccount | None = None,
    ) -> TxReceipt:
        return self.tx(
            signer or provider, self.nexus.functions.register(source.address, provider.address, env)
        )

    def publish_task(
        self,
        source: Contract,
        payment: int = 10**16,
        expires_in: int = 3_600,
        signer: LocalAccount | None = None,
        config: str = "ipfs://task",
    ) -> Contract:
        receipt = self.tx(
            signer or self.client,
            self.controller.functions.publishTask(
                (source.address, config, self.now() + expires_in, payment)
            ),
        )
        (event,) = self.events(receipt, self.nexus, "TaskPublished")
        return protocol.instance(self.w3, "Task", event["task"])

    def attempt(
        self,
        task: Contract,
        provider: LocalAccount,
        suggested: int = 0,
        signer: LocalAccount | None = None,
    ) -> TxReceipt:
        return self.tx(
            signer or provider,
            self.nexus.functions.attempt(task.address, provider.address, suggested),
        )

    def respond(
        self,
        task: Contract,
        provider: LocalAccount,
        data: str = "ipfs://result",
        payment: int | None = None,
        signer: LocalAccount | None = None,
    ) -> Contract:
        if payment is None:
            payment = task.functions.getPayment().call()
        receipt = self.tx(
            signer or provider,
            self.nexus.functions.submitResponse((task.address, provider.address, data, payment)),
        )
        (event,) = self.events(receipt, self.nexus, "ResponseSubmitted")
        return protocol.instance(self.w3, "Response", event["response"])

    def ready_source(self, delivery: int = MANUAL, **overrides: Any) -> Contract:
        """A source of ``client`` with ``provider`` and ``provider2`` registered (CPU).

        Without overrides this is one of the two sources published in the baseline state
        (one per delivery method), which saves three transactions per test.
        """
        if not overrides and delivery in self.baseline_sources:
            return self.baseline_sources[delivery]
        source = self.publish_source(deliveryMethod=delivery, **overrides)
        for provider in (self.provider, self.provider2):
            self.register(source, provider)
        return source


def start_net(config: ProtocolConfig = ProtocolConfig()) -> Net:
    """A fresh eth-tester chain with the protocol deployed, role accounts funded and paired,
    the two clients holding 10 ether each in the Vault, and ``client`` owning two sources
    (MANUAL_CONFIRMATION, FIRST_RESPONSE) that both providers are registered to."""
    provider = EthereumTesterProvider()
    w3 = Web3(provider)
    funder = w3.eth.accounts[0]
    accounts = {
        role: Account.from_key(keccak(text=f"ogpu-sim contract tests {role}")) for role in ROLES
    }
    for account in accounts.values():
        w3.eth.send_transaction({"from": funder, "to": account.address, "value": 1_000 * ETHER})
    deployment = protocol.deploy(w3, accounts["deployer"], config)
    net = Net(
        w3=w3,
        tester=provider.ethereum_tester,
        deployment=deployment,
        accounts=accounts,
        tracked={a.address for a in accounts.values()},
    )
    net.pair(net.master, net.provider)
    net.pair(net.master2, net.provider2)
    for client in (net.client, net.client2):
        net.deposit(client, 10 * ETHER)
    for delivery in (MANUAL, FIRST):
        net.baseline_sources[delivery] = net.ready_source(delivery)
    return net
