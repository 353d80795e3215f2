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
    is most of the ~4 ms a new ``Contract`` costs. Its functions are made when first used (see
    :func:`lazy_instances`), which is most of the rest.
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
                made[key] = (lazy_instances(contract(**kwargs))(address), kwargs)
        return made[key][0]

    w3.eth.contract = contract
    w3.eth._ogpu_sim_cached = True


_LAZY: dict[Any, type] = {}


def lazy_instances(factory: Any) -> type:
    """A subclass of the web3 contract class ``factory`` whose instances make each contract
    function on first use, and the ``caller`` when first asked for.

    web3 makes a class per ABI function (twice: ``functions`` and ``caller``) for every
    contract instance, ~2.5 ms for a Task's 25 functions, although an SDK read uses one. The
    function made on demand is the one web3 would have made eagerly (same signature choice for
    overloaded names, same errors for unknown ones).
    """
    lazy = _LAZY.get(factory)
    if lazy is not None:
        return lazy
    from web3._utils.normalizers import normalize_address
    from web3.contract.contract import ContractCaller, ContractEvents, ContractFunctions
    from web3.utils.abi import abi_to_signature, filter_abi_by_type

    abi = factory.abi  # type: ignore[attr-defined]
    ordered = sorted(
        filter_abi_by_type("function", abi), key=lambda fn: (fn["name"], len(fn.get("inputs", [])))
    )
    by_signature = {abi_to_signature(fn): fn for fn in ordered}
    first_by_name: dict[str, str] = {}
    for signature, fn in by_signature.items():
        first_by_name.setdefault(fn["name"], signature)

    class LazyFunctions(ContractFunctions):
        """``ContractFunctions`` that makes each function on first access."""

        def __init__(self, w3: Any, address: Any, decode_tuples: bool) -> None:
            # Not super().__init__: that makes every function now.
            self.abi = abi
            self.w3 = w3
            self.address = address
            self._decode_tuples = decode_tuples
            if ordered:
                self._functions = ordered

        def __getattr__(self, name: str) -> Any:
            signature = first_by_name.get(name)
            if signature is None and "(" in name:
                signature = name.removeprefix("_")
            if signature is None or signature not in by_signature:
                return ContractFunctions.__getattr__(self, name)  # web3's own error
            made = self.__dict__.get(f"_{signature}")
            if made is None:
                made = self._make(signature)
            if name in first_by_name:
                setattr(self, name, made)
            return made

        def _make(self, signature: str) -> Any:
            from web3.contract.contract import ContractFunction

            made = ContractFunction.factory(
                signature,
                w3=self.w3,
                contract_abi=self.abi,
                address=self.address,
                decode_tuples=self._decode_tuples,
                abi=by_signature[signature],
            )
            setattr(self, f"_{signature}", made)
            return made

    def __init__(self: Any, address: Any = None) -> None:
        # Contract.__init__ without its eager functions and caller.
        w3 = self.w3
        if address:
            self.address = normalize_address(w3._ens, address)
        if not self.address:
            factory.__init__(self, address)  # web3's own error for a missing address
        self.functions = LazyFunctions(w3, self.address, self.decode_tuples)
        self.events = ContractEvents(self.abi, w3, self.address)
        function_class = _function_class()
        self.fallback = factory.get_fallback_function(self.abi, w3, function_class, self.address)
        self.receive = factory.get_receive_function(self.abi, w3, function_class, self.address)

    def caller(self: Any) -> Any:
        return ContractCaller(
            self.abi,
            self.w3,
            self.address,
            decode_tuples=self.decode_tuples,
            contract_functions=self.functions,
        )

    namespace = {
        "__doc__": factory.__doc__,
        "__module__": factory.__module__,
        "__init__": __init__,
        "caller": functools.cached_property(caller),
    }
    # type.__new__ itself: web3's metaclass refuses names its classes do not define yet.
    meta = type(factory)
    LazyContract = type.__new__(meta, factory.__name__, (factory,), namespace)
    _LAZY[factory] = LazyContract
    return LazyContract


def _function_class() -> type:
    from web3.contract.contract import ContractFunction

    return ContractFunction
