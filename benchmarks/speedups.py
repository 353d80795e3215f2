"""Speed-ups measured by ``bench.py --speedups``; they live in :mod:`ogpu_sim.sdk.caches`.

The SDK binding applies them on every simulator; the bench measures them on and off.
"""

from __future__ import annotations

from ogpu_sim.sdk.caches import cache_contracts, memoize_keccak

__all__ = ["cache_contracts", "memoize_keccak"]
