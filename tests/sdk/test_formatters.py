"""The fast result formatters and ``AttributeDict.recursive``: web3's own results and errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import web3._utils.method_formatters as mf
from hexbytes import HexBytes
from hypothesis import given, settings
from hypothesis import strategies as st
from web3.datastructures import AttributeDict, ReadableAttributeDict

from ogpu_sim.sdk.formatters import fast_attrdict_recursive, fast_result_formatters

ADDRESS = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
# web3's own, taken at collection (the session simulator of tests/sdk installs the fast ones)
SHIPPED_TABLE = dict(mf.PYTHONIC_RESULT_FORMATTERS)
SHIPPED_RECURSIVE = ReadableAttributeDict.__dict__["recursive"]
FAST_FILE = fast_result_formatters.__code__.co_filename


@contextmanager
def web3s_own() -> Iterator[None]:
    """web3's shipped formatters and ``recursive`` in place, whatever is installed now."""
    table, recursive = (
        dict(mf.PYTHONIC_RESULT_FORMATTERS),
        ReadableAttributeDict.__dict__["recursive"],
    )
    mf.PYTHONIC_RESULT_FORMATTERS.update(SHIPPED_TABLE)
    ReadableAttributeDict.recursive = SHIPPED_RECURSIVE  # type: ignore[method-assign]
    try:
        yield
    finally:
        mf.PYTHONIC_RESULT_FORMATTERS.update(table)
        ReadableAttributeDict.recursive = recursive  # type: ignore[method-assign]


@contextmanager
def installed() -> Iterator[None]:
    """The fast ones installed over web3's own."""
    with web3s_own():
        undos = (fast_attrdict_recursive(), fast_result_formatters())
        try:
            yield
        finally:
            for undo in undos:
                undo()


def outcome(call: Callable[[], Any]) -> Any:
    """A result with every nested type spelled out, or the error's type and message."""
    try:
        return typed(call())
    except Exception as exc:
        return ("raised", type(exc), str(exc))


def typed(value: Any) -> Any:
    if isinstance(value, ReadableAttributeDict | dict):
        return (type(value), [(k, typed(v)) for k, v in value.items()])
    if isinstance(value, list | tuple):
        return (type(value), [typed(v) for v in value])
    return (type(value), value)


def through_web3(method: str, raw: Any) -> Any:
    """What a web3 call makes of a node's ``raw`` result: the attrdict middleware, then the
    method's result formatter."""
    return outcome(lambda: mf.PYTHONIC_RESULT_FORMATTERS[method](AttributeDict.recursive(raw)))


def compared(method: str, raw: Any) -> tuple[Any, Any]:
    with installed():
        fast = through_web3(method, raw)
    with web3s_own():
        return fast, through_web3(method, raw)


def hex_of(size: int) -> st.SearchStrategy[str]:
    return st.binary(min_size=size, max_size=size).map(lambda b: "0x" + b.hex())


ODD = st.sampled_from(["0x", "0x1", "0xzz", "0X" + "ab" * 32, "12", "", "0x" + "00" * 33])
QUANTITY = st.one_of(st.integers(0, 2**70).map(hex), st.none(), st.integers(0, 9), ODD)
HASH = st.one_of(hex_of(32), hex_of(32), st.none(), ODD, hex_of(31))
ADDR = st.one_of(
    st.just(ADDRESS),
    st.just(ADDRESS.lower()),
    st.just(ADDRESS.upper().replace("0X", "0x")),
    st.just(ADDRESS[:-1] + "9"),
    hex_of(20),
    st.none(),
    ODD,
)
BLOOM = st.one_of(hex_of(256), st.just("0x" + "00" * 255), hex_of(257), st.none())
DATA = st.one_of(st.binary(max_size=80).map(lambda b: "0x" + b.hex()), ODD, st.none())


