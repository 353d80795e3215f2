"""Chain backends behind one interface: in-process eth-tester and revm, anvil, any JSON-RPC node.

Use :func:`create_chain` to get a started :class:`Chain`; every backend raises web3's
``ContractLogicError`` family on reverts exactly as geth/anvil do, and supports snapshots,
time travel, mining and balances. Block time follows the wall clock (blocks within one second
share it), future nonces wait in a pool, and ``chain.faults`` (:mod:`.faults`) makes the chain
misbehave on demand; docs/chain.md tells the whole behaviour.
"""

from __future__ import annotations

from typing import Any

from ..errors import ConfigError
from ..vocabulary import BACKENDS, DEFAULT_BACKEND, DEFAULT_CHAIN_ID, choices
from .base import Chain, SnapshotError


def create_chain(
    backend: str = DEFAULT_BACKEND,
    *,
    chain_id: int = DEFAULT_CHAIN_ID,
    rpc_url: str | None = None,
    **options: Any,
) -> Chain:
    """Start (or connect to) a chain.

    Args:
        backend: ``eth-tester`` (in-process, default), ``anvil`` (starts the npm anvil binary),
            ``rpc`` (any JSON-RPC node at ``rpc_url``) or ``revm`` (in-process, needs pyrevm).
        chain_id: chain id of chains ogpu-sim starts (a node at ``rpc_url`` keeps its own).
        rpc_url: the node's HTTP URL, required for ``rpc``.
        **options: backend-specific options (anvil: ``binary``, ``startup_timeout``; rpc:
            ``timeout``).

    Returns:
        A running :class:`Chain`; close it (or use it as a context manager) when done.

    Raises:
        ConfigError: unknown backend (naming the known ones) or a missing/invalid option.
    """
    if backend == "eth-tester":
        _no_options(backend, options)
        from .tester import TesterChain

        return TesterChain(chain_id=chain_id)
    if backend == "anvil":
        from .anvil import AnvilChain

        return AnvilChain(chain_id=chain_id, **options)
    if backend == "rpc":
        if not rpc_url:
            raise ConfigError("rpc_url", 'backend "rpc" needs rpc_url="http://host:port"')
        from .remote import RemoteChain

        return RemoteChain(rpc_url, **options)
    if backend == "revm":
        try:
            from .revm import RevmChain
        except ImportError as exc:
            raise ConfigError("backend", f'"revm" is not available here: {exc}') from None
        _no_options(backend, options)
        return RevmChain(chain_id=chain_id)
    raise ConfigError("backend", f"unknown chain backend {backend!r}; known: {choices(BACKENDS)}")


def _no_options(backend: str, options: dict[str, Any]) -> None:
    if options:
        raise ConfigError(next(iter(options)), f"not an option of the {backend!r} backend")


__all__ = ["BACKENDS", "DEFAULT_CHAIN_ID", "Chain", "SnapshotError", "create_chain"]
