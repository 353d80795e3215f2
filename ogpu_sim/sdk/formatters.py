"""web3's result formatting of the SDK's hot RPC answers, specialised and exact.

Every SDK write (``TxExecutor.execute``) reads a block for its fees and a receipt, and web3
formats each through a tree of curried formatters (``apply_formatter_if``, ``to_hexbytes``...)
and twice through ``AttributeDict.recursive``, whose ``isinstance`` checks against ``typing``
generics cost more than the node's answer. This module swaps in, while a simulator runs:

- ``AttributeDict.recursive`` that answers ``dict``/``list``/``tuple`` and scalar leaves by
  exact type, and gives anything else to web3's own method;
- result formatters of the methods below that build the same ``AttributeDict``\\ s, ``HexBytes``,
  ints and checksum addresses straight from the shapes nodes answer (hex strings, ``None``,
  lists of them), and give any other value, and any value they fail on, to web3's formatter,
  so the results and errors are web3's own.

A formatter is only swapped in when web3's table names exactly the fields it knows.
"""

from __future__ import annotations

import binascii
import functools
from collections.abc import Callable
from typing import Any

_LEFT = object()
"""What a fast converter answers for a value it leaves to web3 (a sentinel: every exception
class lives in ``ogpu_sim.errors``)."""

_NONE = type(None)
_new_bytes = bytes.__new__
"""``HexBytes(value)`` of a ``bytes`` value is ``bytes.__new__(HexBytes, value)`` (its
``__new__`` only converts other types to bytes first)."""


def _attribute_dict_of() -> Callable[[dict[Any, Any]], Any]:
    """``AttributeDict(made)`` for a new dict ``made`` the caller gives away: the object
    web3's constructor makes (its whole state is its ``__dict__``, there a copy of ``made``),
    without the copies and the ``__setattr__`` check; another web3 keeps its constructor."""
    from web3.datastructures import AttributeDict, ReadableAttributeDict

    if AttributeDict.__init__ is not ReadableAttributeDict.__init__ or any(
        "__new__" in vars(kind) or "__slots__" in vars(kind) for kind in AttributeDict.__mro__[:2]
    ):
        return AttributeDict
    new, assign = object.__new__, object.__setattr__

    def made_of(made: dict[Any, Any]) -> Any:
        value = new(AttributeDict)
        assign(value, "__dict__", made)
        return value

    return made_of


def _quantity(value: Any) -> Any:
    """``to_integer_if_hex``: a str is parsed as hex; other non-strings pass through."""
    kind = type(value)
    if kind is str:
        return int(value, 16)
    if kind is int or kind is _NONE or kind is bool:
        return value
    return _LEFT


def _quantity_or_none(value: Any) -> Any:
    return None if value is None else _quantity(value)


def _hexbytes(size: int, variable: bool = False) -> Callable[[Any], Any]:
    """``to_hexbytes(size, variable_length=variable)`` of a ``0x``-prefixed hex str."""
    from hexbytes import HexBytes

    new, unhexlify = _new_bytes, binascii.unhexlify

    def convert(value: Any) -> Any:
        if type(value) is not str or value[:2] != "0x" or len(value) % 2:
            return _LEFT
        made = new(HexBytes, unhexlify(value[2:]))
        if len(made) == size or (variable and len(made) < size):
            return made
        return _LEFT

    return convert


