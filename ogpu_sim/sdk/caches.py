"""Pure caches that make the SDK cheaper on a local chain without changing its behaviour.

Once the EVM is fast, a lifecycle's time is mostly web3 and SDK Python: the SDK builds a new
web3 ``Contract`` for every operation (``ogpu.protocol._base.load_contract``), web3 hashes the
same ABI signatures with keccak over and over (~1200 keccak calls per FIRST_RESPONSE
lifecycle), and it validates a contract's whole ABI (every selector hashed, collisions looked
for) twice per function call it encodes. All are pure functions of their inputs, so memoizing
them is safe. ``make bench --speedups`` measures the gain.
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


def memoize_validate_abi() -> Callable[[], None]:
    """Remember the ABIs web3's ``validate_abi`` passed (by identity, elements included), so
    the same ABI object is not validated again; an ABI that fails is checked every time.
    Process-wide; returns the undo."""
    import web3._utils.normalizers as normalizers
    import web3.utils.abi as abi_utils
    from web3._utils.validation import validate_abi

    passed: dict[int, tuple[Any, tuple[int, ...]]] = {}

    def validate(abi: Any) -> None:
        shape = tuple(map(id, abi)) if isinstance(abi, list) else None
        seen = passed.get(id(abi))
        if seen is not None and seen[0] is abi and seen[1] == shape:
            return
        validate_abi(abi)
        if shape is not None:
            passed[id(abi)] = (abi, shape)  # the reference keeps the id from being reused

    modules = (normalizers, abi_utils)
    for module in modules:
        module.validate_abi = validate  # type: ignore[attr-defined]

    def undo() -> None:
        for module in modules:
            module.validate_abi = validate_abi  # type: ignore[attr-defined]

    return undo


def acquire_caches() -> None:
    """Reference-counted :func:`memoize_keccak` and :func:`memoize_validate_abi` for nested
    simulators."""
    global _keccak_users, _keccak_undo
    with _LOCK:
        _keccak_users += 1
        if _keccak_users == 1:
            undos = (memoize_keccak(), memoize_validate_abi())

            def undo_all() -> None:
                for undo in undos:
                    undo()

            _keccak_undo = undo_all


def release_caches() -> None:
    """Undo :func:`acquire_caches` when its last user releases it."""
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
