"""The remembered ABI lookups and method formatters: web3's own results and errors, cached."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from typing import Any

import eth_utils.abi
import pytest
import web3._utils.contracts
import web3._utils.method_formatters as mf
import web3.utils.abi
from eth_hash.backends.pycryptodome import keccak256 as pycryptodome_keccak
from eth_utils import keccak
from hexbytes import HexBytes
from hypothesis import given, settings
from hypothesis import strategies as st
from web3 import Web3
from web3.eth.eth import Eth
from web3.method import Method

from ogpu_sim.sdk.caches import memoize_validate_abi
from ogpu_sim.sdk.lookups import _encoded, memoize_abi_lookups, memoize_method_formatters
from ogpu_sim.sdk.signing import fastest_keccak

ADDRESS = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"


def function(name: str, *types: str, components: list[dict[str, Any]] | None = None) -> Any:
    inputs: list[dict[str, Any]] = [{"name": f"a{i}", "type": t} for i, t in enumerate(types)]
    for i, put in enumerate(inputs):
        if put["type"].startswith("tuple"):
            put["components"] = components or []
            inputs[i] = put
    return {"type": "function", "name": name, "inputs": inputs, "outputs": []}


TASK = [
    {"name": "source", "type": "address"},
    {"name": "config", "type": "string"},
    {"name": "expiryTime", "type": "uint256"},
    {"name": "payment", "type": "uint256"},
]
ABI = [
    function("f", "uint256"),
    function("f", "address"),
    function("f", "uint8", "string"),
    function("g", "bool"),
    function("g", "int16"),
    function("h", "bytes32"),
    function("h", "bytes"),
    function("publishTask", "tuple", components=TASK),
    function("take", "uint256[]"),
    function("put", "address[]"),
]
CODEC = Web3().codec

values = st.one_of(
    st.integers(min_value=-(2**16), max_value=2**257),
    st.booleans(),
    st.none(),
    st.sampled_from([ADDRESS, ADDRESS.lower(), ADDRESS[:-1] + "9", "", "0x", "ens.eth"]),
    st.text(max_size=8),
    st.binary(max_size=40),
    st.binary(min_size=32, max_size=32).map(HexBytes),
    st.lists(st.integers(min_value=0, max_value=9), max_size=2),
    st.tuples(st.sampled_from([ADDRESS, "ens.eth", "0x12"])),
)
arguments = st.one_of(
    st.lists(values, max_size=2).map(tuple),
    st.tuples(
        st.tuples(
            st.sampled_from([ADDRESS, ADDRESS.lower(), "0x12", "ens.eth"]),
            st.text(max_size=8),
            st.integers(min_value=-1, max_value=2**256),
            st.one_of(st.integers(min_value=0, max_value=9), st.booleans()),
        )
    ),
)
names = st.sampled_from(["f", "g", "h", "publishTask", "take", "f(uint256)", "nope"])


def outcome(call: Callable[[], Any]) -> Any:
    """The result, or the error's type and message."""
    try:
        return ("returned", call())
    except Exception as exc:
        return ("raised", type(exc), str(exc))


@pytest.fixture
def lookups() -> Iterator[None]:
    undo = memoize_abi_lookups()
    yield
    undo()


def web3s(name: str) -> Callable[..., Any]:
    """web3's own function of ``web3.utils.abi``, whatever is installed over it now."""
    return inspect.unwrap(getattr(web3.utils.abi, name))  # type: ignore[no-any-return]


@settings(max_examples=150, deadline=None)
@given(name=names, args=arguments)
def test_get_abi_element_is_web3s_for_any_arguments(name: str, args: tuple[Any, ...]) -> None:
    undo = memoize_abi_lookups()
    try:
        expected = outcome(lambda: web3s("get_abi_element")(ABI, name, *args, abi_codec=CODEC))
        for _ in range(2):
            got = outcome(lambda: web3.utils.abi.get_abi_element(ABI, name, *args, abi_codec=CODEC))
            assert got == expected
            if got[0] == "returned":
                assert got[1] is expected[1]  # the very element of the ABI, as web3 answers
    finally:
        undo()


@settings(max_examples=150, deadline=None)
@given(name=names, args=arguments)
def test_get_abi_element_info_is_web3s_and_a_new_dict(name: str, args: tuple[Any, ...]) -> None:
    undo = memoize_abi_lookups()
    try:
        raw = web3s("get_abi_element_info")
        expected = outcome(lambda: raw(ABI, name, *args, abi_codec=CODEC))
        first = outcome(
            lambda: web3.utils.abi.get_abi_element_info(ABI, name, *args, abi_codec=CODEC)
        )
        again = outcome(
            lambda: web3.utils.abi.get_abi_element_info(ABI, name, *args, abi_codec=CODEC)
        )
        assert first == again == expected
        if first[0] == "returned":
            assert first[1] is not again[1]
    finally:
        undo()


