"""Pure caches that make the SDK cheaper on a local chain without changing its behaviour.

Once the EVM is fast, a lifecycle's time is mostly web3 and SDK Python: the SDK builds a new
web3 ``Contract`` for every operation (``ogpu.protocol._base.load_contract``), and web3 hashes
the same ABI signatures with keccak over and over (~1200 keccak calls per FIRST_RESPONSE
lifecycle). Both are pure functions of their inputs, so memoizing them is safe.
``make bench --speedups`` measures the gain.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

_SMALL = 1024
_LOCK = threading.Lock()
_keccak_users = 0
_keccak_undo: Callable[[], None] | None = None


def memoize_keccak() -> Callable[[], None]:
    """Memoize keccak-256 of inputs up to 1 KiB, process-wide; returns the undo."""
    from eth_hash.auto import keccak

    keccak(b"")  # let eth_hash pick its backend first
    raw = keccak.hasher
    cached = functools.lru_cache(maxsize=65_536)(raw)

    def hasher(in_data: bytearray | bytes) -> bytes:
        return cached(bytes(in_data)) if len(in_data) <= _SMALL else raw(in_data)

    keccak.hasher = hasher

    def undo() -> None:
        keccak.hasher = raw

    return undo


def acquire_keccak_cache() -> None:
    """Reference-counted :func:`memoize_keccak` for nested simulators."""
    global _keccak_users, _keccak_undo
    with _LOCK:
        _keccak_users += 1
        if _keccak_users == 1:
            _keccak_undo = memoize_keccak()


def release_keccak_cache() -> None:
    """Undo :func:`acquire_keccak_cache` when its last user releases it."""
    global _keccak_users, _keccak_undo
    with _LOCK:
        if _keccak_users == 0:
            return
        _keccak_users -= 1
        if _keccak_users == 0 and _keccak_undo is not None:
            _keccak_undo()
            _keccak_undo = None


def cache_contracts(w3: Any) -> None:
    """Return the same ``Contract`` for the same (address, ABI object) on ``w3`` (idempotent).

    A contract at a new address (every task has one) is made from the cached factory class of
    its ABI, as web3's own ``w3.eth.contract(address, abi=...)`` makes it: building the factory
    is most of the ~4 ms a new ``Contract`` costs.
    """
    if getattr(w3.eth, "_ogpu_sim_cached", False):
        return
    original = w3.eth.contract
    made: dict[tuple[Any, ...], tuple[Any, Any]] = {}

    def contract(address: Any = None, **kwargs: Any) -> Any:
        key = (address, *sorted((name, id(value)) for name, value in kwargs.items()))
        if key not in made:
            if address is None:
                made[key] = (original(**kwargs), kwargs)  # keep the ABI alive: ids stay valid
            else:
                made[key] = (contract(**kwargs)(address), kwargs)
        return made[key][0]

    w3.eth.contract = contract
    w3.eth._ogpu_sim_cached = True