def _or_none(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``apply_formatter_if(is_not_null, convert)``."""

    def maybe(value: Any) -> Any:
        return None if value is None else convert(value)

    return maybe


def _data(value: Any) -> Any:
    """``HexBytes`` of a ``0x``-prefixed, even-length hex str."""
    from hexbytes import HexBytes

    if type(value) is not str or value[:2] != "0x" or len(value) % 2:
        return _LEFT
    return _new_bytes(HexBytes, binascii.unhexlify(value[2:]))


@functools.lru_cache(maxsize=4096)
def _checksum_of(value: str) -> str:
    from eth_utils.address import to_checksum_address

    return str(to_checksum_address(value))


def _checksum(value: Any) -> Any:
    """``to_checksum_address`` of a ``0x`` + 40 hex digits str."""
    if type(value) is not str or len(value) != 42 or value[:2] != "0x":
        return _LEFT
    return _checksum_of(value)


def _checksum_if_address(value: Any) -> Any:
    """``apply_formatter_if(is_address, to_checksum_address)``: any hex address is
    checksummed (``is_address`` does not look at the case); a non-hex one goes to web3."""
    return None if value is None else _checksum(value)


def _list_of(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``apply_list_to_array_formatter(convert)`` of a list."""

    def each(value: Any) -> Any:
        if type(value) is not list:
            return _LEFT
        made = [convert(item) for item in value]
        return _LEFT if any(item is _LEFT for item in made) else made

    return each


def _record(spec: dict[str, Callable[[Any], Any]]) -> Callable[[Any], Any]:
    """``type_aware_apply_formatters_to_dict(spec)`` of an ``AttributeDict`` of plain values:
    a new ``AttributeDict`` with the fields in ``spec`` converted, others kept."""
    from hexbytes import HexBytes
    from web3.datastructures import AttributeDict

    kept = (str, int, bool, _NONE, HexBytes, bytes)
    attribute_dict = _attribute_dict_of()

    def record(value: Any) -> Any:
        if type(value) is not AttributeDict:
            return _LEFT
        made = {}
        for key, item in value.__dict__.items():
            convert = spec.get(key)
            if convert is not None:
                item = convert(item)
            elif type(item) not in kept:
                return _LEFT
            if item is _LEFT:
                return _LEFT
            made[key] = item
        return attribute_dict(made)

    return record


def _specs() -> dict[str, dict[str, Callable[[Any], Any]]]:
    """Converters per web3 formatter table, field for field."""
    h32 = _hexbytes(32)
    bloom = _or_none(_hexbytes(256, variable=True))
    log = {
        "blockHash": _or_none(h32),
        "blockNumber": _quantity_or_none,
        "transactionIndex": _quantity_or_none,
        "transactionHash": _or_none(h32),
        "logIndex": _quantity,
        "address": _checksum,
        "topics": _list_of(h32),
        "data": _data,
    }
    receipt = {
        "blockHash": _or_none(h32),
        "blockNumber": _quantity_or_none,
        "transactionIndex": _quantity_or_none,
        "transactionHash": h32,
        "cumulativeGasUsed": _quantity,
        "status": _quantity,
        "gasUsed": _quantity,
        "contractAddress": _or_none(_checksum),
        "logs": _list_of(_record(log)),
        "logsBloom": _hexbytes(256, variable=True),
        "from": _or_none(_checksum),
        "to": _checksum_if_address,
        "effectiveGasPrice": _quantity,
        "type": _quantity,
        "blobGasPrice": _quantity,
        "blobGasUsed": _quantity,
    }
    block = {
        "baseFeePerGas": _quantity,
        "extraData": _or_none(_hexbytes(32, variable=True)),
        "gasLimit": _quantity,
        "gasUsed": _quantity,
        "size": _quantity,
        "timestamp": _quantity,
        "hash": _or_none(h32),
        "logsBloom": bloom,
        "miner": _or_none(_checksum),
        "mixHash": _or_none(h32),
        "nonce": _or_none(_hexbytes(8, variable=True)),
        "number": _quantity_or_none,
        "parentHash": _or_none(h32),
        "sha3Uncles": _or_none(h32),
        "uncles": _list_of(h32),
        "difficulty": _quantity,
        "receiptsRoot": _or_none(h32),
        "stateRoot": _or_none(h32),
        "totalDifficulty": _quantity,
        "transactions": _list_of(h32),  # hashes; full transactions go to web3
        "transactionsRoot": _or_none(h32),
        "withdrawals": _or_none(_list_of(lambda _: _LEFT)),  # only [] is made here
        "withdrawalsRoot": _or_none(h32),
        "blobGasUsed": _quantity,
        "excessBlobGas": _quantity,
        "parentBeaconBlockRoot": _or_none(h32),
        "requestsHash": _or_none(h32),
    }
    return {"log": log, "receipt": receipt, "block": block}


def _exact(fast: Callable[[Any], Any], web3s: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``fast``'s answer, or web3's formatter's for a value ``fast`` leaves or fails on."""

    def formatter(value: Any) -> Any:
        try:
            made = fast(value)
        except Exception:
            return web3s(value)
        return web3s(value) if made is _LEFT else made

    functools.update_wrapper(formatter, web3s, assigned=("__doc__",), updated=())
    return formatter


def fast_attrdict_recursive() -> Callable[[], None]:
    """Swap in an ``AttributeDict.recursive`` that handles exact builtin types itself;
    returns the undo."""
    from hexbytes import HexBytes
    from web3.datastructures import AttributeDict, ReadableAttributeDict

    shipped = ReadableAttributeDict.__dict__["recursive"]
    web3s = shipped.__func__
    leaves = frozenset((str, bytes, HexBytes, int, bool, float, _NONE))
    attribute_dict = _attribute_dict_of()

    def recursive(cls: Any, value: Any) -> Any:
        if cls is not AttributeDict:
            return web3s(cls, value)
        kind = type(value)
        if kind in leaves:
            return value
        if kind is dict:
            return attribute_dict({k: recursive(cls, v) for k, v in value.items()})
        if kind is AttributeDict:
            return attribute_dict({k: recursive(cls, v) for k, v in value.__dict__.items()})
        if kind is list:
            return [recursive(cls, v) for v in value]
        if kind is tuple:
            return tuple([recursive(cls, v) for v in value])
        return web3s(cls, value)

    functools.update_wrapper(recursive, web3s)
    ReadableAttributeDict.recursive = classmethod(recursive)  # type: ignore[method-assign,assignment]

    def undo() -> None:
        ReadableAttributeDict.recursive = shipped  # type: ignore[method-assign]

    return undo


_QUANTITIES = (
    "eth_blockNumber",
    "eth_chainId",
    "eth_estimateGas",
    "eth_gasPrice",
    "eth_getBalance",
    "eth_getTransactionCount",
    "eth_maxPriorityFeePerGas",
)


def fast_result_formatters() -> Callable[[], None]:
    """Swap web3's result formatters of receipts, blocks, quantities and transaction hashes
    for exact specialised ones (each falls back to web3's own); returns the undo."""
    import web3._utils.method_formatters as mf

    table: dict[Any, Any] = mf.PYTHONIC_RESULT_FORMATTERS
    specs = _specs()
    if (
        set(specs["log"]) != set(mf.LOG_ENTRY_FORMATTERS)
        or set(specs["receipt"]) != set(mf.RECEIPT_FORMATTERS)
        or set(specs["block"]) != set(mf.BLOCK_RESULT_FORMATTERS)
    ):
        return lambda: None  # another web3: its own formatters, untouched
    receipt = _or_none(_record(specs["receipt"]))
    block = _or_none(_record(specs["block"]))
    fast: dict[str, Callable[[Any], Any]] = {
        "eth_getTransactionReceipt": receipt,
        "eth_getBlockByNumber": block,
        "eth_getBlockByHash": block,
        "eth_sendRawTransaction": _hexbytes(32),
        "eth_sendTransaction": _hexbytes(32),
        **dict.fromkeys(_QUANTITIES, _quantity),
    }
    shipped = {method: table[method] for method in fast if method in table}
    for method, web3s in shipped.items():
        table[method] = _exact(fast[method], web3s)

    def undo() -> None:
        table.update(shipped)

    return undo
