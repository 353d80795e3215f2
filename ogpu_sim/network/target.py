"""Where an attached network's protocol is: its endpoint, chain id, addresses and IPFS.

Attach mode (:meth:`ogpu_sim.Simulator.attach`) takes them as given, from an ``ogpu-sim node``
connection file, or from the SDK's ``ChainConfig`` for a known chain id; a bare loopback URL is
matched to the connection file that names it, a remote one to the chain id it serves. Two
sources that disagree are refused, never reconciled.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from web3 import Web3

from ogpu_sim.chain.base import is_loopback_url
from ogpu_sim.errors import ConfigError
from ogpu_sim.network.connection import DEFAULT_INFO, ENV_VAR, is_address, read_connection_file
from ogpu_sim.vocabulary import cache_dir

REQUIRED_CONTRACTS = ("NEXUS", "CONTROLLER", "TERMINAL", "VAULT")
"""The singletons the SDK calls (``ChainConfig.CHAIN_CONTRACTS`` names these four)."""


@dataclass(frozen=True)
class Target:
    """Where the protocol lives, resolved: endpoint, chain id, addresses, IPFS, and whence."""

    rpc_url: str
    addresses: dict[str, str]
    ipfs_publish_url: str
    origin: str
    chain_id: int | None = None


def chain_id_of(chain: Any) -> int:
    """The chain id of a ``ChainId``, an int, or a name (``testnet``, ``OGPU_MAINNET``).

    Raises:
        ConfigError: a name or id the SDK's ``ChainId`` does not know.
    """
    from ogpu.chain.config import ChainId

    if isinstance(chain, ChainId):
        return int(chain.value)
    ids = {int(c.value) for c in ChainId}
    if isinstance(chain, int) and not isinstance(chain, bool) and chain in ids:
        return chain
    if isinstance(chain, str):
        name = chain.strip().upper().replace("-", "_")
        for member in ChainId:
            if name in (member.name, member.name.removeprefix("OGPU_")):
                return int(member.value)
    known = ", ".join(f"{c.name} ({c.value})" for c in ChainId)
    raise ConfigError("chain", f"unknown chain {chain!r}; the SDK's ChainConfig knows {known}")


def sdk_defaults(chain_id: int) -> tuple[str, dict[str, str], str]:
    """The SDK's shipped RPC URL, contract addresses and IPFS pinning URL for a chain id."""
    from ogpu.chain.config import ChainId

    from ogpu_sim.sdk.binding import shipped_config

    member = ChainId(chain_id)
    shipped = shipped_config()  # as shipped, even while a local network is bound in-process
    return shipped["rpc_urls"][member], shipped["contracts"][member], shipped["ipfs"]


def resolve_target(
    rpc_url: str | None,
    addresses: Mapping[str, str] | None,
    chain: Any,
    connection_file: str | Path | None,
    ipfs: str | None,
    probe_chain_id: Callable[[str], int],
) -> Target:
    """Decide endpoint, addresses and IPFS from what was given (see :class:`AttachOptions`).

    Raises:
        ConfigError: nothing says where the protocol is, or two sources disagree.
    """
    found: dict[str, Any] = {}
    origin = "given"
    if connection_file is not None:
        found = read_connection_file(connection_file)
        origin = f"connection file {connection_file}"
        if rpc_url is not None and rpc_url.rstrip("/") != found["rpc_url"].rstrip("/"):
            raise ConfigError(
                "rpc_url", f"{rpc_url} is not the node {connection_file} names ({found['rpc_url']})"
            )
    elif chain is not None:
        chain_id = chain_id_of(chain)
        url, known, publish_url = sdk_defaults(chain_id)
        found = {"rpc_url": url, "addresses": known, "ipfs_publish_url": publish_url}
        found["chain_id"] = chain_id
        origin = f"the SDK's ChainConfig for chain {chain_id}"
    elif rpc_url is not None and addresses is None:
        found, origin = _discover(rpc_url, probe_chain_id)
    endpoint = rpc_url or found.get("rpc_url")
    if not endpoint:
        raise ConfigError("rpc_url", "attach needs rpc_url=, chain= or connection_file=")
    chosen = dict(addresses) if addresses is not None else dict(found.get("addresses", {}))
    missing = [name for name in REQUIRED_CONTRACTS if not is_address(chosen.get(name))]
    if missing:
        raise ConfigError(
            "addresses", f"no address for {', '.join(missing)} (give all of {REQUIRED_CONTRACTS})"
        )
    import ogpu.ipfs.publish as publish

    return Target(
        rpc_url=str(endpoint),
        addresses={k: Web3.to_checksum_address(v) for k, v in chosen.items() if is_address(v)},
        ipfs_publish_url=ipfs or found.get("ipfs_publish_url") or publish._IPFS_PUBLISH_URL,
        origin=origin,
        chain_id=found.get("chain_id"),
    )


def _discover(rpc_url: str, probe_chain_id: Callable[[str], int]) -> tuple[dict[str, Any], str]:
    """For a loopback URL, the ``ogpu-sim node`` connection file naming it; else the SDK's
    addresses for the chain id the node serves (a remote URL is never matched to a file)."""
    if is_loopback_url(rpc_url):
        for candidate in node_files():
            try:
                info = read_connection_file(candidate)
            except ConfigError:
                continue
            if same_endpoint(info["rpc_url"], rpc_url):
                return info, f"connection file {candidate}"
    chain_id = probe_chain_id(rpc_url)
    try:
        _, known, publish_url = sdk_defaults(chain_id_of(chain_id))
    except ConfigError:
        raise ConfigError(
            "addresses",
            f"{rpc_url} serves chain {chain_id}, which the SDK's ChainConfig does not know, and "
            f"{no_node_file_hint(rpc_url)}",
        ) from None
    info = {"addresses": known, "ipfs_publish_url": publish_url, "chain_id": chain_id}
    return info, f"the SDK's ChainConfig for chain {chain_id}"


def node_files() -> list[Path]:
    """Where a local node's connection file is looked for: ``$OGPU_SIM_NODE``, then the
    default ``<cache>/node.json`` (read now, so a changed ``OGPU_SIM_CACHE`` counts)."""
    named = os.environ.get(ENV_VAR)
    candidates = [Path(named)] if named else []
    candidates.append(cache_dir() / DEFAULT_INFO.name)
    return [path for path in candidates if path.is_file()]


def same_endpoint(a: str, b: str) -> bool:
    """True when two JSON-RPC URLs name the same endpoint (``localhost`` is ``127.0.0.1``)."""
    from urllib.parse import urlsplit

    def key(url: str) -> tuple[str, str, int | None, str]:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
        host = "127.0.0.1" if host in ("localhost", "::1") else host
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
        return parts.scheme, host, port, parts.path.rstrip("/")

    try:
        return key(a) == key(b)
    except ValueError:  # a malformed port
        return False


def no_node_file_hint(rpc_url: str) -> str:
    """What to do when no connection file names ``rpc_url`` (a node's addresses are its own)."""
    named = os.environ.get(ENV_VAR)
    default = cache_dir() / DEFAULT_INFO.name
    looked = f"${ENV_VAR}={named} and {default}" if named else f"{default}; ${ENV_VAR} is unset"
    return (
        f"no ogpu-sim node connection file names {rpc_url} (looked at {looked}): attach with "
        f"the node's connection file instead of its URL, set {ENV_VAR} to it, or pass "
        "addresses={'NEXUS': ..., 'CONTROLLER': ..., 'TERMINAL': ..., 'VAULT': ...}"
    )