@settings(max_examples=150, deadline=None)
@given(index=st.integers(min_value=0, max_value=len(ABI) - 1), args=arguments)
def test_encodability_is_web3s_for_any_arguments(index: int, args: tuple[Any, ...]) -> None:
    undo = memoize_abi_lookups()
    try:
        raw = web3s("check_if_arguments_can_be_encoded")
        expected = outcome(lambda: raw(ABI[index], *args, abi_codec=CODEC))
        for _ in range(2):
            got = outcome(
                lambda: web3.utils.abi.check_if_arguments_can_be_encoded(
                    ABI[index], *args, abi_codec=CODEC
                )
            )
            assert got == expected
    finally:
        undo()


W3 = Web3()


@settings(max_examples=150, deadline=None)
@given(
    index=st.integers(min_value=0, max_value=len(ABI) - 1),
    args=arguments,
    data=st.sampled_from([None, "0x12345678", ""]),
)
def test_encode_abi_is_web3s_for_any_arguments(
    index: int, args: tuple[Any, ...], data: str | None
) -> None:
    undo = memoize_abi_lookups()
    try:
        raw = inspect.unwrap(web3._utils.contracts.encode_abi)
        expected = outcome(lambda: raw(W3, ABI[index], args, data))
        encode = web3._utils.contracts.encode_abi
        for arguments in (args, list(args), args):
            got = outcome(functools.partial(encode, W3, ABI[index], arguments, data))
            assert got == expected
    finally:
        undo()


def test_encode_abi_leaves_a_possible_ens_name_to_web3_every_time(lookups: None) -> None:
    calls = []
    raw = inspect.unwrap(web3._utils.contracts.encode_abi)

    def counted(*args: Any) -> Any:
        calls.append(args[2])
        return raw(*args)

    encode = _encoded(counted)
    for _ in range(2):
        outcome(lambda: encode(W3, ABI[1], ("ens.eth",)))
        encode(W3, ABI[0], (7,))

    assert calls == [("ens.eth",), (7,), ("ens.eth",)]


def _counted_encoder() -> tuple[list[Any], Callable[..., Any]]:
    calls: list[Any] = []
    raw = inspect.unwrap(web3._utils.contracts.encode_abi)

    def counted(*args: Any) -> Any:
        calls.append(args[2])
        return raw(*args)

    return calls, _encoded(counted)


def test_encode_abi_remembers_a_name_like_string_outside_address_positions(
    lookups: None,
) -> None:
    calls, encode = _counted_encoder()
    first = encode(W3, ABI[2], (1, "ens.eth"))

    assert encode(W3, ABI[2], (1, "ens.eth")) == first
    assert calls == [(1, "ens.eth")]


@pytest.mark.parametrize(
    ("index", "args"),
    [
        (7, (("ens.eth", "ipfs://config", 1, 2),)),
        (len(ABI) - 1, (("ens.eth",),)),
    ],
    ids=["in-a-tuple", "in-an-array"],
)
def test_encode_abi_leaves_a_name_at_a_nested_address_to_web3(
    lookups: None, index: int, args: tuple[Any, ...]
) -> None:
    calls, encode = _counted_encoder()
    for _ in range(2):
        outcome(lambda: encode(W3, ABI[index], args))

    assert calls == [args, args]


def test_true_and_one_are_different_arguments(lookups: None) -> None:
    check = web3.utils.abi.check_if_arguments_can_be_encoded

    assert check(ABI[3], True, abi_codec=CODEC) is True
    assert check(ABI[3], 1, abi_codec=CODEC) is False
    assert web3.utils.abi.get_abi_element(ABI, "g", True, abi_codec=CODEC) is ABI[3]
    assert web3.utils.abi.get_abi_element(ABI, "g", 1, abi_codec=CODEC) is ABI[4]


def test_a_new_list_of_the_same_elements_answers_from_the_cache(lookups: None) -> None:
    first = web3.utils.abi.get_abi_element(list(ABI), "f", 7, abi_codec=CODEC)
    again = web3.utils.abi.get_abi_element(list(ABI), "f", 7, abi_codec=CODEC)

    assert first is again is ABI[0]


def test_keyword_arguments_give_web3s_element(lookups: None) -> None:
    got = web3.utils.abi.get_abi_element(ABI, "f", a0=5, a1="x", abi_codec=CODEC)

    assert got is web3s("get_abi_element")(ABI, "f", a0=5, a1="x", abi_codec=CODEC) is ABI[2]


