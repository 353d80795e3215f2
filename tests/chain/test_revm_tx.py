"""The revm node's own transaction decoder agrees with py-evm's on what it decodes."""

from __future__ import annotations

from typing import Any

import pytest
import rlp
from eth.vm.forks.cancun.transactions import CancunTransactionBuilder
from eth_account import Account
from hypothesis import given, settings
from hypothesis import strategies as st

from ogpu_sim.chain.revm_tx import SECP256K1_N, decode

KEY = Account.from_key("0x" + "11" * 32)
TO = "0x" + "22" * 20
CALLDATA = bytes.fromhex("00" * 5 + "ff" * 40)
FEES = {"maxFeePerGas": 3 * 10**9, "maxPriorityFeePerGas": 10**9}

KINDS: dict[str, dict[str, Any]] = {
    "eip-1559 call": {"to": TO, "data": CALLDATA, "value": 5, "chainId": 7, **FEES},
    "eip-1559 creation": {"data": CALLDATA * 3, "chainId": 7, **FEES},
    "eip-155 legacy call": {"to": TO, "data": CALLDATA, "gasPrice": 10**9, "chainId": 7},
    "legacy creation": {"data": CALLDATA, "gasPrice": 10**9, "chainId": 7},
    "legacy without chain id": {"to": TO, "data": b"", "gasPrice": 10**9},
}
FIELDS = (
    "type_id", "chain_id", "nonce", "gas", "to", "value", "data", "y_parity", "r", "s", "sender",
    "intrinsic_gas",
)  # fmt: skip


def _signed(fields: dict[str, Any]) -> bytes:
    tx = {"nonce": 3, "gas": 500_000, "value": 0, **fields}
    return bytes(KEY.sign_transaction(tx).raw_transaction)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_common_transaction_decodes_as_py_evm_decodes_it(kind: str) -> None:
    raw = _signed(KINDS[kind])

    ours, theirs = decode(raw), CancunTransactionBuilder.decode(raw)

    assert ours is not None
    assert {f: getattr(ours, f) for f in FIELDS} == {f: getattr(theirs, f) for f in FIELDS}
    if ours.type_id == 2:
        assert (ours.max_fee_per_gas, ours.max_priority_fee_per_gas) == (
            theirs.max_fee_per_gas,
            theirs.max_priority_fee_per_gas,
        )
    else:
        assert (ours.gas_price, ours.v) == (theirs.gas_price, theirs.v)


def test_an_access_list_transaction_is_left_to_py_evm() -> None:
    raw = _signed({"to": TO, "gasPrice": 10**9, "chainId": 7, "accessList": []})

    assert raw[0] == 1
    assert decode(raw) is None


def test_a_high_s_signature_is_left_to_py_evm() -> None:
    raw = _signed(KINDS["eip-1559 call"])
    items = rlp.decode(raw[1:])
    s = int.from_bytes(items[11], "big")
    items[11] = (SECP256K1_N - s).to_bytes(32, "big")
    items[9] = b"" if items[9] == b"\x01" else b"\x01"

    assert decode(b"\x02" + rlp.encode(items)) is None


@pytest.mark.parametrize("raw", [b"", b"\xde\xad\xbe\xef", b"\x02\xc0", b"\xc3\x01\x02\x03"])
def test_undecodable_bytes_are_left_to_py_evm(raw: bytes) -> None:
    assert decode(raw) is None


def _reencoded(raw: bytes, change: Any) -> bytes:
    """``raw`` with its RLP fields changed by ``change(items)`` and encoded again."""
    typed = raw[0] == 2
    items = rlp.decode(raw[1:] if typed else raw)
    change(items)
    return (b"\x02" if typed else b"") + rlp.encode(items)


def _with_field_encoded(raw: bytes, index: int, encoded: bytes) -> bytes:
    """``raw`` with field ``index`` spelled as ``encoded`` (the list header fitted to it)."""
    typed = raw[0] == 2
    items = rlp.decode(raw[1:] if typed else raw)
    fields = [rlp.encode(item) for item in items]
    fields[index] = encoded
    payload = b"".join(fields)
    header = (
        bytes((0xF8, len(payload)))
        if len(payload) < 256
        else b"\xf9" + len(payload).to_bytes(2, "big")
    )
    return (b"\x02" if typed else b"") + header + payload


def _rlp_first(raw: bytes) -> bytes:
    """The first field of a typed transaction as RLP-encoded."""
    return bytes(rlp.encode(rlp.decode(raw[1:])[0]))


@pytest.mark.parametrize(
    ("label", "index", "encoded"),
    [
        ("a byte below 0x80 as a one-byte string", 1, b"\x81\x03"),
        ("a short string in the long form", 5, b"\xb8\x14" + bytes.fromhex(TO[2:])),
        ("a long-form length with a leading zero", 5, b"\xb9\x00\x14" + bytes.fromhex(TO[2:])),
        ("a string longer than the list", 7, b"\xb9\xff\xff"),
    ],
)
def test_a_non_canonical_encoding_is_left_to_py_evm(label: str, index: int, encoded: bytes) -> None:
    raw = _signed(KINDS["eip-1559 call"])
    assert _with_field_encoded(raw, 0, _rlp_first(raw)) == raw  # the helper spells it as is

    assert decode(_with_field_encoded(raw, index, encoded)) is None, label


@pytest.mark.parametrize("tail", [b"\x00", b"\xc0"])
def test_bytes_after_the_transaction_are_left_to_py_evm(tail: bytes) -> None:
    assert decode(_signed(KINDS["eip-1559 call"]) + tail) is None


def test_a_truncated_transaction_is_left_to_py_evm() -> None:
    assert decode(_signed(KINDS["eip-1559 call"])[:-1]) is None


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_list_in_place_of_a_field_is_left_to_py_evm(kind: str) -> None:
    def nest(items: list[Any]) -> None:
        items[1] = [items[1]]

    assert decode(_reencoded(_signed(KINDS[kind]), nest)) is None


def test_a_leading_zero_in_an_integer_is_left_to_py_evm() -> None:
    def pad(items: list[Any]) -> None:
        items[1] = b"\x00" + items[1]

    assert decode(_reencoded(_signed(KINDS["eip-1559 call"]), pad)) is None


@pytest.mark.parametrize("v", [35, 36])
def test_a_legacy_transaction_for_chain_id_0_is_left_to_py_evm(v: int) -> None:
    def chain_id_0(items: list[Any]) -> None:
        items[6] = bytes((v,))

    assert decode(_reencoded(_signed(KINDS["legacy without chain id"]), chain_id_0)) is None


@settings(max_examples=150, deadline=None)
@given(kind=st.sampled_from(sorted(KINDS)), data=st.data())
def test_whatever_bytes_it_decodes_py_evm_decodes_alike(kind: str, data: st.DataObject) -> None:
    raw = bytearray(_signed(KINDS[kind]))
    for _ in range(data.draw(st.integers(1, 3))):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))

    ours = decode(bytes(raw))

    if ours is not None:
        theirs = CancunTransactionBuilder.decode(bytes(raw))
        assert {f: getattr(ours, f) for f in FIELDS} == {f: getattr(theirs, f) for f in FIELDS}
