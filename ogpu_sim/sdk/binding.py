"""Bind the real, unmodified ``ogpu`` SDK to a local network, and unbind it again.

The SDK keeps its configuration in process-wide globals (docs/protocol.md, the SDK on a local
chain): contract addresses per ``ChainId``, RPC URLs, cached sync and async web3 instances, the
IPFS upload endpoint (and the ``requests`` its IPFS helpers call, routed to an in-process
transport for a mock IPFS in this process), a nonce cache and role environment variables.
:class:`SdkBinding` saves every one of them, points them at the simulator for **both**
``ChainId`` configurations, and restores them exactly on :meth:`SdkBinding.unbind`. The SDK's
per-chain ABIs stay as shipped (the testnet Vault ABI has no ``cancelUnbonding``, so that call
fails here as on the testnet).
It installs the one compatibility fix ogpu 0.2.3 needs on web3 7 (its event watchers call
``create_filter(fromBlock=...)``).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import Any

from requests.adapters import BaseAdapter
from web3 import Web3

from ogpu_sim.sdk.transport import RoutedRequests, base_of
from ogpu_sim.sdk.warnings import hide_known_warnings

_MISSING = object()
_SHIM_LOCK = threading.Lock()
_shim_users = 0
_original_create_filter: Any = None


def _install_create_filter_shim() -> None:
    """Make web3 7's ``AsyncContractEvent.create_filter`` accept the SDK's ``fromBlock=``.

    Reference-counted so several bindings in one process (xdist does not share processes, but
    nested simulators may) install and remove it once.
    """
    global _shim_users, _original_create_filter
    from eth_utils.decorators import combomethod
    from web3.contract.async_contract import AsyncContractEvent

    with _SHIM_LOCK:
        _shim_users += 1
        if _shim_users > 1:
            return
        _original_create_filter = AsyncContractEvent.__dict__["create_filter"]
        original = _original_create_filter.method

        async def create_filter(self: Any, *args: Any, **kwargs: Any) -> Any:
            for camel, snake in (("fromBlock", "from_block"), ("toBlock", "to_block")):
                if camel in kwargs:
                    kwargs[snake] = kwargs.pop(camel)
            return await original(self, *args, **kwargs)

        AsyncContractEvent.create_filter = combomethod(create_filter)  # type: ignore[method-assign,assignment]


def _remove_create_filter_shim() -> None:
    global _shim_users
    from web3.contract.async_contract import AsyncContractEvent

    with _SHIM_LOCK:
        if _shim_users == 0:
            return
        _shim_users -= 1
        if _shim_users == 0:
            AsyncContractEvent.create_filter = _original_create_filter  # type: ignore[method-assign]


_BOUND: list[SdkBinding] = []
"""Bindings currently bound, oldest first (the first one saved the SDK's shipped globals)."""


def shipped_config() -> dict[str, Any]:
    """The SDK's own globals as shipped (RPC URLs, contracts, IPFS endpoint), even while a
    binding has pointed them at a local network: keys ``rpc_urls``, ``contracts``, ``ipfs``."""
    import ogpu.ipfs.publish as publish
    from ogpu.chain.config import ChainConfig, ChainId

    if _BOUND:
        saved = _BOUND[0]._saved
        return {
            "rpc_urls": dict(saved["default_rpc_urls"]),
            "contracts": {c: dict(v) for c, v in saved["contracts"].items()},
            "ipfs": saved["ipfs"],
        }
    return {
        "rpc_urls": dict(ChainConfig._DEFAULT_RPC_URLS),
        "contracts": {c: dict(ChainConfig.CHAIN_CONTRACTS[c]) for c in ChainId},
        "ipfs": publish._IPFS_PUBLISH_URL,
    }


def clear_nonce_caches() -> None:
    """Drop the SDK's process-wide nonce cache (mandatory after every chain revert)."""
    from ogpu.chain.nonce import NonceManager

    NonceManager.clear_all()


@dataclass
class SdkBinding:
    """Points every SDK global at one local network while bound.

    Args:
        w3: the sync web3 the SDK should use (in-process provider: no HTTP hop).
        rpc_url: an HTTP JSON-RPC URL of the same chain, for the SDK's async event watchers and
            for ``ChainConfig.get_rpc()``.
        addresses: contract addresses keyed ``NEXUS``, ``CONTROLLER``, ``TERMINAL``, ``VAULT``
            (extra keys such as ``MANAGER`` are harmless).
        ipfs_publish_url: the pinning endpoint for ``ogpu.ipfs.publish_to_ipfs``.
        env: role environment variables to set (``CLIENT_PRIVATE_KEY`` ...); empty for a remote
            chain, where the harness never exports public test keys.
        ipfs_adapter: a requests transport for the IPFS server's URLs (its base is that of
            ``ipfs_publish_url``), used by the SDK's ``publish_to_ipfs`` and
            ``fetch_ipfs_json``; ``None`` leaves them on requests' own.
    """

    w3: Web3
    rpc_url: str
    addresses: dict[str, str]
    ipfs_publish_url: str
    env: dict[str, str] = field(default_factory=dict)
    ipfs_adapter: BaseAdapter | None = field(default=None, repr=False)
    _saved: dict[str, Any] = field(default_factory=dict, init=False, repr=False)
    bound: bool = field(default=False, init=False)

    def bind(self) -> None:
        """Save the SDK's globals and point them at this network (idempotent)."""
        if self.bound:
            return
        import ogpu.chain.config as config
        import ogpu.events._async_web3 as async_web3
        import ogpu.ipfs.fetch as fetch
        import ogpu.ipfs.publish as publish
        from ogpu.chain.config import ChainConfig, ChainId
        from ogpu.chain.web3 import Web3Manager

        chains = list(ChainId)
        self._saved = {
            "contracts": {c: dict(ChainConfig.CHAIN_CONTRACTS[c]) for c in chains},
            "rpc_urls": dict(config.CHAIN_RPC_URLS),
            "default_rpc_urls": dict(ChainConfig._DEFAULT_RPC_URLS),
            "web3": dict(Web3Manager._web3_instances),
            "async_web3": dict(async_web3._instances),
            "current_chain": ChainConfig._current_chain,
            "loaded_abis": {c: dict(v) for c, v in ChainConfig._loaded_abis.items()},
            "ipfs": publish._IPFS_PUBLISH_URL,
            "ipfs_requests": (publish.requests, fetch.requests),
            "env": {k: os.environ.get(k, _MISSING) for k in self.env},
        }
        for chain in chains:
            ChainConfig.CHAIN_CONTRACTS[chain].update(self.addresses)
            config.CHAIN_RPC_URLS[chain] = self.rpc_url
            ChainConfig._DEFAULT_RPC_URLS[chain] = self.rpc_url
            Web3Manager._web3_instances[chain] = self.w3
        async_web3._instances.clear()
        publish._IPFS_PUBLISH_URL = self.ipfs_publish_url
        if self.ipfs_adapter is not None:
            routed = RoutedRequests(base_of(self.ipfs_publish_url), self.ipfs_adapter)
            publish.requests = fetch.requests = routed  # type: ignore[assignment]
        os.environ.update(self.env)
        _install_create_filter_shim()
        from ogpu_sim.sdk.caches import acquire_caches, cache_contracts

        cache_contracts(self.w3)
        acquire_caches()
        clear_nonce_caches()
        self._saved["warnings"] = hide_known_warnings()
        self.bound = True
        _BOUND.append(self)

    def reset(self) -> None:
        """Forget per-chain-state caches after a revert: nonces, async web3 sessions."""
        clear_nonce_caches()

    def unbind(self) -> None:
        """Restore every SDK global exactly as it was before :meth:`bind` (idempotent)."""
        if not self.bound:
            return
        import ogpu.chain.config as config
        import ogpu.events._async_web3 as async_web3
        import ogpu.ipfs.fetch as fetch
        import ogpu.ipfs.publish as publish
        from ogpu.chain.config import ChainConfig
        from ogpu.chain.web3 import Web3Manager

        saved = self._saved
        for chain, contracts in saved["contracts"].items():
            ChainConfig.CHAIN_CONTRACTS[chain].clear()
            ChainConfig.CHAIN_CONTRACTS[chain].update(contracts)
        config.CHAIN_RPC_URLS.clear()
        config.CHAIN_RPC_URLS.update(saved["rpc_urls"])
        ChainConfig._DEFAULT_RPC_URLS.clear()
        ChainConfig._DEFAULT_RPC_URLS.update(saved["default_rpc_urls"])
        Web3Manager._web3_instances.clear()
        Web3Manager._web3_instances.update(saved["web3"])
        async_web3._instances.clear()
        async_web3._instances.update(saved["async_web3"])
        ChainConfig._current_chain = saved["current_chain"]
        ChainConfig._loaded_abis.clear()
        ChainConfig._loaded_abis.update(saved["loaded_abis"])
        publish._IPFS_PUBLISH_URL = saved["ipfs"]
        publish.requests, fetch.requests = saved["ipfs_requests"]
        for key, value in saved["env"].items():
            if value is _MISSING:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        _remove_create_filter_shim()
        from ogpu_sim.sdk.caches import release_caches

        release_caches()
        clear_nonce_caches()
        saved["warnings"]()
        self.bound = False
        if self in _BOUND:
            _BOUND.remove(self)
