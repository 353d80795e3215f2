"""The memoized ``to_checksum_address`` and ``map_abi_data``: web3's results and errors, cached."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator
from typing import Any

import eth_utils.address
import pytest
import web3._utils.contracts as contracts
import web3._utils.method_formatters as method_formatters
import web3._utils.rpc_abi as rpc_abi
import web3.main
from hexbytes import HexBytes
from hypothesis import example, given, settings
from hypothesis import strategies as st
from web3._utils.abi import map_abi_data as web3_map_abi_data
from web3._utils.normalizers import (
    BASE_RETURN_NORMALIZERS,
    abi_address_to_hex,
    abi_bytes_to_bytes,
    abi_ens_resolver,
    abi_string_to_text,
)

from ogpu_sim.sdk.caches import memoize_map_abi_data, memoize_to_checksum_address

web3_to_checksum_address = inspect.unwrap(eth_utils.address.to_checksum_address)
ADDRESS = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"
CHECKSUMMED = web3_to_checksum_address(ADDRESS)
STANDARD = method_formatters.STANDARD_NORMALIZERS
ENCODE = [abi_address_to_hex, abi_bytes_to_bytes, abi_string_to_text]


@pytest.fixture
def checksums() -> Iterator[None]:
    undo = memoize_to_checksum_address()
    yield
    undo()


@pytest.fixture
def mapping() -> Iterator[Callable[..., Any]]:
    undo = memoize_map_abi_data()
    yield rpc_abi.map_abi_data
    undo()


@pytest.mark.parametrize("value", [ADDRESS, bytes.fromhex(ADDRESS[2:]), HexBytes(ADDRESS)])
def test_a_cached_checksum_is_eth_utils_one(checksums: None, value: Any) -> None:
    first, again = (
        eth_utils.address.to_checksum_address(value),
        web3.main.to_checksum_address(value),
    )

    assert first == again == web3_to_checksum_address(value)


def test_is_checksum_address_answers_through_the_cache_as_before(checksums: None) -> None:
    checksummed = web3_to_checksum_address(ADDRESS)

    assert eth_utils.address.is_checksum_address(checksummed) is True
    assert eth_utils.address.is_checksum_address(ADDRESS) is False


@pytest.mark.parametrize("bad", ["0x1234", "0x" + "zz" * 20, "0X" + "ab" * 20 + "cd"])
def test_a_bad_address_is_refused_by_eth_utils_every_time(checksums: None, bad: str) -> None:
    with pytest.raises(ValueError) as expected:
        web3_to_checksum_address(bad)
    for _ in range(2):
        with pytest.raises(ValueError) as got:
            eth_utils.address.to_checksum_address(bad)
        assert str(got.value) == str(expected.value)


def test_undoing_the_checksum_cache_restores_every_module() -> None:
    before = (eth_utils.address.to_checksum_address, web3.main.to_checksum_address)
    undo = memoize_to_checksum_address()
    patched = eth_utils.address.to_checksum_address
    undo()

    assert patched is not before[0]
    assert (eth_utils.address.to_checksum_address, web3.main.to_checksum_address) == before


def test_a_transaction_dict_is_formatted_as_web3_formats_it(mapping: Callable[..., Any]) -> None:
    tx = {"from": CHECKSUMMED, "to": CHECKSUMMED, "data": "0x4e69d560", "value": 0, "gas": 21_000}
    format_tx = rpc_abi.apply_abi_formatters_to_dict(STANDARD, rpc_abi.TRANSACTION_PARAMS_ABIS)
    types, values = [rpc_abi.TRANSACTION_PARAMS_ABIS[key] for key in tx], list(tx.values())
    expected = web3_map_abi_data(STANDARD, types, values)

    for _ in range(2):
        assert mapping(STANDARD, types, values) == expected
        assert format_tx(tx) == dict(zip(tx, expected, strict=True))


def test_positional_rpc_params_are_formatted_as_web3_formats_them(
    mapping: Callable[..., Any],
) -> None:
    formatter = method_formatters.ABI_REQUEST_FORMATTERS["eth_getBalance"]
    params = (CHECKSUMMED, "latest")
    expected = web3_map_abi_data(STANDARD, rpc_abi.RPC_ABIS["eth_getBalance"], params)

    assert formatter(params) == formatter(params) == expected


def test_undoing_the_mapping_cache_restores_web3s_functions_and_formatters() -> None:
    formatters = dict(method_formatters.ABI_REQUEST_FORMATTERS)
    before = (rpc_abi.map_abi_data, contracts.map_abi_data)
    memoize_map_abi_data()()

    assert (rpc_abi.map_abi_data, contracts.map_abi_data) == before
    assert formatters == method_formatters.ABI_REQUEST_FORMATTERS


def test_true_and_one_are_cached_apart(mapping: Callable[..., Any]) -> None:
    assert mapping(STANDARD, ["bool"], [True]) == [True]
    got = mapping(STANDARD, ["bool"], [1])

    assert got == [1] and type(got[0]) is int


def test_each_call_gets_its_own_result_list(mapping: Callable[..., Any]) -> None:
    first = mapping(BASE_RETURN_NORMALIZERS, ["address"], [ADDRESS])
    first.append("changed")

    assert mapping(BASE_RETURN_NORMALIZERS, ["address"], [ADDRESS]) == [
        web3_to_checksum_address(ADDRESS)
    ]


def test_web3s_error_is_raised_for_the_value_web3_checks_first(
    mapping: Callable[..., Any],
) -> None:
    types, values = ["uint256", "address"], ["not an int", "0x1234"]
    with pytest.raises(Exception) as expected:
        web3_map_abi_data(STANDARD, types, values)
    with pytest.raises(type(expected.value)) as got:
        mapping(STANDARD, types, values)

    assert str(got.value) == str(expected.value)


def test_an_ens_name_goes_to_web3_every_time(mapping: Callable[..., Any]) -> None:
    normalizers = [*ENCODE, abi_ens_resolver(None)]
    expected = _outcome(lambda: web3_map_abi_data(normalizers, ["address"], ["alice.eth"]))

    for _ in range(2):
        assert _outcome(lambda: mapping(normalizers, ["address"], ["alice.eth"])) == expected


def test_a_hex_address_passes_any_w3s_ens_resolver_as_web3_passes_it(
    mapping: Callable[..., Any],
) -> None:
    expected = web3_map_abi_data([*ENCODE, abi_ens_resolver(None)], ["address"], [CHECKSUMMED])

    for w3 in (None, web3.Web3()):
        assert mapping([*ENCODE, abi_ens_resolver(w3)], ["address"], [CHECKSUMMED]) == expected


def test_arrays_map_as_web3_maps_them(mapping: Callable[..., Any]) -> None:
    types, values = ["address[]", "(uint256,string)[]"], [[CHECKSUMMED], [(1, "a")]]

    assert mapping(ENCODE, types, values) == web3_map_abi_data(ENCODE, types, values)


def test_a_tuple_of_values_maps_as_web3_maps_it(mapping: Callable[..., Any]) -> None:
    types, values = ["(address,string,uint256,(bool,bytes32))"], [(ADDRESS, "a", 1, (True, b""))]
    expected = web3_map_abi_data(BASE_RETURN_NORMALIZERS, types, values)

    assert mapping(BASE_RETURN_NORMALIZERS, types, values) == expected
    assert mapping(BASE_RETURN_NORMALIZERS, types, values) == expected
    assert expected == [(CHECKSUMMED, "a", 1, (True, b""))]


def test_a_partial_application_is_web3s_curry(mapping: Callable[..., Any]) -> None:
    partial = mapping(STANDARD, ["uint256"])

    assert partial([7]) == web3_map_abi_data(STANDARD, ["uint256"], [7]) == ["0x7"]


BASIC = ["address", "uint256", "uint", "int8", "bool", "bytes32", "bytes", "string", None, "nope"]
TYPES = st.sampled_from([*BASIC, "(address,uint)", "(string,(bool,bytes))", "()", "uint[2]"])
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**260), max_value=2**260),
    st.text(max_size=8),
    st.binary(max_size=40),
    st.sampled_from([ADDRESS, CHECKSUMMED, ADDRESS.upper(), "0x" + "ab" * 32, "0x", "alice.eth"]),
    st.lists(st.integers(), max_size=2),
)
VALUES = st.one_of(
    SCALARS,
    st.tuples(SCALARS, SCALARS),
    st.tuples(SCALARS, st.tuples(SCALARS, SCALARS)),
    st.tuples(),
    st.sampled_from([(CHECKSUMMED, 5), ("x", (True, b"ab")), (ADDRESS, 2**256), ("", (0, ""))]),
)
CHAINS = st.sampled_from(
    [STANDARD, ENCODE, [*ENCODE, abi_ens_resolver(None)], BASE_RETURN_NORMALIZERS]
)


_OBJECT_ADDRESS = re.compile(r" at 0x[0-9a-f]+>")


def _without_object_addresses(values: Any) -> Any:
    """web3 maps a tuple type given a string to the ``str`` of a generator: drop its address."""
    if isinstance(values, list):
        return [_OBJECT_ADDRESS.sub(" at ...>", v) if isinstance(v, str) else v for v in values]
    return values


def _outcome(call: Callable[[], Any]) -> tuple[str, Any]:
    try:
        return "ok", _without_object_addresses(call())
    except Exception as exc:  # the error itself is the outcome compared
        return type(exc).__name__, str(exc)


@settings(deadline=None)  # a timed assert in effect: the machine may be loaded
@given(chain=CHAINS, pairs=st.lists(st.tuples(TYPES, VALUES), max_size=4))
@example(chain=[abi_address_to_hex], pairs=[("(address,uint)", ADDRESS)])
def test_any_input_maps_as_web3_maps_it(chain: list[Any], pairs: list[Any]) -> None:
    types, values = [t for t, _ in pairs], [v for _, v in pairs]
    expected = _outcome(lambda: web3_map_abi_data(chain, types, values))
    undo = memoize_map_abi_data()
    try:
        for _ in range(2):  # the second call answers from the cache
            got = _outcome(lambda: rpc_abi.map_abi_data(chain, types, values))
            assert got == expected
            if got[0] == "ok":
                assert [type(v) for v in got[1]] == [type(v) for v in expected[1]]
    finally:
        undo()


def test_a_running_simulator_has_both_caches_installed() -> None:
    # the autouse ``isolated`` fixture runs the session simulator, which acquires the caches
    assert inspect.unwrap(rpc_abi.map_abi_data) is web3_map_abi_data.func
    assert rpc_abi.map_abi_data is not web3_map_abi_data
    assert eth_utils.address.to_checksum_address is not web3_to_checksum_address
    assert inspect.unwrap(eth_utils.address.to_checksum_address) is web3_to_checksum_address


@settings(max_examples=300, deadline=None)
@given(raw=st.binary(min_size=20, max_size=20), case=st.lists(st.booleans(), min_size=40))
def test_a_hex_address_in_any_case_is_checksummed_as_eth_utils_does(
    raw: bytes, case: list[bool]
) -> None:
    from eth_hash.auto import keccak

    from ogpu_sim.sdk.caches import checksum_of_hex

    mixed = "0x" + "".join(c.upper() if up else c for c, up in zip(raw.hex(), case, strict=False))

    assert checksum_of_hex(mixed, keccak) == web3_to_checksum_address(mixed.lower())
    assert checksum_of_hex(mixed, keccak) == web3_to_checksum_address(raw)
