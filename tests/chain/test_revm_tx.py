"""The revm node's own transaction decoder agrees with py-evm's on what it decodes."""

from __future__ import annotations

from typing import Any

import pytest
from eth.vm.forks.cancun.transactions import CancunTransactionBuilder
from eth_account import Account

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
    import rlp

    raw = _signed(KINDS["eip-1559 call"])
    items = rlp.decode(raw[1:])
    s = int.from_bytes(items[11], "big")
    items[11] = (SECP256K1_N - s).to_bytes(32, "big")
    items[9] = b"" if items[9] == b"\x01" else b"\x01"

    assert decode(b"\x02" + rlp.encode(items)) is None


@pytest.mark.parametrize("raw", [b"", b"\xde\xad\xbe\xef", b"\x02\xc0", b"\xc3\x01\x02\x03"])
def test_undecodable_bytes_are_left_to_py_evm(raw: bytes) -> None:
    assert decode(raw) is None