@pytest.mark.parametrize("element", [*ABI, *TASK])
def test_signatures_types_and_selectors_are_eth_utils(lookups: None, element: Any) -> None:
    for name in ("collapse_if_tuple", "abi_to_signature", "function_abi_to_4byte_selector"):
        if name != "collapse_if_tuple" and "inputs" not in element:
            continue
        raw = inspect.unwrap(getattr(eth_utils.abi, name))
        assert getattr(eth_utils.abi, name)(element) == raw(element)
        assert getattr(eth_utils.abi, name)(element) == raw(element)


def test_undoing_the_lookups_restores_web3s_functions() -> None:
    before = (web3.utils.abi.get_abi_element, eth_utils.abi.collapse_if_tuple)
    undo = memoize_abi_lookups()
    patched = (web3.utils.abi.get_abi_element, eth_utils.abi.collapse_if_tuple)
    undo()

    assert all(a is not b for a, b in zip(before, patched, strict=True))
    assert (web3.utils.abi.get_abi_element, eth_utils.abi.collapse_if_tuple) == before


def test_validate_abi_passes_a_new_list_of_the_same_elements_and_refuses_a_bad_one() -> None:
    undo = memoize_validate_abi()
    try:
        web3.utils.abi.validate_abi(list(ABI))
        web3.utils.abi.validate_abi(list(ABI))
        for _ in range(2):
            with pytest.raises(ValueError, match="is not a list of dictionaries"):
                web3.utils.abi.validate_abi([*ABI, "function"])
    finally:
        undo()


@pytest.fixture
def method_formatters() -> Iterator[None]:
    undo = memoize_method_formatters()
    yield
    undo()


SHIPPED_PROCESS_PARAMS = inspect.unwrap(Method.process_params)
METHODS = [
    (Eth.__dict__["_chain_id"], ()),
    (Eth.__dict__["_get_block"], ("latest", False)),
    (Eth.__dict__["_get_block"], (12, True)),
    (Eth.__dict__["_transaction_receipt"], ("0x" + "ab" * 32,)),
    (Eth.__dict__["_estimate_gas"], ({"from": ADDRESS, "to": ADDRESS, "value": 5}, None, None)),
    (Eth.__dict__["_call"], ({"to": ADDRESS, "data": "0x01"}, "latest", None)),
    (Eth.__dict__["_get_logs"], ({"address": ADDRESS, "fromBlock": 1},)),
    (Eth.__dict__["filter"], ("latest",)),
    (Eth.__dict__["_send_raw_transaction"], ("0x02f8",)),
]


@pytest.mark.parametrize(("method", "args"), METHODS)
def test_process_params_gives_web3s_request_and_formatters(
    method_formatters: None, method: Method[Any], args: tuple[Any, ...]
) -> None:
    module = Web3().eth
    expected = SHIPPED_PROCESS_PARAMS(method, module, *args)
    for _ in range(2):
        (name, params), formatters = method.process_params(module, *args)
        assert (name, params) == expected[0]
        assert len(formatters) == 3
        samples: list[Any] = [None, "0x10", {"result": "0x10"}]
        for made, web3_made in zip(formatters, expected[1], strict=True):
            for sample in samples:
                assert comparable(outcome(lambda f=made, s=sample: f(s))) == comparable(
                    outcome(lambda f=web3_made, s=sample: f(s))
                )


def comparable(result: Any) -> Any:
    """``result`` with objects that compare by identity (a filter) replaced by their type."""
    if type(result[1]).__eq__ is object.__eq__:
        return (result[0], type(result[1]), *result[2:])
    return result


def test_a_changed_table_entry_is_used_at_once(method_formatters: None) -> None:
    method, module = Eth.__dict__["_chain_id"], Web3().eth
    before = mf.PYTHONIC_RESULT_FORMATTERS["eth_chainId"]
    method.process_params(module)
    mf.PYTHONIC_RESULT_FORMATTERS["eth_chainId"] = lambda value: ("changed", value)
    try:
        _, (result, _, _) = method.process_params(module)
        assert result("0x1") == ("changed", "0x1")
    finally:
        mf.PYTHONIC_RESULT_FORMATTERS["eth_chainId"] = before
    _, (result, _, _) = method.process_params(module)
    assert result("0x1") == 1


def test_undoing_the_method_formatters_restores_process_params() -> None:
    before = Method.__dict__["process_params"]
    undo = memoize_method_formatters()
    patched = Method.__dict__["process_params"]
    undo()

    assert patched is not before
    assert Method.__dict__["process_params"] is before


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2048))
def test_keccak_is_pycryptodomes_for_any_input(data: bytes) -> None:
    fast = fastest_keccak() or pycryptodome_keccak

    assert fast(data) == pycryptodome_keccak(data) == keccak(data)
