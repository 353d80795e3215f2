"""web3's ABI lookups and per-method formatter tables, remembered where they are pure.

Every SDK write (``TxExecutor.execute``) finds its function's ABI three times for the same
arguments (``ContractFunction.__call__``, ``get_abi_element_info`` and ``encode_abi``, each
checking that every argument can be encoded), rebuilds ABI signatures from their components
a dozen times (``collapse_if_tuple``), and every RPC call composes its method's request,
result, error and null-result formatters anew from web3's tables. While a simulator runs
this module remembers:

- ``collapse_if_tuple``, ``abi_to_signature`` and ``function_abi_to_4byte_selector`` of an
  ABI dict, by identity (the dict is
  kept, so its id is not reused; the SDK's ABIs are loaded once and never changed);
- ``check_if_arguments_can_be_encoded``, ``get_abi_element`` and ``get_abi_element_info`` of
  the same ABI elements (by identity) and the same argument values, keyed by exact type
  (``True`` and ``1`` differ) where every value is an ``int``, ``bool``, ``str``, ``bytes``,
  ``HexBytes``, ``None`` or a plain tuple of them; any other input (lists, dicts, named
  tuples, floats) and any call that raises goes to web3's own function every time;
- ``encode_abi`` (a write's calldata) of the same web3 and codec (by identity), element and
  argument values, where no string at an ``address`` position could be an ENS name (web3
  resolves a name on the chain at every call, and only there; ens's name check is slow, so
  strings elsewhere, such as a task's config URL, are not checked);
- the formatters ``Method.process_params`` gets for a method name, for methods that use
  web3's default getters, re-made whenever an entry of web3's tables for that name changes.

Results are web3's own (the same ABI element objects; a new ``ABIElementInfo`` dict per call).
"""

from __future__ import annotations

import functools
import operator
import sys
from collections.abc import Callable
from typing import Any

from hexbytes import HexBytes

_LIMIT = 4096
_SMALL = 1024
_MISSING = object()
_NUMBERS = frozenset((int, bool, type(None)))
_SIZED = frozenset((str, bytes, HexBytes))


def _fingerprint(value: Any) -> Any:
    """A hashable key telling ``value`` apart by exact type, or None where there is none."""
    kind = type(value)
    if kind in _NUMBERS:
        return (kind, value)
    if kind in _SIZED:
        return (kind, value) if len(value) <= _SMALL else None
    if kind is tuple:
        parts = tuple([_fingerprint(item) for item in value])
        return None if None in parts else (tuple, parts)
    return None


