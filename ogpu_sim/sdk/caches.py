"""Pure caches that make the SDK cheaper on a local chain without changing its behaviour.

Once the EVM is fast, a lifecycle's time is mostly web3 and SDK Python: the SDK builds a new
web3 ``Contract`` for every operation (``ogpu.protocol._base.load_contract``), web3 hashes the
same ABI signatures with keccak over and over (~1200 keccak calls per FIRST_RESPONSE
lifecycle), and it validates a contract's whole ABI (every selector hashed, collisions looked
for) twice per function call it encodes. All are pure functions of their inputs, so memoizing
them is safe. ``make bench --speedups`` measures the gain.

Two more are pure by hashable inputs: ``to_checksum_address`` (a lifecycle checksums the same
dozen addresses ~40 times, and ``is_checksum_address`` recomputes it) and web3's per-value
``map_abi_data`` normalization (every eth_call/eth_estimateGas request, call result and
event goes through it: ~0.6 ms for a transaction dict, ~10 us from the cache).

The module is over 400 lines on purpose: every process-wide patch of web3 lives here with its
undo, so :func:`acquire_caches` is the one place that says what a simulator changes.
"""

from __future__ import annotations

import functools
import operator
import sys
import threading
from collections.abc import Callable
from typing import Any

_SMALL = 1024
_LOCK = threading.Lock()
_keccak_users = 0
_keccak_undo: Callable[[], None] | None = None


def memoize_keccak() -> Callable[[], None]:
    """Memoize keccak-256 of inputs up to 1 KiB, process-wide, computed by the fastest of
    eth_hash's backends installed (:func:`~ogpu_sim.sdk.signing.fastest_keccak`); returns
    the undo."""
    from eth_hash.auto import keccak

    from ogpu_sim.sdk.signing import fastest_keccak

    keccak(b"")  # let eth_hash pick its backend first
    raw = keccak.hasher
    fast = fastest_keccak() or raw
    cached = functools.lru_cache(maxsize=65_536)(fast)

    def hasher(in_data: bytearray | bytes) -> bytes:
        return cached(bytes(in_data)) if len(in_data) <= _SMALL else fast(in_data)

    keccak.hasher = hasher

    def undo() -> None:
        keccak.hasher = raw

    return undo


def memoize_validate_abi() -> Callable[[], None]:
    """Remember the ABI lists web3's ``validate_abi`` passed by their elements' identities, so
    a list of the same element objects (the same ABI, or web3's new list of a function's
    overloads on every call) is not validated again; an ABI that fails is checked every time.
    Process-wide; returns the undo."""
    import web3._utils.normalizers as normalizers
    import web3.utils.abi as abi_utils
    from web3._utils.validation import validate_abi

    passed: dict[tuple[int, ...], tuple[Any, ...]] = {}

    def validate(abi: Any) -> None:
        if type(abi) is not list:
            validate_abi(abi)
            return
        shape = tuple(map(id, abi))
        seen = passed.get(shape)
        if seen is not None and all(map(operator.is_, seen, abi)):
            return
        validate_abi(abi)
        if len(passed) >= 4096:
            passed.clear()
        passed[shape] = tuple(abi)  # the references keep the ids from being reused

    modules = (normalizers, abi_utils)
    for module in modules:
        module.validate_abi = validate  # type: ignore[attr-defined]

    def undo() -> None:
        for module in modules:
            module.validate_abi = validate_abi  # type: ignore[attr-defined]

    return undo


_HEX = frozenset("0123456789abcdefABCDEF")


def _eth_hash_keccak() -> Callable[[bytes], bytes]:
    from eth_hash.auto import keccak

    return keccak  # type: ignore[no-any-return]


def checksum_of_hex(value: str, hasher: Callable[[bytes], bytes]) -> str:
    """EIP-55 checksum of ``0x`` + 40 hex digits (any case), as ``to_checksum_address``
    makes it: each letter upper where its nibble of keccak(lowercase hex) is over 7."""
    low = value[2:].lower()
    digest = hasher(low.encode()).hex()
    return "0x" + "".join([c.upper() if d >= "8" else c for c, d in zip(low, digest, strict=False)])


_CHECKSUM_MODULES = ("eth_utils", "eth_account", "eth_keys", "web3", "ens", "ogpu", "ogpu_sim")


