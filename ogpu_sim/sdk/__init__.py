"""Bind the real ``ogpu`` SDK to a local network, reversibly, and the caches that make it fast.

:class:`SdkBinding` points every SDK global (contract addresses for both ChainIds, RPC URL, sync
and async web3, the IPFS endpoint, role keys) at a network and restores them exactly;
:mod:`~ogpu_sim.sdk.caches` memoises contract handles, keccak and ABI validation while bound,
with web3's result formatting done exactly and faster by :mod:`~ogpu_sim.sdk.formatters` and
web3's EIP-1559 dicts signed the lean way by :mod:`~ogpu_sim.sdk.signing`, and web3's ABI
lookups and per-method formatters remembered where they are pure by :mod:`~ogpu_sim.sdk.lookups`;
:mod:`~ogpu_sim.sdk.warnings` keeps the SDK stack's known warnings out of strict settings. The
binding loads lazily, so the warnings module is cheap to import before web3 is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ogpu_sim.sdk.binding import SdkBinding

__all__ = ["SdkBinding"]


def __getattr__(name: str) -> Any:
    if name == "SdkBinding":
        from ogpu_sim.sdk.binding import SdkBinding

        return SdkBinding
    raise AttributeError(f"module 'ogpu_sim.sdk' has no attribute {name!r}")
