"""The encoding and decoding the harness does per transaction and per log, done directly.

The general libraries do more per call than these few shapes need: ``rlp.encode`` infers a
serializer for every item, ``eth_abi`` builds and validates an encoder or decoder stream per
call and normalizes every address, ``to_checksum_address`` hashes the same few addresses again
and again. Here: RLP of transaction fields; ABI values of the types the protocol's calls,
reads and events use (``address``, ``bool``, ``uintN``, ``bytes``, ``string`` and one-level
tuples of them) encoded and decoded as ``eth_abi`` does, in the canonical layout (each tail
right after the one before, as every encoder writes them); anything else, or a value or data
``eth_abi`` would refuse or read differently, goes to ``eth_abi`` itself, so its answers and
errors are unchanged; and the chain's remembered checksum. Tests compare each with the library
it stands in for.
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


def _rlp_length(length: int, offset: int) -> bytes:
    if length < 56:
        return bytes((offset + length,))
    size = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes((offset + 55 + len(size),)) + size


def rlp_scalar(item: int | bytes) -> bytes:
    """RLP of one non-negative int or byte string: what ``rlp.encode`` gives."""
    if isinstance(item, int):
        if item < 0x80:  # one byte is its own encoding; zero is the empty string
            return bytes((item,)) if item else b"\x80"
        item = item.to_bytes((item.bit_length() + 7) // 8, "big")
    if len(item) == 1 and item[0] < 0x80:
        return item
    return _rlp_length(len(item), 0x80) + item


def rlp_list(payload: bytes) -> bytes:
    """RLP of a list whose items, encoded, are ``payload``."""
    return _rlp_length(len(payload), 0xC0) + payload


def rlp_encode(item: int | bytes | list[Any]) -> bytes:
    """RLP of a transaction's fields (non-negative ints, bytes, lists of them): what
    ``rlp.encode`` gives."""
    if isinstance(item, list):
        return rlp_list(
            b"".join([rlp_encode(i) if isinstance(i, list) else rlp_scalar(i) for i in item])
        )
    return rlp_scalar(item)


_Kind = tuple[Any, ...]
"""A parsed ABI type: ``("word", bits)`` (160 address, 1 bool, N uintN), ``("bytes",)``,
``("string",)`` or ``("tuple", members)`` of those (one level)."""


def _kind(type_str: str, nested: bool = False) -> _Kind | None:
    if type_str.startswith("(") and type_str.endswith(")") and not nested:
        inner = type_str[1:-1]
        members = [_kind(t, True) for t in inner.split(",")] if inner else [None]
        return None if None in members else ("tuple", tuple(members))
    if type_str in ("bytes", "string"):
        return (type_str,)
    match = _UINT.fullmatch(type_str)
    if type_str == "address":
        return ("word", 160)
    if type_str == "bool":
        return ("word", 1)
    if match is not None and 8 <= int(match[1]) <= 256 and int(match[1]) % 8 == 0:
        return ("word", int(match[1]))
    return None


def _dynamic(kind: _Kind) -> bool:
    return kind[0] in ("bytes", "string") or (kind[0] == "tuple" and any(map(_dynamic, kind[1])))


def _head_size(kind: _Kind) -> int:
    if kind[0] == "tuple" and not _dynamic(kind):
        return sum(map(_head_size, kind[1]))
    return 32


@functools.cache
def _kinds(types: tuple[str, ...]) -> tuple[_Kind, ...] | None:
    """The parsed types, or ``None`` when any is one these codecs leave to eth_abi."""
    kinds = tuple(_kind(t) for t in types)
    return None if None in kinds else kinds  # type: ignore[return-value]


def _ceil32(n: int) -> int:
    return (n + 31) // 32 * 32


# -- decoding: canonical layouts only (each tail right after the previous), else eth_abi -----
def _decode_sequence(kinds: Sequence[_Kind], data: bytes, start: int) -> tuple[list[Any], int]:
    """The values at ``start`` and where the last of their tails ends; ValueError when the
    layout is not the canonical one (eth_abi then decodes it, or words the error)."""
    values: list[Any] = []
    head = start
    tail = start + sum(map(_head_size, kinds))
    for kind in kinds:
        if _dynamic(kind):
            offset = _uint(data, head)
            if start + offset != tail:
                raise ValueError("not a canonical layout")
            value, tail = _decode_dynamic(kind, data, tail)
            head += 32
        elif kind[0] == "tuple":
            members, head = _decode_sequence(kind[1], data, head)
            value = tuple(members)
        else:
            value = _decode_word(kind[1], data, head)
            head += 32
        values.append(value)
    return values, tail


def _uint(data: bytes, at: int) -> int:
    word = data[at : at + 32]
    if len(word) != 32:
        raise ValueError("short data")
    return int.from_bytes(word, "big")


def _decode_word(bits: int, data: bytes, at: int) -> Any:
    value = _uint(data, at)
    if value >> bits:  # non-zero padding
        raise ValueError("padding")
    if bits == 160:
        return "0x" + data[at + 12 : at + 32].hex()
    return bool(value) if bits == 1 else value


def _decode_dynamic(kind: _Kind, data: bytes, at: int) -> tuple[Any, int]:
    if kind[0] == "tuple":
        members, end = _decode_sequence(kind[1], data, at)
        return tuple(members), end
    length = _uint(data, at)
    end = at + 32 + _ceil32(length)
    if end > len(data) or any(data[at + 32 + length : end]):
        raise ValueError("short data or padding")
    raw = data[at + 32 : at + 32 + length]
    return (raw.decode("utf-8") if kind[0] == "string" else raw), end


def decode_words(types: Sequence[str], data: bytes) -> tuple[Any, ...]:
    """``eth_abi.decode(types, data)`` for addresses (lower-case hex), bools, uintN, ``bytes``,
    ``string`` and one-level tuples of them laid out canonically; anything else, and every
    error, through eth_abi."""
    kinds = _kinds(tuple(types))
    if kinds is not None:
        try:
            return tuple(_decode_sequence(kinds, data, 0)[0])
        except ValueError:  # UnicodeDecodeError too: eth_abi words it
            pass
    return tuple(abi_decode(list(types), data))


# -- encoding ----------------------------------------------------------------------------------
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


def _encode_sequence(kinds: Sequence[_Kind], values: Any) -> bytes | None:
    if not isinstance(values, (list, tuple)) or len(values) != len(kinds):
        return None
    heads: list[bytes] = []
    tails: list[bytes] = []
    tail = sum(map(_head_size, kinds))
    for kind, value in zip(kinds, values, strict=True):
        encoded = _encode_one(kind, value)
        if encoded is None:
            return None
        if _dynamic(kind):
            heads.append(tail.to_bytes(32, "big"))
            tails.append(encoded)
            tail += len(encoded)
        else:
            heads.append(encoded)
    return b"".join(heads + tails)


def _encode_one(kind: _Kind, value: Any) -> bytes | None:
    if kind[0] == "word":
        return _word(kind[1], value)
    if kind[0] == "tuple":
        return _encode_sequence(kind[1], value)
    if kind[0] == "string":
        if type(value) is not str:
            return None
        try:
            raw = value.encode("utf-8")
        except UnicodeEncodeError:
            return None
    elif type(value) is bytes:
        raw = value
    else:
        return None
    padding = bytes(_ceil32(len(raw)) - len(raw))
    return len(raw).to_bytes(32, "big") + raw + padding


def encode_words(types: Sequence[str], values: Sequence[Any]) -> bytes:
    """``eth_abi.encode(types, values)``: checksummed addresses, bools, in-range ints, ``bytes``
    and ``str`` values, and one-level tuples of them, directly; anything else (and every error)
    through eth_abi."""
    kinds = _kinds(tuple(types))
    if kinds is not None:
        encoded = _encode_sequence(kinds, values)
        if encoded is not None:
            return encoded
    return bytes(abi_encode(list(types), list(values)))


__all__ = ["checksum", "decode_words", "encode_words", "rlp_encode", "rlp_list", "rlp_scalar"]