def memoize_to_checksum_address() -> Callable[[], None]:
    """Memoize eth_utils' ``to_checksum_address`` of ``str``/``bytes`` inputs, process-wide.

    It is replaced wherever the loaded eth_utils, eth_account, eth_keys, web3, ens and ogpu
    modules bound it by name (``is_checksum_address`` calls it through ``eth_utils.address``).
    A ``0x`` + 40 hex digits str is checksummed by :func:`checksum_of_hex` the first time,
    anything else by the original; a bad address is refused by the original every time
    (errors are not cached). Returns the undo.
    """
    import eth_utils.address
    from hexbytes import HexBytes

    from ogpu_sim.sdk.signing import fastest_keccak

    raw = eth_utils.address.to_checksum_address
    hasher = fastest_keccak() or _eth_hash_keccak()

    @functools.lru_cache(maxsize=8192)
    def cached(kind: Any, value: Any) -> Any:
        if kind is str and len(value) == 42 and value[:2] == "0x" and _HEX.issuperset(value[2:]):
            return checksum_of_hex(value, hasher)
        return raw(value)

    keyed = (str, bytes, HexBytes)

    @functools.wraps(raw)
    def to_checksum_address(value: Any) -> Any:
        kind: Any = type(value)
        return cached(kind, value) if kind in keyed else raw(value)

    patched = []
    for name, module in list(sys.modules.items()):
        if module is None or name.split(".", 1)[0] not in _CHECKSUM_MODULES:
            continue
        for attribute in ("to_checksum_address", "_to_checksum_address"):
            if getattr(module, attribute, None) is raw:
                setattr(module, attribute, to_checksum_address)
                patched.append((module, attribute))

    def undo() -> None:
        for module, attribute in patched:
            setattr(module, attribute, raw)

    return undo


_SCALARS = frozenset((int, bool, str, bytes, type(None)))


def memoize_map_abi_data() -> Callable[[], None]:
    """Memoize web3's ``map_abi_data`` value by value where that is exact; returns the undo.

    With basic types, tuples of them and scalar data, web3's tree walk hands each scalar to
    every normalizer in turn as one ``(type, value)`` pair and neither enters nor rebuilds it
    (on a tuple as a whole each of these normalizers is the identity), so the result is made
    of per-value answers: a pure function of the normalizers (web3's own, by identity), the
    type and the value (keyed by exact type, so ``True`` and ``1`` differ), computed once by
    calling the normalizers (values over 1 KiB, signed transactions, are not kept). Results
    are immutable (scalars, tuples) in a new list per call. ENS names are never cached: a
    resolver's answer depends on the chain. Anything else (arrays, other normalizers), and
    any call where a normalizer fails, goes to web3's own function on the whole input, so
    the results and errors are web3's. Installed in the web3 modules that call it by name
    and in the request formatters of positional RPC params.
    """
    import web3._utils.abi as abi
    import web3._utils.contracts as contracts
    import web3._utils.events as events
    import web3._utils.method_formatters as method_formatters
    import web3._utils.normalizers as normalizers
    import web3._utils.rpc_abi as rpc_abi
    import web3.contract.utils as contract_utils
    from eth_abi.grammar import TupleType, parse
    from eth_utils import is_hex_address
    from hexbytes import HexBytes

    raw = abi.map_abi_data
    pure = {
        id(getattr(normalizers, name)): getattr(normalizers, name)
        for name in (
            "abi_bytes_to_hex",
            "abi_int_to_hex",
            "abi_string_to_hex",
            "abi_address_to_hex",
            "abi_bytes_to_bytes",
            "abi_string_to_text",
            "addresses_checksummed",
            "decode_abi_strings",
        )
    }
    ens_resolver = normalizers.abi_ens_resolver.func
    scalars = _SCALARS | {HexBytes}
    sized = (str, bytes, HexBytes)

    def normalizer_key(normalizer: Any) -> Any:
        if pure.get(id(normalizer)) is normalizer:
            return normalizer
        if getattr(normalizer, "func", None) is ens_resolver and len(normalizer.args) == 1:
            return ens_resolver  # the resolver of any w3: only used where it cannot resolve
        return None

    @functools.lru_cache(maxsize=1024)
    def shape(type_str: str) -> str | tuple[str, ...] | None:
        """What web3 makes of ``type_str``: its normal form if basic, its components' if a
        tuple (not an array), else None."""
        try:
            parsed = parse(type_str)
        except Exception:
            return None  # web3's own call raises its own error
        if parsed.is_array:
            return None
        if isinstance(parsed, TupleType):
            parts = tuple(shape(str(part.to_type_str())) for part in parsed.components)
            if any(part is None for part in parts):
                return None
            return tuple(str(part.to_type_str()) for part in parsed.components)
        return str(parsed.to_type_str())

    done: dict[tuple[Any, ...], Any] = {}

    web3s = object()
    """What :func:`element` and :func:`normalize` answer for an input left to web3's own
    function (a sentinel: every exception class lives in ``ogpu_sim.errors``)."""

    def element(keys: tuple[Any, ...], chain: tuple[Any, ...], type_str: Any, value: Any) -> Any:
        """One value normalized as web3 normalizes it inside a call, from the cache; ``web3s``
        for what is left to web3."""
        kind = type(value)
        normal = shape(type_str) if type(type_str) is str else None
        if isinstance(normal, tuple):
            # web3 applies each normalizer to the tuple as a whole too, where all of these
            # are the identity (their types are basic ones or "address"/"string").
            if kind is not tuple or len(value) != len(normal):
                return web3s
            parts = tuple(element(keys, chain, *pair) for pair in zip(normal, value, strict=True))
            return web3s if any(part is web3s for part in parts) else parts
        if (
            normal is None
            or kind not in scalars
            or (ens_resolver in keys and normal == "address" and not plain_address(value))
        ):
            return web3s
        small = kind not in sized or len(value) <= _SMALL  # signed transactions: seen once
        key = (keys, type_str, kind, value)
        made = done.get(key, done) if small else done  # done itself: not there (None is a value)
        if made is done:
            made = normalize(chain, normal, value)
            if made is web3s:
                return web3s
            if small:
                if len(done) >= 4096:
                    done.clear()
                done[key] = made
        return made

    def normalize(chain: tuple[Any, ...], type_str: str, value: Any) -> Any:
        """What web3's tree walk makes of one scalar: each normalizer in turn on the pair
        (a scalar is a leaf: the walk neither enters nor rebuilds it)."""
        for normalizer in chain:
            kind, value = normalizer(type_str, value)
            if kind != type_str or type(value) not in scalars:
                return web3s
        return value

    def map_abi_data(*args: Any, **kwargs: Any) -> Any:
        if kwargs or len(args) != 3:
            return raw(*args, **kwargs)  # web3's curry: a partial, or its error
        chain, type_strs, values = (tuple(arg) for arg in args)
        keys = tuple(map(normalizer_key, chain))
        if None in keys:
            return raw(chain, type_strs, values)
        try:
            # zip stops at the shorter input, as web3's own map over both does
            made = [
                value
                if type_str is None and type(value) in scalars
                else element(keys, chain, type_str, value)
                for type_str, value in zip(type_strs, values, strict=False)
            ]
        except Exception:
            made = [web3s]  # a normalizer failed: web3's own error, in its order
        if any(value is web3s for value in made):
            return raw(chain, type_strs, values)
        return made

    def plain_address(value: Any) -> bool:
        return isinstance(value, bytes) or bool(is_hex_address(value))

    functools.update_wrapper(map_abi_data, getattr(raw, "func", raw))
    modules: tuple[Any, ...] = (rpc_abi, contracts, contract_utils, events)
    previous = {module: module.map_abi_data for module in modules}
    for module in modules:
        module.map_abi_data = map_abi_data
    # The request formatters of positional RPC params, web3's partials made at import.
    formatters: dict[Any, Any] = method_formatters.ABI_REQUEST_FORMATTERS
    made_at_import = {
        method: formatters[method]
        for method, types in rpc_abi.RPC_ABIS.items()
        if isinstance(types, list) and method in formatters
    }
    for method in made_at_import:
        formatters[method] = functools.partial(
            map_abi_data, method_formatters.STANDARD_NORMALIZERS, rpc_abi.RPC_ABIS[method]
        )

    def undo() -> None:
        for module, before in previous.items():
            module.map_abi_data = before
        formatters.update(made_at_import)

    return undo