def _arguments_key(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """The key of a call's arguments, or None for arguments left to web3."""
    made = _fingerprint(args)
    if made is None:
        return None
    if not kwargs:
        return made
    named = tuple(sorted((name, _fingerprint(value)) for name, value in kwargs.items()))
    return None if any(part is None for _, part in named) else (made, named)


def _by_identity(raw: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``raw`` of a dict, remembered by the dict's identity (kept alive in the cache)."""
    done: dict[int, tuple[Any, Any]] = {}

    @functools.wraps(raw)
    def remembered(abi: Any) -> Any:
        if type(abi) is not dict:
            return raw(abi)
        seen = done.get(id(abi))
        if seen is not None and seen[0] is abi:
            return seen[1]
        made = raw(abi)
        if len(done) >= _LIMIT:
            done.clear()
        done[id(abi)] = (abi, made)
        return made

    return remembered


def _by_elements(raw: Callable[..., Any], info: bool = False) -> Callable[..., Any]:
    """``raw(abi, identifier, *args, abi_codec=..., **kwargs)`` remembered by the ABI's
    elements (by identity), the identifier, the codec (by identity) and the arguments'
    values; ``info`` answers a new dict per call."""
    done: dict[tuple[Any, ...], tuple[Any, Any]] = {}

    def remembered(
        abi: Any, abi_element_identifier: Any, *args: Any, abi_codec: Any = None, **kwargs: Any
    ) -> Any:
        values = _arguments_key(args, kwargs)
        if (
            values is None
            or type(abi) is not list
            or type(abi_element_identifier) is not str
            or any(type(element) is not dict for element in abi)
        ):
            return raw(abi, abi_element_identifier, *args, abi_codec=abi_codec, **kwargs)
        held = (tuple(abi), abi_codec)
        key = (tuple(map(id, abi)), abi_element_identifier, id(abi_codec), values)
        seen = done.get(key)
        if (
            seen is None
            or seen[0][1] is not abi_codec
            or not all(map(operator.is_, seen[0][0], abi))
        ):
            made = raw(abi, abi_element_identifier, *args, abi_codec=abi_codec, **kwargs)
            if len(done) >= _LIMIT:
                done.clear()
            done[key] = seen = (held, made)
        return dict(seen[1]) if info else seen[1]

    functools.update_wrapper(remembered, raw)
    return remembered


def _encodable(raw: Callable[..., bool]) -> Callable[..., bool]:
    """``check_if_arguments_can_be_encoded`` remembered by element, codec and values."""
    done: dict[tuple[Any, ...], tuple[Any, Any, bool]] = {}

    def remembered(abi_element: Any, *args: Any, abi_codec: Any = None, **kwargs: Any) -> bool:
        values = _arguments_key(args, kwargs)
        if values is None or type(abi_element) is not dict:
            return raw(abi_element, *args, abi_codec=abi_codec, **kwargs)
        key = (id(abi_element), id(abi_codec), values)
        seen = done.get(key)
        if seen is None or seen[0] is not abi_element or seen[1] is not abi_codec:
            made = raw(abi_element, *args, abi_codec=abi_codec, **kwargs)
            if len(done) >= _LIMIT:
                done.clear()
            done[key] = seen = (abi_element, abi_codec, made)
        return seen[2]

    functools.update_wrapper(remembered, raw)
    return remembered


def _may_be_a_name(value: Any, is_ens_name: Callable[[Any], bool]) -> bool:
    """Whether web3 could resolve ``value`` (or a string inside it) as an ENS name (a string
    web3's check cannot read, as ens's normaliser fails on some, counts as one)."""
    if type(value) is tuple:
        return any(_may_be_a_name(item, is_ens_name) for item in value)
    if type(value) is not str:
        return False
    try:
        return bool(is_ens_name(value))
    except Exception:
        return True


def _names_at_addresses(specs: Any, values: tuple[Any, ...], is_ens_name: Any) -> bool:
    """Whether a string at an ``address`` position of ``values`` (typed by the ABI inputs
    ``specs``) could be an ENS name: web3's ``abi_ens_resolver`` looks up only those. Anything
    not shaped as the inputs say counts as a possible name (left to web3)."""
    if type(specs) is not list or len(specs) != len(values):
        return True
    for spec, value in zip(specs, values, strict=True):
        if type(spec) is not dict or _name_at(spec.get("type"), spec, value, is_ens_name):
            return True
    return False


def _name_at(kind: Any, spec: dict[str, Any], value: Any, is_ens_name: Any) -> bool:
    if type(kind) is not str:
        return True
    if kind.endswith("]"):
        if type(value) is not tuple:
            return True
        base = kind[: kind.rindex("[")]
        return any(_name_at(base, spec, item, is_ens_name) for item in value)
    if kind == "tuple":
        if type(value) is not tuple:
            return True
        return _names_at_addresses(spec.get("components"), value, is_ens_name)
    if kind == "address":
        return type(value) is str and _may_be_a_name(value, is_ens_name)
    return False


def _encoded(raw: Callable[..., Any]) -> Callable[..., Any]:
    """web3's ``encode_abi(w3, abi, arguments, data)`` remembered by the web3 and its codec
    (by identity), the element (by identity), the arguments' values and ``data``."""
    from web3._utils.ens import is_ens_name

    done: dict[tuple[Any, ...], tuple[Any, Any, Any, Any]] = {}

    def remembered(w3: Any, abi: Any, arguments: Any, data: Any = None) -> Any:
        values = _fingerprint(tuple(arguments)) if type(arguments) in (tuple, list) else None
        if (
            values is None
            or type(abi) is not dict
            or (data is not None and type(data) is not str)
            or _names_at_addresses(abi.get("inputs", []), tuple(arguments), is_ens_name)
        ):
            return raw(w3, abi, arguments, data)
        codec = w3.codec
        key = (id(w3), id(codec), id(abi), values, data)
        seen = done.get(key)
        if seen is None or seen[0] is not w3 or seen[1] is not codec or seen[2] is not abi:
            made = raw(w3, abi, arguments, data)
            if len(done) >= _LIMIT:
                done.clear()
            done[key] = seen = (w3, codec, abi, made)
        return seen[3]

    functools.update_wrapper(remembered, raw)
    return remembered


def memoize_abi_lookups() -> Callable[[], None]:
    """Install the remembered ABI lookups wherever web3 and eth_utils bound them by name;
    returns the undo."""
    import eth_utils.abi
    import web3._utils.contracts
    import web3.contract.base_contract
    import web3.contract.utils
    import web3.utils.abi

    made: dict[Any, Any] = {}
    for module, name, wrap in (
        (eth_utils.abi, "collapse_if_tuple", _by_identity),
        (eth_utils.abi, "abi_to_signature", _by_identity),
        (eth_utils.abi, "function_abi_to_4byte_selector", _by_identity),
        (web3.utils.abi, "check_if_arguments_can_be_encoded", _encodable),
        (web3.utils.abi, "get_abi_element", _by_elements),
        (web3.utils.abi, "get_abi_element_info", functools.partial(_by_elements, info=True)),
        (web3._utils.contracts, "encode_abi", _encoded),
    ):
        raw = getattr(module, name)
        made[raw] = (name, wrap(raw))
    patched = []
    for module_name, module in list(sys.modules.items()):
        if module is None or module_name.split(".", 1)[0] not in ("web3", "eth_utils"):
            continue
        for raw, (name, remembered) in made.items():
            if getattr(module, name, None) is raw:
                setattr(module, name, remembered)
                patched.append((module, name, raw))

    def undo() -> None:
        for module, name, raw in patched:
            setattr(module, name, raw)

    return undo


def memoize_method_formatters() -> Callable[[], None]:
    """Swap in a ``Method.process_params`` that takes web3's default formatter getters'
    answers for a method name from a cache, checked against web3's tables on every call;
    returns the undo."""
    import web3._utils.method_formatters as mf
    import web3.method as method_module
    from web3.method import Method, _apply_request_formatters

    shipped = Method.__dict__["process_params"]

    tables: tuple[dict[Any, Any], ...] = (
        mf.ABI_REQUEST_FORMATTERS,
        mf.METHOD_NORMALIZERS,
        mf.PYTHONIC_REQUEST_FORMATTERS,
        mf.PYTHONIC_RESULT_FORMATTERS,
        mf.FILTER_RESULT_FORMATTERS,
        mf.ERROR_FORMATTERS,
        mf.NULL_RESULT_FORMATTERS,
    )
    defaults: tuple[Callable[..., Any], ...] = (
        mf.get_request_formatters,
        mf.get_result_formatters,
        mf.get_error_formatters,
        mf.get_null_result_formatters,
    )
    done: dict[str, tuple[tuple[Any, ...], tuple[Any, ...]]] = {}

    def formatters(method: str) -> tuple[Any, ...]:
        """(request, result, error, null-result) formatters of ``method``, made by web3's
        getters again whenever an entry of their tables for ``method`` is another object."""
        entries = tuple([table.get(method, _MISSING) for table in tables])
        seen = done.get(method)
        if seen is None or not all(map(operator.is_, seen[0], entries)):
            made = (
                defaults[0](method),
                defaults[1](method, None),  # no filter method: the module is not used
                defaults[2](method),
                defaults[3](method),
            )
            done[method] = seen = (entries, made)
        return seen[1]

    def process_params(self: Any, module: Any, *args: Any, **kwargs: Any) -> Any:
        if (
            self.method_choice_depends_on_args
            or self.request_formatters is not defaults[0]
            or self.result_formatters is not defaults[1]
            or self.null_result_formatters is not defaults[3]
            or method_module.get_error_formatters is not defaults[2]
            or type(self.json_rpc_method) is not str
            or self.json_rpc_method in mf.FILTER_RESULT_FORMATTERS
        ):
            return shipped(self, module, *args, **kwargs)
        params = self.input_munger(module, args, kwargs)
        method = self.json_rpc_method
        request_formatters, *response_formatters = formatters(method)
        request = (method, _apply_request_formatters(params, request_formatters))
        return request, tuple(response_formatters)

    functools.update_wrapper(process_params, shipped)
    Method.process_params = process_params  # type: ignore[method-assign]

    def undo() -> None:
        Method.process_params = shipped  # type: ignore[method-assign]

    return undo
