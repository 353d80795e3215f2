"""Decode a signed transaction for the revm node without py-evm's transaction classes.

py-evm's ``CancunTransactionBuilder.decode`` and its sender recovery validate every field
through RLP sedes classes and re-encode the transaction to hash it: about a third of a send on
revm. The two kinds wallets and the simulated providers send, legacy (EIP-155 or not) and
EIP-1559 without an access list, are decoded here with ``rlp`` and ``eth_keys`` directly into
an object with the attributes the node reads. Anything else, or anything unusual (a
non-canonical integer, a high ``s``, a malformed field), returns ``None``, and the node decodes
it with py-evm, whose errors it words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import rlp
from eth_keys.datatypes import Signature
from eth_utils import keccak

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
TX_GAS, CREATE_GAS = 21_000, 32_000
ZERO_BYTE_GAS, NONZERO_BYTE_GAS = 4, 16


@dataclass
class FastTx:
    """The fields of a decoded transaction, named as py-evm's transaction objects name them."""

    type_id: int | None
    chain_id: int | None
    nonce: int
    gas: int
    to: bytes
    value: int
    data: bytes
    v: int
    r: int
    s: int
    sender: bytes
    gas_price: int = 0
    max_fee_per_gas: int = 0
    max_priority_fee_per_gas: int = 0
    access_list: list[Any] = field(default_factory=list)

    @property
    def y_parity(self) -> int:
        """The signature's parity bit (0 or 1)."""
        return (
            self.v
            if self.type_id is not None
            else (self.v - 35) % 2
            if self.v > 28
            else self.v - 27
        )

    @property
    def intrinsic_gas(self) -> int:
        """py-evm's Cancun intrinsic gas: base, creation and calldata (the initcode words are
        charged when the creation starts executing)."""
        zeros = self.data.count(0)
        gas = TX_GAS + ZERO_BYTE_GAS * zeros + NONZERO_BYTE_GAS * (len(self.data) - zeros)
        return gas + (0 if self.to else CREATE_GAS)


def _int(item: Any) -> int:
    if not isinstance(item, bytes) or item[:1] == b"\x00":
        raise ValueError("not a canonical integer")
    return int.from_bytes(item, "big")


def _recover(message: bytes, parity: int, r: int, s: int) -> bytes:
    if parity not in (0, 1) or not (0 < r < SECP256K1_N and 0 < s <= SECP256K1_N // 2):
        raise ValueError("invalid signature values")
    public = Signature(vrs=(parity, r, s)).recover_public_key_from_msg_hash(keccak(message))
    return public.to_canonical_address()


def decode(raw: bytes) -> FastTx | None:
    """A legacy or an EIP-1559 transaction without access list, else ``None``."""
    try:
        if raw[:1] == b"\x02":
            return _eip1559(raw)
        if raw[:1] >= b"\xc0":
            return _legacy(raw)
    except Exception:  # undecodable or unusual: py-evm decides and words the error
        return None
    return None


def _legacy(raw: bytes) -> FastTx | None:
    items = rlp.decode(raw)
    if not isinstance(items, list) or len(items) != 9:
        return None
    nonce, price, gas, to, value, data, v, r, s = items
    if not isinstance(to, bytes) or len(to) not in (0, 20) or not isinstance(data, bytes):
        return None
    fields = [nonce, price, gas, to, value, data]
    v_int, r_int, s_int = _int(v), _int(r), _int(s)
    if v_int in (27, 28):
        chain_id, parity, message = None, v_int - 27, rlp.encode(fields)
    elif v_int >= 35:
        chain_id, parity = (v_int - 35) // 2, (v_int - 35) % 2
        message = rlp.encode([*fields, chain_id, 0, 0])
    else:
        return None
    sender = _recover(message, parity, r_int, s_int)
    return FastTx(
        None, chain_id, _int(nonce), _int(gas), to, _int(value), data, v_int, r_int, s_int,
        sender, gas_price=_int(price),
    )  # fmt: skip


def _eip1559(raw: bytes) -> FastTx | None:
    items = rlp.decode(raw[1:])
    if not isinstance(items, list) or len(items) != 12 or items[8] != []:
        return None
    chain_id, nonce, tip, max_fee, gas, to, value, data, _access, parity, r, s = items
    if not isinstance(to, bytes) or len(to) not in (0, 20) or not isinstance(data, bytes):
        return None
    parity_int, r_int, s_int = _int(parity), _int(r), _int(s)
    sender = _recover(b"\x02" + rlp.encode(items[:9]), parity_int, r_int, s_int)
    return FastTx(
        2, _int(chain_id), _int(nonce), _int(gas), to, _int(value), data, parity_int, r_int,
        s_int, sender, max_fee_per_gas=_int(max_fee), max_priority_fee_per_gas=_int(tip),
    )  # fmt: skip


__all__ = ["FastTx", "decode"]