def acquire_caches() -> None:
    """Reference-counted memoize_* of this module (keccak, ``validate_abi``,
    ``to_checksum_address``, ``map_abi_data``) and the exact fast formatters of
    :mod:`ogpu_sim.sdk.formatters`, the lean signing of :mod:`ogpu_sim.sdk.signing` and the
    remembered ABI lookups and method formatters of :mod:`ogpu_sim.sdk.lookups` and the
    environment's proxies of :mod:`ogpu_sim.sdk.environ` and the Protocol members of
    :mod:`ogpu_sim.sdk.protocols` (requests' per-call work), for nested simulators."""
    from ogpu_sim.sdk.environ import memoize_environment_proxies
    from ogpu_sim.sdk.formatters import fast_attrdict_recursive, fast_result_formatters
    from ogpu_sim.sdk.lookups import memoize_abi_lookups, memoize_method_formatters
    from ogpu_sim.sdk.protocols import memoize_protocol_attrs
    from ogpu_sim.sdk.signing import lean_sign_transaction

    global _keccak_users, _keccak_undo
    with _LOCK:
        _keccak_users += 1
        if _keccak_users == 1:
            undos = (
                memoize_keccak(),
                memoize_validate_abi(),
                memoize_to_checksum_address(),
                memoize_map_abi_data(),
                fast_attrdict_recursive(),
                fast_result_formatters(),
                lean_sign_transaction(),
                memoize_abi_lookups(),
                memoize_method_formatters(),
                memoize_environment_proxies(),
                memoize_protocol_attrs(),
            )

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
