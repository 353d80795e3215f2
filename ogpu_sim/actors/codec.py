"""The encoding and decoding the harness does per transaction and per log, done directly.

The general libraries do more per call than these few shapes need: ``rlp.encode`` infers a
serializer for every item, ``eth_abi.decode`` builds and validates a decoder stream and
normalizes every address, ``to_checksum_address`` hashes the same few addresses again and
again. Here: RLP of transaction fields, static ABI words (``address``, ``bool``, ``uintN``) as
``eth_abi`` decodes them (anything else, or a word ``eth_abi`` would refuse, goes to
``eth_abi`` itself, so its answers and errors are unchanged), and a cached checksum. Tests
compare each with the library it stands in for.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any

from eth_abi import decode as abi_decode
from eth_utils import to_checksum_address

checksum = functools.lru_cache(maxsize=65_536)(to_checksum_address)
"""``to_checksum_address``, remembered: the same contracts and accounts come up in every log."""

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
    if isinstance(item, int):
        item = item.to_bytes((item.bit_length() + 7) // 8, "big")
    if isinstance(item, bytes):
        if len(item) == 1 and item[0] < 0x80:
            return item
        return _rlp_length(len(item), 0x80) + item
    payload = b"".join([rlp_encode(i) for i in item])
    return _rlp_length(len(payload), 0xC0) + payload


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


__all__ = ["checksum", "decode_words", "rlp_encode"]
