"""What an address a user hands the simulator holds: a source, a task, a response, one of the
protocol's singletons, another contract, or no contract at all.

The simulator's methods take an SDK handle (``Source``, ``Task``: anything with ``.address``) or
a hex address, and a wrong one would otherwise fail deep inside web3 (``BadFunctionCallOutput``
for an account without code, a bare revert for a contract of another kind). :func:`address_of`
checks the form without a call; :func:`is_source` asks the Nexus (one ``eth_call``), for calls
that are not on a hot path; :func:`mismatch` reads what is there, on the error path only, and
words the :class:`~ogpu_sim.errors.ConfigError` the caller raises.

The Nexus keeps its task registry internal (no ``isTask`` getter), so a task is known by its
``getSource()`` answering with a source the Nexus knows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from web3 import Web3

from ogpu_sim.actors.lean import read, rpc
from ogpu_sim.errors import ConfigError, OgpuSimError

NO_CODE = ""
"""What :func:`kind_of` answers for an address with no contract code (an account, or nothing)."""
OTHER = "contract"
"""What :func:`kind_of` answers for a contract this network's Nexus does not know."""


def address_of(operation: str, value: Any, wanted: str) -> str:
    """The checksummed address of ``value``: an SDK handle's ``.address``, or a hex address in
    any case; no JSON-RPC call.

    Raises:
        ConfigError: ``value`` is neither (``None``, a name, a number ...).
    """
    raw = getattr(value, "address", value)
    if isinstance(raw, str | bytes):
        try:
            return str(Web3.to_checksum_address(raw))
        except (TypeError, ValueError):
            pass
    raise ConfigError(operation, f"{value!r} is not an address or a {wanted} handle")


def is_source(w3: Web3, nexus: str, address: str) -> bool:
    """True when the Nexus at ``nexus`` knows ``address`` as a source (``sourceId != 0``).

    Raises:
        ChainError: the node refused the call.
    """
    (source_id,) = read(w3, nexus, "sourceId(address)", ("uint256",), ("address",), (address,))
    return bool(source_id)


def kind_of(w3: Web3, addresses: Mapping[str, str], address: str) -> str:
    """What ``address`` holds on the network whose singletons are ``addresses``: a singleton's
    name (``VAULT`` ...), ``Source``, ``Task``, ``Response``, :data:`OTHER` or :data:`NO_CODE`.

    Several calls: for error messages only. A getter that reverts or answers what does not
    decode means "not that kind".

    Raises:
        LeanRpcFailure: the node refused ``eth_getCode`` (and a transport's own errors).
    """
    for name, singleton in addresses.items():
        if singleton.lower() == address.lower():
            return name
    if str(rpc(w3, "eth_getCode", [address, "latest"])) in ("0x", "", "None"):
        return NO_CODE
    nexus = addresses["NEXUS"]
    if _answers(lambda: is_source(w3, nexus, address)):
        return "Source"
    if _is_task(w3, nexus, address):
        return "Task"
    response = ("address", "address", "string", "uint256")
    task = _answers(lambda: read(w3, address, "responseParams()", response)[0])
    if task and _is_task(w3, nexus, Web3.to_checksum_address(task)):
        return "Response"
    return OTHER


def mismatch(
    operation: str, w3: Web3, addresses: Mapping[str, str], address: str, wanted: str
) -> ConfigError | None:
    """The error to raise when ``address`` is not a ``wanted`` (``Source`` or ``Task``) of this
    network, naming what it is instead; ``None`` when it is one (or the node cannot say)."""
    try:
        kind = kind_of(w3, addresses, address)
    except Exception:  # the node did not answer (a transport error too): the caller's says more
        return None
    if kind == wanted:
        return None
    if kind == NO_CODE:
        problem = f"is not a {wanted} of this network (no contract code there)"
    elif kind == OTHER:
        problem = f"is not a {wanted} of this network (a contract its Nexus does not know)"
    elif kind in addresses:
        problem = f"is the {kind} contract, not a {wanted}"
    else:
        problem = f"is a {kind}, not a {wanted}"
    return ConfigError(operation, f"{address} {problem}")


def _is_task(w3: Web3, nexus: str, address: str) -> bool:
    source = _answers(lambda: read(w3, address, "getSource()", ("address",))[0])
    return bool(source) and _answers(lambda: is_source(w3, nexus, Web3.to_checksum_address(source)))


def _answers(call: Any) -> Any:
    """``call()``'s answer, or ``None`` when the contract refused it (revert, no such getter)."""
    try:
        return call()
    except (OgpuSimError, ValueError):
        return None


__all__ = ["NO_CODE", "OTHER", "address_of", "is_source", "kind_of", "mismatch"]