def records(fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """Dicts with any subset of ``fields`` in any order, sometimes extra plain keys."""
    extras = {"removed": st.booleans(), "root": HASH, "yParity": QUANTITY}
    every = {**fields, **extras}
    return st.lists(st.sampled_from(sorted(every)), unique=True).flatmap(
        lambda names: st.fixed_dictionaries({name: every[name] for name in names})
    )


LOG = records(
    {
        "blockHash": HASH,
        "blockNumber": QUANTITY,
        "transactionIndex": QUANTITY,
        "transactionHash": HASH,
        "logIndex": QUANTITY,
        "address": ADDR,
        "topics": st.lists(HASH, max_size=4),
        "data": DATA,
    }
)
RECEIPT = records(
    {
        "blockHash": HASH,
        "blockNumber": QUANTITY,
        "transactionIndex": QUANTITY,
        "transactionHash": HASH,
        "cumulativeGasUsed": QUANTITY,
        "status": QUANTITY,
        "gasUsed": QUANTITY,
        "contractAddress": ADDR,
        "logs": st.lists(LOG, max_size=3),
        "logsBloom": BLOOM,
        "from": ADDR,
        "to": ADDR,
        "effectiveGasPrice": QUANTITY,
        "type": QUANTITY,
    }
)
BLOCK = records(
    {
        "baseFeePerGas": QUANTITY,
        "extraData": st.one_of(DATA, hex_of(32)),
        "gasLimit": QUANTITY,
        "gasUsed": QUANTITY,
        "hash": HASH,
        "logsBloom": BLOOM,
        "miner": ADDR,
        "mixHash": HASH,
        "nonce": st.one_of(hex_of(8), hex_of(4), ODD),
        "number": QUANTITY,
        "parentHash": HASH,
        "sha3Uncles": HASH,
        "uncles": st.lists(HASH, max_size=2),
        "timestamp": QUANTITY,
        "transactions": st.one_of(
            st.lists(HASH, max_size=3), st.lists(st.fixed_dictionaries({"hash": HASH}))
        ),
        "withdrawals": st.one_of(st.none(), st.just([]), st.just([{"index": "0x1"}])),
        "stateRoot": HASH,
    }
)


@settings(max_examples=300, deadline=None)
@given(RECEIPT)
def test_a_receipt_is_formatted_as_web3_formats_it(raw: dict[str, Any]) -> None:
    fast, web3s = compared("eth_getTransactionReceipt", raw)

    assert fast == web3s


@settings(max_examples=300, deadline=None)
@given(BLOCK)
def test_a_block_is_formatted_as_web3_formats_it(raw: dict[str, Any]) -> None:
    fast, web3s = compared("eth_getBlockByNumber", raw)

    assert fast == web3s


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["eth_chainId", "eth_estimateGas", "eth_getTransactionCount"]),
    st.one_of(QUANTITY, st.floats(allow_nan=False), st.binary(max_size=3)),
)
def test_a_quantity_is_formatted_as_web3_formats_it(method: str, raw: Any) -> None:
    fast, web3s = compared(method, raw)

    assert fast == web3s


@settings(max_examples=100, deadline=None)
@given(st.one_of(HASH, st.binary(max_size=33)))
def test_a_sent_transaction_hash_is_formatted_as_web3_formats_it(raw: Any) -> None:
    fast, web3s = compared("eth_sendRawTransaction", raw)

    assert fast == web3s


def test_a_null_receipt_stays_none() -> None:
    assert compared("eth_getTransactionReceipt", None) == ((type(None), None),) * 2


def test_a_receipt_field_web3_cannot_format_raises_web3s_error() -> None:
    fast, web3s = compared("eth_getTransactionReceipt", {"status": "0xzz"})

    assert (
        fast
        == web3s
        == ("raised", ValueError, "Could not format invalid value '0xzz' as field 'status'")
    )


NESTED = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.text(max_size=3),
        st.binary(max_size=3),
        st.binary(max_size=3).map(HexBytes),
        st.floats(allow_nan=False),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(st.text(max_size=2), inner, max_size=3),
        st.dictionaries(st.text(max_size=2), inner, max_size=3).map(AttributeDict),
        st.frozensets(st.integers(), max_size=2).map(set),
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(NESTED)
def test_attribute_dict_recursive_makes_what_web3_makes(value: Any) -> None:
    with installed():
        fast = outcome(lambda: AttributeDict.recursive(value))
    with web3s_own():
        web3s = outcome(lambda: AttributeDict.recursive(value))

    assert fast == web3s


def test_the_reference_is_web3s_own() -> None:
    assert SHIPPED_RECURSIVE.__func__.__code__.co_filename.endswith("web3/datastructures.py")
    files = {
        getattr(getattr(f, "__code__", None), "co_filename", "") for f in SHIPPED_TABLE.values()
    }
    assert FAST_FILE not in files


def test_undo_puts_web3s_own_formatters_and_recursive_back() -> None:
    with web3s_own():
        with installed():
            swapped = mf.PYTHONIC_RESULT_FORMATTERS["eth_getTransactionReceipt"]
            fast = ReadableAttributeDict.__dict__["recursive"]
        table, recursive = (
            dict(mf.PYTHONIC_RESULT_FORMATTERS),
            ReadableAttributeDict.__dict__["recursive"],
        )

    assert swapped.__code__.co_filename == fast.__func__.__code__.co_filename == FAST_FILE
    assert table == SHIPPED_TABLE
    assert recursive is SHIPPED_RECURSIVE


def test_an_attribute_dict_made_directly_is_web3s_own() -> None:
    from web3.exceptions import Web3TypeError

    from ogpu_sim.sdk.formatters import _attribute_dict_of

    made = _attribute_dict_of()({"a": 1, "b": [2]})
    web3_made = AttributeDict({"a": 1, "b": [2]})

    assert type(made) is AttributeDict
    assert made == web3_made and vars(made) == vars(web3_made)
    assert made.a == 1 and hash(AttributeDict({"a": 1})) == hash(_attribute_dict_of()({"a": 1}))
    with pytest.raises(Web3TypeError, match="This data is immutable"):
        made.a = 2
