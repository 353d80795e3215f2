"""The encoding and decoding the harness does per transaction and per log, done directly.

The general libraries do more per call than these few shapes need: ``rlp.encode`` infers a
serializer for every item, ``eth_abi.decode`` builds and validates a decoder stream and
normalizes every address, ``to_checksum_address`` hashes the same few addresses again and
again. Here: RLP of transaction fields, static ABI words (``address``, ``bool``, ``uintN``)
encoded and decoded as ``eth_abi`` does (anything else, or a value or word ``eth_abi`` would
refuse, goes to ``eth_abi`` itself, so its answers and errors are unchanged), and a cached
checksum. Tests
compare each with the library it stands in for.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode

from ogpu_sim.chain.jsonrpc import checksum

_UINT = re.compile(r"uint(\d+)")
_PADDING = bytes(12)


def _rlp_length(length: int, offset: int) -> bytes:
    if length < 56:
        return bytes((offset + length,))
    size = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes((offset + 55 + len(size),)) + size


def rlp_encode(item: int | bytes | list[Any]) -> bytes:
    """RLP of a transaction's fields (non-negative ints, bytes, lists of them): what
    ``rlp.encode`` gives."""
    if isinstance(item, list):
        payload = b"".join([rlp_encode(i) for i in item])
        return _rlp_length(len(payload), 0xC0) + payload
    if isinstance(item, int):
        if item < 0x80:  # one byte is its own encoding; zero is the empty string
            return bytes((item,)) if item else b"\x80"
        item = item.to_bytes((item.bit_length() + 7) // 8, "big")
    if len(item) == 1 and item[0] < 0x80:
        return item
    return _rlp_length(len(item), 0x80) + item


@functools.cache
def _static_bits(types: tuple[str, ...]) -> tuple[int, ...] | None:
    """Per type: 160 for an address, 1 for a bool, N for uintN; ``None`` if any is another."""
    bits = []
    for kind in types:
        match = _UINT.fullmatch(kind)
        if kind == "address":
            bits.append(160)
        elif kind == "bool":
            bits.append(1)
        elif match is not None:
            bits.append(int(match[1]))
        else:
            return None
    return tuple(bits)


def decode_words(types: Sequence[str], data: bytes) -> tuple[Any, ...]:
    """``eth_abi.decode(types, data)``: addresses lower-case hex, bools, ints."""
    bits = _static_bits(tuple(types))
    if bits is None or len(data) < 32 * len(bits):
        return tuple(abi_decode(list(types), data))
    values: list[Any] = []
    for index, size in enumerate(bits):
        word = data[32 * index : 32 * index + 32]
        value = int.from_bytes(word, "big")
        if value >> size:  # non-zero padding: eth_abi's own error
            return tuple(abi_decode(list(types), data))
        if size == 160:
            values.append("0x" + word[12:].hex())
        elif size == 1:
            values.append(bool(value))
        else:
            values.append(value)
    return tuple(values)


def _word(size: int, value: Any) -> bytes | None:
    """The ABI word of one value eth_abi would accept unchanged, else ``None``."""
    if size == 160:
        if not isinstance(value, str) or len(value) != 42:
            return None
        try:
            valid = checksum(value) == value
        except ValueError:
            return None
        return bytes(12) + bytes.fromhex(value[2:]) if valid else None
    if size == 1:
        return (b"\x00" * 31 + (b"\x01" if value else b"\x00")) if isinstance(value, bool) else None
    if type(value) is int and value >= 0 and not value >> size:
        return value.to_bytes(32, "big")
    return None


def encode_words(types: Sequence[str], values: Sequence[Any]) -> bytes:
    """``eth_abi.encode(types, values)``; checksummed addresses, bools and in-range ints
    directly, anything else (and every error) through eth_abi."""
    bits = _static_bits(tuple(types))
    if bits is not None and len(values) == len(bits):
        words = [_word(size, value) for size, value in zip(bits, values, strict=True)]
        if all(word is not None for word in words):
            return b"".join(words)  # type: ignore[arg-type]
    return bytes(abi_encode(list(types), list(values)))


__all__ = ["checksum", "decode_words", "encode_words", "rlp_encode"]
