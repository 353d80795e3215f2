"""The leaves of an attached network: a protocol someone else deployed, reached over JSON-RPC.

Attach mode (:meth:`ogpu_sim.Simulator.attach`) binds the SDK to a live network instead of
starting one. Where the protocol is comes from :mod:`.target`, whose keys sign from
:func:`.keys.resolve_keys` (the SDK's ``*_PRIVATE_KEY`` variables or ``keys=``; never ogpu-sim's
public test keys). This module holds the live stand-ins for the local leaves: a chain that
refuses snapshots and time travel, and accounts made of the user's keys (fresh ones are funded
by transfer and swept back at the end, or their keys kept when the Vault still holds their
money). The network's own IPFS is reached through :mod:`.live_ipfs`.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_account import Account
from web3 import Web3

from ogpu_sim.accounts import (
    ROLE_ENV_VARS,
    ROLE_INDEX,
    Accounts,
    SimAccount,
    as_sim_account,
    key_hex,
)
from ogpu_sim.chain.remote import RemoteChain
from ogpu_sim.errors import AttachModeError, MissingKeysError
from ogpu_sim.network.spend import GuardedHTTPProvider, SpendLedger
from ogpu_sim.vocabulary import VAULT_BUCKET_GETTERS, cache_dir

FRESH_ACCOUNT_GAS = 4_000_000
"""Gas a fresh local provider or master is funded for (pairing, registering, a few tasks)."""


class LiveChain(RemoteChain):
    """A live network's node: reads and signed sends only; every spend is checked first.

    Snapshots, reverts, time travel, mining and balance setting are refused with
    :class:`~ogpu_sim.errors.AttachModeError`: they would rewrite a chain other people use.
    """

    def __init__(self, rpc_url: str, ledger: SpendLedger, timeout: float = 30.0) -> None:
        super().__init__(rpc_url, timeout=timeout)
        self.w3.provider = GuardedHTTPProvider(rpc_url, ledger, request_kwargs={"timeout": timeout})
        self.is_local = False  # a live network: never the public test keys

    def _refuse(self, operation: str, problem: str) -> AttachModeError:
        return AttachModeError(operation, self.rpc_url, problem)

    def snapshot(self) -> str:
        raise self._refuse("snapshot", "a live network cannot be rolled back")

    def revert(self, snapshot_id: str) -> None:
        raise self._refuse("revert", "a live network cannot be rolled back")

    def advance_time(self, seconds: int) -> None:
        raise self._refuse("advance_time", "a live network's clock is the wall clock")

    def mine(self, blocks: int = 1) -> None:
        raise self._refuse("mine", "the live network mines its own blocks")

    def set_balance(self, address: str, wei: int) -> None:
        raise self._refuse("set_balance", "balances move only by signed transfers")


@dataclass
class LiveAccounts(Accounts):
    """The user's keys by role, and fresh accounts the run funds from them.

    Args:
        keys: the user's accounts by role (``client`` at least).
        rpc_url: the live endpoint, for error messages.
        budget: native wei a fresh account gets by default (gas for a few transactions).
        ledger: the spend ledger, told about fresh accounts (their transactions are the run's).
        extra: native wei a fresh account of a role gets on top of gas by default (``simulate``
            gives its fresh clients their Vault deposits this way).
    """

    keys: dict[str, SimAccount] = field(default_factory=dict)
    rpc_url: str = ""
    budget: Callable[[], int] = lambda: 0
    ledger: SpendLedger | None = None
    extra: dict[str, int] = field(default_factory=dict)
    fresh: list[SimAccount] = field(default_factory=list)

    def role(self, name: str) -> SimAccount:
        """The user's key for ``name``.

        Raises:
            AttachModeError: ``deployer``: someone else deployed the protocol.
            MissingKeysError: no key was given for that role.
        """
        if name == "deployer":
            raise AttachModeError(
                "accounts.deployer",
                self.rpc_url,
                "the protocol was deployed by someone else; there is no admin key",
            )
        if name not in ROLE_INDEX:
            super().role(name)  # raises the unknown-role ConfigError
        if name not in self.keys:
            raise MissingKeysError((name,), (ROLE_ENV_VARS[name],))
        return self.keys[name]

    @property
    def funder(self) -> SimAccount:
        """Who funds fresh accounts (local providers, their masters): the user's master key.

        Raises:
            AttachModeError: no master key was given, so the run adds no providers of its own.
        """
        master = self.keys.get("master")
        if master is None:
            raise AttachModeError(
                "funding local providers",
                self.rpc_url,
                "it needs your master key, which funds and stakes them (set MASTER_PRIVATE_KEY or "
                "pass keys={'master': ...}); without one only the live network's providers answer",
            )
        return master

    def fund_roles(self) -> None:
        """Nothing: the user's accounts are funded already."""

    def new(self, role: str = "account", *, balance: int | None = None) -> SimAccount:
        """A fresh random account, funded by a transfer from :attr:`funder`.

        Args:
            role: a label for logs.
            balance: native wei to send it (default: gas for a few transactions).

        Raises:
            AttachModeError: no master key to fund it from.
        """
        self.funder  # noqa: B018 (refuses before anything is created)
        account = as_sim_account(Account.create())
        self.fresh.append(account)
        if self.ledger is not None:
            self.ledger.fresh.add(account.address)
        default = self.budget() + self.extra.get(role, 0)
        self.fund(account.address, default if balance is None else balance)
        return account

    def env(self) -> dict[str, str]:
        """The SDK role variables for the keys given (so its role fallback signs with them)."""
        return {ROLE_ENV_VARS[role]: key_hex(account) for role, account in self.keys.items()}


def gas_budget(w3: Web3, gas: int = FRESH_ACCOUNT_GAS) -> int:
    """Native wei a fresh account needs: ``gas`` twice over at the current fee cap (base fee x 2
    + tip, or the gas price), and at least a whole block's gas limit at it, which some nodes
    (eth-tester) require of the sender to estimate any transaction's gas."""
    latest = w3.eth.get_block("latest")
    base = int(latest.get("baseFeePerGas") or 0)
    try:
        tip = int(w3.eth.max_priority_fee)
    except Exception:  # nodes without eth_maxPriorityFeePerGas
        tip = 0
    price = max(2 * base + tip, int(w3.eth.gas_price))
    return max(2 * price * gas, price * int(latest["gasLimit"]) * 11 // 10)


def sweep(w3: Web3, accounts: list[SimAccount], to: str, timeout: float = 60.0) -> int:
    """Send what fresh accounts hold (less the transfer's gas) back to ``to``; return the wei.

    Best effort: an account that cannot pay for the transfer keeps its dust.
    """
    price = int(w3.eth.gas_price)
    sent: list[Any] = []
    total = 0
    for account in accounts:
        balance = int(w3.eth.get_balance(account.address))
        amount = balance - 21_000 * price
        if amount <= 0:
            continue
        tx: dict[str, Any] = {
            "to": Web3.to_checksum_address(to),
            "value": amount,
            "nonce": w3.eth.get_transaction_count(account.address, "pending"),
            "chainId": w3.eth.chain_id,
            "gas": 21_000,
            "gasPrice": price,
        }
        signed = account.sign_transaction(tx)  # type: ignore[arg-type]
        sent.append(w3.eth.send_raw_transaction(signed.raw_transaction))
        total += amount
    deadline = time.monotonic() + timeout
    for tx_hash in sent:
        w3.eth.wait_for_transaction_receipt(tx_hash, timeout=max(deadline - time.monotonic(), 1))
    return total


def vault_held(vault: Any, address: str) -> int:
    """Everything the Vault holds for ``address``, over all its buckets (wei)."""
    functions = vault.functions
    return sum(int(getattr(functions, g)(address).call()) for g in VAULT_BUCKET_GETTERS.values())


def kept_keys_file(chain_id: int, nexus: str) -> Path:
    """Where an attached run keeps the keys of fresh accounts it could not empty, one file per
    deployment: a chain id alone would mix a local ``ogpu-sim node`` rehearsal (which serves
    the testnet's chain id) with the testnet itself.

    Args:
        chain_id: the chain the run attached to.
        nexus: the deployment's Nexus address.
    """
    return cache_dir() / "attach-keys" / f"{chain_id}-{nexus.lower()}.jsonl"


def keep_keys(vault: Any, accounts: list[SimAccount], chain_id: int, nexus: str) -> dict[str, int]:
    """Append the key of every fresh account still holding value in the Vault to
    :func:`kept_keys_file` (owner-only permissions), so a locked stake or a frozen escrow is not
    lost with the run: unbond and claim it later with that key. Each line names the chain id
    and the Nexus it is on.

    Returns:
        The wei each kept account holds in the Vault, by address.
    """
    held = {str(a.address): vault_held(vault, a.address) for a in accounts}
    kept = [a for a in accounts if held[str(a.address)] > 0]
    if kept:
        path = kept_keys_file(chain_id, nexus)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a") as out:
            for account in kept:
                line = {
                    "chain_id": chain_id,
                    "nexus": Web3.to_checksum_address(nexus),
                    "address": str(account.address),
                    "private_key": key_hex(account),
                    "vault_wei": held[str(account.address)],
                    "saved_at": int(time.time()),
                }
                out.write(json.dumps(line) + "\n")
    return {address: wei for address, wei in held.items() if wei > 0}
