"""Deterministic, funded accounts by protocol role.

Every simulator derives the same accounts from one public test mnemonic (the one anvil and
hardhat use), so addresses are stable across runs and backends. These keys are public: the
simulator refuses to sign with them for a non-local RPC endpoint (see
:class:`ogpu_sim.errors.UnsafeSignerError`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from eth_account import Account
from eth_account.signers.local import LocalAccount

from ogpu_sim.errors import ConfigError

DEFAULT_MNEMONIC = "test test test test test test test test test test test junk"
"""The public development mnemonic shared by anvil and hardhat. Never use it on a real chain."""

ETHER = 10**18
DEFAULT_NATIVE_BALANCE = 10_000 * ETHER

ROLE_INDEX: dict[str, int] = {"deployer": 0, "client": 1, "provider": 2, "master": 3, "agent": 4}
"""HD-wallet index of each well-known role (m/44'/60'/0'/0/<index>)."""

FRESH_INDEX_BASE = 1_000
"""Accounts made by :meth:`Accounts.new` start at this index, out of the way of the roles."""

ROLE_ENV_VARS: dict[str, str] = {
    "client": "CLIENT_PRIVATE_KEY",
    "provider": "PROVIDER_PRIVATE_KEY",
    "master": "MASTER_PRIVATE_KEY",
    "agent": "AGENT_PRIVATE_KEY",
}
"""The SDK's role fallback environment variables (``ogpu.protocol._signer.resolve_signer``)."""


class PrivateKey(str):
    """A private key as the ``0x`` hex string the SDK takes (``private_key=``, ``signer=``).

    The SDK accepts a hex string or a ``LocalAccount`` and refuses eth-account's ``HexBytes``,
    so the accounts ogpu-sim hands out carry their key in this form; it still converts with
    ``bytes(key)``, ``key.hex()`` and ``Account.from_key(key)`` like ``HexBytes`` does.
    """

    def __new__(cls, raw: bytes) -> PrivateKey:
        return super().__new__(cls, "0x" + bytes(raw).hex())

    def __bytes__(self) -> bytes:
        return bytes.fromhex(self[2:])

    def hex(self) -> str:
        """The key as hex without ``0x`` (what ``HexBytes.hex()`` gives)."""
        return self[2:]

    def to_0x_hex(self) -> str:
        """The key as ``0x`` hex (what ``HexBytes.to_0x_hex()`` gives)."""
        return str(self)


class SimAccount(LocalAccount):
    """A ``LocalAccount`` whose ``key`` is a :class:`PrivateKey`, so ``acct.key`` works
    wherever the SDK takes a key and ``acct`` itself wherever it takes an account."""

    @property
    def key(self) -> PrivateKey:  # type: ignore[override]
        return PrivateKey(self._private_key)

    def __bytes__(self) -> bytes:
        return self._private_key


def as_sim_account(account: LocalAccount) -> SimAccount:
    """The same key as a :class:`SimAccount`."""
    if isinstance(account, SimAccount):
        return account
    return SimAccount(account._key_obj, account._publicapi)


@lru_cache(maxsize=4096)
def derive(index: int, mnemonic: str = DEFAULT_MNEMONIC) -> SimAccount:
    """Return the account at ``m/44'/60'/0'/0/<index>`` of ``mnemonic``.

    Cached: HD derivation costs milliseconds.
    """
    Account.enable_unaudited_hdwallet_features()
    return as_sim_account(Account.from_mnemonic(mnemonic, account_path=f"m/44'/60'/0'/0/{index}"))


def key_hex(account: LocalAccount) -> str:
    """The private key as the ``0x`` hex string the SDK's ``private_key=`` takes."""
    return "0x" + bytes(account.key).hex()


@dataclass
class Accounts:
    """The simulator's accounts: well-known roles plus fresh ones on demand.

    Args:
        fund: called as ``fund(address, wei)`` to give a new account its native balance.
        mnemonic: the HD mnemonic all accounts derive from.
        native_balance: native wei every account starts with.
    """

    fund: Callable[[str, int], None]
    mnemonic: str = field(default=DEFAULT_MNEMONIC, repr=False)
    native_balance: int = DEFAULT_NATIVE_BALANCE
    _next_fresh: int = field(default=FRESH_INDEX_BASE, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def role(self, name: str) -> SimAccount:
        """The well-known account of a role (deployer, client, provider, master, agent)."""
        if name not in ROLE_INDEX:
            raise ConfigError(
                "role", f"unknown role {name!r}; known roles: {', '.join(ROLE_INDEX)}"
            )
        return derive(ROLE_INDEX[name], self.mnemonic)

    @property
    def deployer(self) -> SimAccount:
        """Deploys and administers the protocol (DEFAULT_ADMIN_ROLE and JUDGE in Manager)."""
        return self.role("deployer")

    @property
    def client(self) -> SimAccount:
        """Publishes sources and tasks; starts with a pre-funded Vault balance."""
        return self.role("client")

    @property
    def provider(self) -> SimAccount:
        """A provider announced by :attr:`master` and staked in the Vault."""
        return self.role("provider")

    @property
    def master(self) -> SimAccount:
        """The master paired with :attr:`provider`."""
        return self.role("master")

    @property
    def agent(self) -> SimAccount:
        """An account the client and the master may authorise as their agent."""
        return self.role("agent")

    def fund_roles(self) -> None:
        """Give every well-known role its native balance."""
        for name in ROLE_INDEX:
            self.fund(self.role(name).address, self.native_balance)

    def new(self, role: str = "account", *, balance: int | None = None) -> SimAccount:
        """Make a fresh, natively funded account with nothing in the Vault.

        Args:
            role: a label for logs and reports; it does not change what the account can do.
            balance: native wei to give it (default: the simulator's per-account balance).
        """
        with self._lock:
            index = self._next_fresh
            self._next_fresh += 1
        account = derive(index, self.mnemonic)
        self.fund(account.address, self.native_balance if balance is None else balance)
        return account

    def env(self) -> dict[str, str]:
        """The SDK role environment variables pointing at the well-known accounts."""
        return {var: key_hex(self.role(role)) for role, var in ROLE_ENV_VARS.items()}
