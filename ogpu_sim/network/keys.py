"""The user's own keys for a node that is not on this machine: from the environment (the CLI,
the pytest plugin) or ``keys=`` (attach mode), never from the command line.

The public test mnemonic and ogpu-sim's public test keys never sign for a remote endpoint
(:class:`~ogpu_sim.errors.UnsafeSignerError`); a face that starts a network on ``--backend rpc``
asks :func:`own_mnemonic` first, so a remote URL without keys is refused as a usage error naming
the variable to set, before anything starts; attach mode takes its keys by role from
:func:`resolve_keys`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount

from ogpu_sim.accounts import (
    DEFAULT_MNEMONIC,
    ROLE_ENV_VARS,
    ROLE_INDEX,
    SimAccount,
    as_sim_account,
    derive,
)
from ogpu_sim.chain.base import is_loopback_url
from ogpu_sim.chain.urls import why_not_loopback
from ogpu_sim.errors import ConfigError, MissingKeysError, UnsafeSignerError
from ogpu_sim.vocabulary import MNEMONIC_ENV

REQUIRED_ROLES = ("client",)
"""Roles attach mode cannot start without (the client publishes sources and tasks)."""

PUBLIC_KEY_INDEXES = range(20)
"""HD indexes of the public test mnemonic that anvil and hardhat fund (refused when remote)."""


def own_mnemonic(rpc_url: str, option: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The mnemonic in :data:`~ogpu_sim.vocabulary.MNEMONIC_ENV`, or None for the test keys.

    Args:
        rpc_url: the node ``--backend rpc`` runs on.
        option: how the caller names the URL's option (for the error).
        environ: where to read the variable (default ``os.environ``).

    Raises:
        ConfigError: the node is not on this machine and the variable is unset or empty, or
            the variable is not a BIP-39 phrase.
    """
    mnemonic = (os.environ if environ is None else environ).get(MNEMONIC_ENV, "").strip()
    if mnemonic:
        from ogpu_sim.network import check_mnemonic

        return check_mnemonic(mnemonic, f"${MNEMONIC_ENV}")
    why = why_not_loopback(rpc_url)
    if why is not None:
        raise ConfigError(
            option,
            f"{rpc_url} is not on this machine ({why}): ogpu-sim's public test keys never sign "
            f"for it; set {MNEMONIC_ENV} to the mnemonic of your own funded accounts",
        )
    return None


__all__ = ["own_mnemonic"]


def resolve_keys(keys: Mapping[str, Any] | None, rpc_url: str) -> dict[str, SimAccount]:
    """The user's keys by role: ``keys=`` first, then the SDK's ``*_PRIVATE_KEY`` variables.

    Raises:
        ConfigError: an unknown role or a value that is not a private key.
        MissingKeysError: no client key.
        UnsafeSignerError: one of ogpu-sim's public test keys, for a non-loopback endpoint.
    """
    given = dict(keys or {})
    unknown = sorted(set(given) - set(ROLE_ENV_VARS))
    if unknown:
        raise ConfigError("keys", f"unknown role {unknown[0]!r}; roles: {', '.join(ROLE_ENV_VARS)}")
    resolved: dict[str, SimAccount] = {}
    for role, variable in ROLE_ENV_VARS.items():
        value = given.get(role) or os.environ.get(variable)
        if not value:
            continue
        where = f"keys[{role!r}]" if role in given else variable
        try:
            account = value if isinstance(value, LocalAccount) else Account.from_key(value)
        except Exception:  # eth-account raises several types for a malformed key
            raise ConfigError("keys", f"{where} is not a private key") from None
        resolved[role] = as_sim_account(account)
    missing = tuple(role for role in REQUIRED_ROLES if role not in resolved)
    if missing:
        raise MissingKeysError(missing, tuple(ROLE_ENV_VARS[r] for r in missing))
    if not is_loopback_url(rpc_url):
        public = {derive(i, DEFAULT_MNEMONIC).address for i in PUBLIC_KEY_INDEXES}
        public |= {derive(i, DEFAULT_MNEMONIC).address for i in ROLE_INDEX.values()}
        if any(account.address in public for account in resolved.values()):
            raise UnsafeSignerError(
                rpc_url, "set CLIENT_PRIVATE_KEY (...) or keys= to keys of your own funded accounts"
            )
    return resolved
