"""Decode a signed transaction for the revm node without py-evm's transaction classes.

py-evm's ``CancunTransactionBuilder.decode`` and its sender recovery validate every field
through RLP sedes classes and re-encode the transaction to hash it: about a third of a send on
revm. The two kinds wallets and the simulated providers send, legacy (EIP-155 or not) and
EIP-1559 without an access list, are decoded here directly into an object with the attributes
the node reads: the RLP is walked in place (canonical encodings only, as ``rlp.decode`` accepts
them), the signed message is cut from the raw bytes instead of re-encoded, and the sender is
recovered with ``coincurve`` (what ``eth_keys`` calls underneath). Anything else, or anything
unusual (a non-canonical encoding or integer, a high ``s``, a malformed field), returns
``None``, and the node decodes it with py-evm, whose errors it words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import coincurve
from eth_hash.auto import keccak

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


_Item = tuple[bool, int, int]
"""One RLP item found in a buffer: (is a list, payload start, payload end)."""


def _item(buf: bytes, pos: int, end: int) -> _Item | None:
    """The RLP item at ``pos`` (ending by ``end``); ``None`` unless canonically encoded."""
    if pos >= end:
        return None
    head = buf[pos]
    if head < 0x80:  # a single byte is its own encoding
        return False, pos, pos + 1
    is_list = head >= 0xC0
    short = head - (0xC0 if is_list else 0x80)
    if short < 56:
        start, length = pos + 1, short
        if not is_list and length == 1 and start < end and buf[start] < 0x80:
            return None  # a byte below 0x80 must be encoded as itself
    else:
        start = pos + 1 + short - 55
        if start > end or buf[pos + 1] == 0:
            return None
        length = int.from_bytes(buf[pos + 1 : start], "big")
        if length < 56:
            return None  # a short length in the long form
    if start + length > end:
        return None
    return is_list, start, start + length


def _list(buf: bytes, pos: int) -> tuple[_Item, list[_Item]] | None:
    """The RLP list filling ``buf`` from ``pos`` to its end, and its items."""
    top = _item(buf, pos, len(buf))
    if top is None or not top[0] or top[2] != len(buf):
        return None
    items, at = [], top[1]
    while at < top[2]:
        item = _item(buf, at, top[2])
        if item is None:
            return None
        items.append(item)
        at = item[2]
    return top, items


def _header(length: int, offset: int) -> bytes:
    if length < 56:
        return bytes((offset + length,))
    size = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes((offset + 55 + len(size),)) + size


def _encoded_int(value: int) -> bytes:
    """RLP of a non-negative integer."""
    if value < 0x80:
        return bytes((value,)) if value else b"\x80"
    data = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return _header(len(data), 0x80) + data


def _int(data: bytes) -> int:
    if data[:1] == b"\x00":
        raise ValueError("not a canonical integer")
    return int.from_bytes(data, "big")


def _recover(message: bytes, parity: int, r: int, s: int) -> bytes:
    if parity not in (0, 1) or not (0 < r < SECP256K1_N and 0 < s <= SECP256K1_N // 2):
        raise ValueError("invalid signature values")
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes((parity,))
    public = coincurve.PublicKey.from_signature_and_message(signature, keccak(message), hasher=None)
    return keccak(public.format(compressed=False)[1:])[12:]


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
    found = _list(raw, 0)
    if found is None or len(found[1]) != 9 or any(item[0] for item in found[1]):
        return None
    top, items = found
    nonce, price, gas, to, value, data, v, r, s = (raw[a:b] for _, a, b in items)
    if len(to) not in (0, 20):
        return None
    signed = raw[top[1] : items[5][2]]  # the six fields as encoded
    v_int, r_int, s_int = _int(v), _int(r), _int(s)
    if v_int in (27, 28):
        chain_id, parity = None, v_int - 27
    elif v_int >= 37:  # EIP-155; chain id 0 (v 35, 36) py-evm signs over a 0x00 byte
        chain_id, parity = (v_int - 35) // 2, (v_int - 35) % 2
        signed += _encoded_int(chain_id) + b"\x80\x80"
    else:
        return None
    sender = _recover(_header(len(signed), 0xC0) + signed, parity, r_int, s_int)
    return FastTx(
        None, chain_id, _int(nonce), _int(gas), to, _int(value), data, v_int, r_int, s_int,
        sender, gas_price=_int(price),
    )  # fmt: skip


def _eip1559(raw: bytes) -> FastTx | None:
    found = _list(raw, 1)
    if found is None or len(found[1]) != 12:
        return None
    top, items = found
    access = items[8]
    if not access[0] or access[1] != access[2]:  # an access list, or not a list
        return None
    if any(item[0] for i, item in enumerate(items) if i != 8):
        return None
    chain_id, nonce, tip, max_fee, gas, to, value, data, _, parity, r, s = (
        raw[a:b] for _, a, b in items
    )
    if len(to) not in (0, 20):
        return None
    parity_int, r_int, s_int = _int(parity), _int(r), _int(s)
    signed = raw[top[1] : access[2]]  # the nine fields as encoded
    sender = _recover(b"\x02" + _header(len(signed), 0xC0) + signed, parity_int, r_int, s_int)
    return FastTx(
        2, _int(chain_id), _int(nonce), _int(gas), to, _int(value), data, parity_int, r_int,
        s_int, sender, max_fee_per_gas=_int(max_fee), max_priority_fee_per_gas=_int(tip),
    )  # fmt: skip


__all__ = ["FastTx", "decode"]
