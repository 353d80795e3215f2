"""The harness's direct encoders and decoders give exactly what the libraries they replace give."""

from __future__ import annotations

import pytest
import rlp
from eth_abi import decode, encode
from eth_utils import to_checksum_address
from hypothesis import given, settings
from hypothesis import strategies as st

from ogpu_sim.actors.codec import checksum, decode_words, encode_words, rlp_encode

ADDRESS = "0x" + "ab" * 20


@pytest.mark.parametrize(
    "item",
    [
        0,
        1,
        127,
        128,
        2**64,
        b"",
        b"\x00",
        b"\x7f",
        b"\x80",
        b"a" * 55,
        b"a" * 56,
        b"a" * 300,
        [],
        [0, b"", []],
        [b"a" * 60, [1, 2, [b"b" * 56]], 2**256 - 1],
    ],
)
def test_rlp_encoding_gives_the_bytes_the_rlp_library_gives(item):
    assert rlp_encode(item) == rlp.encode(item)


@pytest.mark.parametrize(
    ("types", "values"),
    [
        (("address", "address", "uint256"), (ADDRESS, "0x" + "00" * 19 + "01", 2**256 - 1)),
        (("address", "uint8"), (ADDRESS, 5)),
        (("bool", "bool"), (True, False)),
        (("address", "string"), (ADDRESS, "dynamic types go to eth_abi")),
    ],
)
def test_static_words_decode_as_eth_abi_decodes_them(types, values):
    data = encode(list(types), list(values)) + b"\x00" * 7  # trailing bytes are ignored

    assert decode_words(types, data) == tuple(decode(list(types), data))


@pytest.mark.parametrize(
    ("types", "data"),
    [
        (("uint8",), (256).to_bytes(32, "big")),
        (("address",), b"\x01" * 32),
        (("bool",), (2).to_bytes(32, "big")),
        (("uint256", "uint256"), b"\x00" * 40),
    ],
    ids=["uint8-overflow", "address-padding", "bool-2", "short"],
)
def test_words_eth_abi_refuses_raise_eth_abis_error(types, data):
    with pytest.raises(Exception) as expected:
        decode(list(types), data)

    with pytest.raises(type(expected.value)) as raised:
        decode_words(types, data)

    assert str(raised.value) == str(expected.value)


def test_the_cached_checksum_is_eth_utils_checksum():
    assert checksum(ADDRESS) == to_checksum_address(ADDRESS)


@pytest.mark.parametrize(
    ("types", "values"),
    [
        (("address", "address", "uint256"), (to_checksum_address(ADDRESS), ADDRESS, 7)),
        (("address", "uint8", "bool"), (to_checksum_address(ADDRESS), 255, True)),
        (("uint256",), (2**256 - 1,)),
        (("address", "string"), (to_checksum_address(ADDRESS), "dynamic")),
        (("address",), ("0x" + "aB" * 20,)),  # not a checksum, which eth_abi does not ask
    ],
)
def test_static_words_encode_as_eth_abi_encodes_them(types, values):
    assert encode_words(types, values) == encode(list(types), list(values))


@pytest.mark.parametrize(
    ("types", "values"),
    [
        (("uint8",), (256,)),
        (("uint256",), (-1,)),
        (("uint256",), (True,)),
        (("address",), ("0x" + "zz" * 20,)),
        (("address",), ("0x1234",)),
        (("bool",), (1,)),
    ],
    ids=["uint8-overflow", "negative", "bool-as-uint", "not-hex", "short-address", "int-bool"],
)
def test_values_eth_abi_refuses_raise_eth_abis_error(types, values):
    with pytest.raises(Exception) as expected:
        encode(list(types), list(values))

    with pytest.raises(type(expected.value)) as raised:
        encode_words(types, values)

    assert str(raised.value) == str(expected.value)


_ADDRESSES = st.binary(min_size=20, max_size=20).map(lambda b: to_checksum_address(b))
_VALUES = {
    "address": _ADDRESSES,
    "bool": st.booleans(),
    "uint8": st.integers(0, 2**8 - 1),
    "uint256": st.integers(0, 2**256 - 1),
    "bytes": st.binary(max_size=80),
    "string": st.text(max_size=40),
}
_SHAPES = [
    ("address", "string", "uint256", "uint256"),
    ("bool", "bytes", "bytes"),
    ("(address,address,string,uint256)",),
    ("uint8", "(address,uint256)", "string"),
    ("(bytes,bool)", "(uint8,string)"),
]


def _values_of(type_str):
    if type_str.startswith("("):
        return st.tuples(*(_values_of(t) for t in type_str[1:-1].split(",")))
    return _VALUES[type_str]


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_dynamic_values_encode_and_decode_as_eth_abi_does(data):
    types = data.draw(st.sampled_from(_SHAPES))
    values = data.draw(st.tuples(*(_values_of(t) for t in types)))

    encoded = encode_words(types, values)

    assert encoded == encode(list(types), list(values))
    assert decode_words(types, encoded + b"\x00" * 5) == tuple(decode(list(types), encoded))


@pytest.mark.parametrize(
    ("types", "data"),
    [
        (("bytes",), (32).to_bytes(32, "big") + (1).to_bytes(32, "big") + b"\x01" * 32),
        (("string",), (32).to_bytes(32, "big") + (2).to_bytes(32, "big") + b"\xff\xfe" + bytes(30)),
        (("bytes",), (32).to_bytes(32, "big") + (40).to_bytes(32, "big") + b"\x01" * 32),
        (("bytes",), (64).to_bytes(32, "big")),
    ],
    ids=["non-zero padding", "not utf-8", "short tail", "offset past the end"],
)
def test_dynamic_data_eth_abi_refuses_raises_eth_abis_error(types, data):
    with pytest.raises(Exception) as expected:
        decode(list(types), data)

    with pytest.raises(type(expected.value)) as raised:
        decode_words(types, data)

    assert str(raised.value) == str(expected.value)


def test_a_non_canonical_layout_decodes_as_eth_abi_decodes_it():
    """Tails in another order than an encoder writes them are eth_abi's to read."""
    first, second = b"a" * 3, b"b" * 5
    tail = lambda raw: len(raw).to_bytes(32, "big") + raw + bytes(32 - len(raw))  # noqa: E731
    data = (128).to_bytes(32, "big") + (64).to_bytes(32, "big") + tail(second) + tail(first)

    assert decode_words(("bytes", "bytes"), data) == tuple(decode(["bytes", "bytes"], data))
    assert decode_words(("bytes", "bytes"), data) == (first, second)
