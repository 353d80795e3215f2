"""The connection file an ``ogpu-sim node`` writes, and the checks every reader applies.

``ogpu-sim node`` writes one (RPC URL, chain id, contract addresses, IPFS URLs and the role
accounts) so other processes can use the node: ``ogpu-sim run`` binds a program's SDK to it and
attach mode (:meth:`ogpu_sim.Simulator.attach`) reads the protocol's addresses and IPFS from it.
Attach mode never uses the private keys a connection file carries. It is written whole and
private (0600: it holds the role keys), and a failed write leaves nothing behind.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ogpu_sim.accounts import ROLE_ENV_VARS
from ogpu_sim.chain.base import is_loopback_url as is_loopback
from ogpu_sim.errors import ConfigError
from ogpu_sim.ipfs.content import loads_bounded
from ogpu_sim.vocabulary import cache_dir

DEFAULT_INFO = cache_dir() / "node.json"
"""Where ``ogpu-sim node`` writes its connection file unless told otherwise (``--info``)."""

ENV_VAR = "OGPU_SIM_NODE"
"""Names a node's connection file for ``ogpu-sim run``'s child and for attach mode."""

NODE_CONTRACTS = ("NEXUS", "CONTROLLER", "TERMINAL", "VAULT", "MANAGER")
"""The contract addresses a connection file names."""

MAX_CONNECTION_FILE = 2**20
"""Bytes; a connection file is a few KiB."""


def check_connection_path(path: str | Path) -> Path:
    """Check, before a node starts, that it can write its connection file at ``path``; creates
    the folder it goes in.

    Raises:
        ConfigError: (option ``--info``) ``path`` is empty or a folder, or its folder cannot be
            created or written to.
    """
    if not str(path):
        raise ConfigError("--info", "is empty; name the connection file to write")
    path = Path(path)
    if path.is_dir():
        raise ConfigError(
            "--info", f"{path} is a folder; name the connection file, e.g. {path / 'node.json'}"
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".ogpu-sim-probe-"):
            pass
    except FileExistsError:  # exist_ok: something that is not a folder
        raise ConfigError("--info", f"cannot write {path}: {path.parent} is not a folder") from None
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    return path


def write_connection_file(path: str | Path, info: Mapping[str, Any]) -> None:
    """Write a node's connection file whole (a reader never sees half of it) and readable by
    this user only: a temporary file (0600) beside it, renamed over it.

    Raises:
        ConfigError: (option ``--info``) it cannot be written; the temporary file is removed,
            whatever stopped the write.
    """
    path = Path(path)
    text = json.dumps(info, indent=2)
    try:
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except BaseException as exc:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise _cannot_write(path, exc) from None
        raise


def _cannot_write(path: Path, exc: OSError) -> ConfigError:
    return ConfigError("--info", f"cannot write {path}: {exc.strerror or exc}")


def read_connection_file(path: str | Path) -> dict[str, Any]:
    """Read and check a node's connection file (the shape ``ogpu-sim node`` writes).

    Args:
        path: the file ``ogpu-sim node --info`` wrote.

    Returns:
        The connection details.

    Raises:
        ConfigError: (option ``--info``) the file is missing, unreadable, empty, not JSON, or
            lacks a key or has one of the wrong type; the message names the file and the key.
    """
    path = Path(path)

    def bad(problem: str) -> ConfigError:
        return ConfigError("--info", f"{path}: {problem}; start a node with `ogpu-sim node`")

    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise bad("no node connection file here") from None
    except OSError as exc:
        raise bad(f"cannot read it ({exc.strerror or exc})") from None
    if not raw.strip():
        raise bad("the connection file is empty")
    if len(raw) > MAX_CONNECTION_FILE:
        raise bad(f"not a connection file ({len(raw)} bytes, over {MAX_CONNECTION_FILE})")
    try:
        info = loads_bounded(raw, limit=8)  # a real one nests 3 deep; never a stack overflow
    except ValueError as exc:  # bad UTF-8, bad JSON and too deep are all ValueErrors
        raise bad(f"not a connection file (not JSON: {exc})") from None
    if not isinstance(info, dict):
        raise bad(f"not a connection file (a JSON {type(info).__name__}, not an object)")
    for key in ("rpc_url", "ipfs_url", "ipfs_publish_url"):
        url = info.get(key)
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise bad(f"{key} must be an http(s) URL, not {url!r}")
    chain_id = info.get("chain_id")
    if isinstance(chain_id, bool) or not isinstance(chain_id, int) or chain_id < 1:
        raise bad(f"chain_id must be a positive integer, not {chain_id!r}")
    addresses = info.get("addresses")
    if not isinstance(addresses, dict):
        raise bad(f"addresses must be an object, not {addresses!r}")
    for name in NODE_CONTRACTS:
        if not is_address(addresses.get(name)):
            raise bad(f"addresses.{name} must be a 0x-prefixed 20-byte address")
    accounts = info.get("accounts")
    if not isinstance(accounts, dict):
        raise bad(f"accounts must be an object, not {accounts!r}")
    if is_loopback(info["rpc_url"]):
        for role in ROLE_ENV_VARS:
            account = accounts.get(role)
            secret = account.get("private_key") if isinstance(account, dict) else None
            if not isinstance(secret, str) or len(secret) != 66 or not secret.startswith("0x"):
                raise bad(f"accounts.{role}.private_key must be a 0x-prefixed 32-byte key")
    return info


def is_address(value: Any) -> bool:
    """True for a ``0x``-prefixed 20-byte hex address (any case)."""
    from web3 import Web3

    return isinstance(value, str) and value.startswith("0x") and Web3.is_address(value)
