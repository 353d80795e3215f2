"""Prototype speed-ups measured by ``bench.py --speedups`` (a proposal, not used by ogpu-sim).

Once the EVM is fast (revm), a lifecycle's time is mostly web3 and SDK Python: the SDK builds a
new web3 ``Contract`` for every operation (``ogpu.protocol._base.load_contract``), and web3
hashes the same ABI signatures with keccak over and over (~1200 keccak calls per
FIRST_RESPONSE lifecycle). Both are pure, so caching them changes no behaviour:

* :func:`cache_contracts` memoizes ``w3.eth.contract(address, abi=...)`` per web3 instance,
  keyed by address and the ABI object's identity (the SDK caches parsed ABIs, so the same
  list comes back each time).
* :func:`memoize_keccak` memoizes keccak-256 of inputs up to 1 KiB, process-wide.

The lead decides whether ogpu-sim's SDK binding adopts them; the bench shows the gain.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

_SMALL = 1024


def memoize_keccak() -> Callable[[], None]:
    """Memoize keccak-256 of small inputs for the whole process; returns the undo."""
    from eth_hash.auto import keccak

    keccak(b"")  # let eth_hash pick its backend first
    raw = keccak.hasher
    cached = functools.lru_cache(maxsize=65_536)(raw)

    def hasher(data: bytes | bytearray) -> bytes:
        return cached(bytes(data)) if len(data) <= _SMALL else raw(data)

    keccak.hasher = hasher

    def undo() -> None:
        keccak.hasher = raw

    return undo


def cache_contracts(w3: Any) -> None:
    """Return the same ``Contract`` for the same (address, ABI object) on ``w3`` (idempotent)."""
    if getattr(w3.eth, "_ogpu_sim_cached", False):
        return
    original = w3.eth.contract
    made: dict[tuple[Any, ...], tuple[Any, Any]] = {}

    def contract(address: Any = None, **kwargs: Any) -> Any:
        key = (address, *sorted((name, id(value)) for name, value in kwargs.items()))
        if key not in made:
            made[key] = (original(address, **kwargs), kwargs)  # keep the ABI alive: ids stay valid
        return made[key][0]

    w3.eth.contract = contract
    w3.eth._ogpu_sim_cached = True
