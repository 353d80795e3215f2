"""Bind the real ``ogpu`` SDK to a local network, reversibly, and the caches that make it fast.

:class:`SdkBinding` points every SDK global (contract addresses for both ChainIds, RPC URL, sync
and async web3, the IPFS endpoint, role keys) at a network and restores them exactly;
:mod:`~ogpu_sim.sdk.caches` memoises contract handles and keccak while bound.
"""

from ogpu_sim.sdk.binding import SdkBinding

__all__ = ["SdkBinding"]
