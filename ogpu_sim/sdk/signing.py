"""eth_account's ``sign_transaction`` of the dicts web3 builds, the lean way, byte for byte.

Every SDK write signs the EIP-1559 dict ``build_transaction`` makes (``chainId``, ``nonce``,
``maxPriorityFeePerGas``, ``maxFeePerGas``, ``gas``, ``to``, ``value``, ``data``, ``from``).
eth_account validates it through a dozen formatter tables, builds rlp ``Serializable``
objects twice and derives the key's public key on every call: most of a revm transaction's
CPU. While a simulator runs, such a dict (plain ints, a checksummed ``to``, hex ``data``, a
``from`` that is the key's address; a 32-byte key, or the ``0x`` hex string the simulator's
accounts give as their ``key``) is RLP-encoded here and signed with the key's cached
``coincurve`` key, as eth_keys' coincurve backend signs (deterministic RFC 6979
signatures: the same ``raw_transaction``, ``hash``, ``r``, ``s``, ``v``). Every other input
(other fields or types, blobs, a mismatched ``from``, another eth_keys backend) goes to
eth_account's own method, so its results and errors are unchanged.
"""

from __future__ import annotations

import binascii
import functools
import types
from collections.abc import Callable
from typing import Any

_INTS = ("chainId", "nonce", "maxPriorityFeePerGas", "maxFeePerGas", "gas")
_KEYS = frozenset((*_INTS, "to", "value", "data"))
_WORD = 1 << 256


def _length(size: int, short: int) -> bytes:
    if size <= 55:
        return bytes((short + size,))
    size_bytes = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes((short + 55 + len(size_bytes),)) + size_bytes


def _rlp_bytes(value: bytes) -> bytes:
    if len(value) == 1 and value[0] < 0x80:
        return value
    return _length(len(value), 0x80) + value


def _rlp_int(value: int) -> bytes:
    return _rlp_bytes(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def _rlp_list(items: list[bytes]) -> bytes:
    payload = b"".join(items)
    return _length(len(payload), 0xC0) + payload


@functools.lru_cache(maxsize=256)
def _signer(secret: bytes) -> tuple[Any, str] | None:
    """The cached ``coincurve`` key and checksum address of a private key, or None where
    eth_keys would not sign with coincurve."""
    import coincurve
    from eth_account import Account
    from eth_keys.backends.coincurve import CoinCurveECCBackend

    account = Account.from_key(secret)
    if not isinstance(account._key_obj.backend, CoinCurveECCBackend):
        return None
    return coincurve.PrivateKey(secret), str(account.address)


def _checksummed(value: str) -> bool:
    from eth_utils.address import to_checksum_address

    return len(value) == 42 and value[:2] == "0x" and to_checksum_address(value) == value


def fastest_keccak() -> Callable[[bytearray | bytes], bytes] | None:
    """eth_hash's pysha3 backend's keccak-256 where ``safe-pysha3`` is installed (the same
    function as the pycryptodome backend eth_hash picks first, at about half its cost per
    call), else None."""
    try:
        from eth_hash.backends.pysha3 import keccak256
    except ImportError:
        return None
    return keccak256  # type: ignore[no-any-return]


@functools.lru_cache(maxsize=1)
def _keccak() -> Callable[[bytes], bytes]:
    """keccak-256 of bytes, straight from the fastest eth_hash backend installed (the same
    digest as ``eth_utils.keccak``, without its argument checks)."""
    from eth_hash.auto import keccak

    return fastest_keccak() or keccak


def _hex_key(text: str) -> bytes | None:
    """The 32 bytes of a key written ``0x`` + 64 hex digits (as eth_account's ``HexBytes``
    reads it), else None (any other text is left to eth_account)."""
    if len(text) != 66 or text[:2] != "0x":
        return None
    try:
        return binascii.unhexlify(text[2:])
    except (binascii.Error, ValueError):
        return None


def lean_sign(transaction: Any, private_key: Any) -> Any:
    """The ``SignedTransaction`` eth_account would make of ``transaction``, or None for an
    input left to eth_account."""
    from eth_account.datastructures import SignedTransaction
    from hexbytes import HexBytes

    keccak = _keccak()

    if isinstance(private_key, str):  # the 0x hex the simulator's accounts give as their key
        private_key = _hex_key(private_key)
    if type(transaction) is not dict or type(private_key) not in (bytes, HexBytes):
        return None
    if len(private_key) != 32 or set(transaction) - {"from"} != _KEYS:
        return None
    fields = [transaction[name] for name in _INTS]
    value, to, data = transaction["value"], transaction["to"], transaction["data"]
    fields.append(value)
    if any(type(field) is not int or not 0 <= field < _WORD for field in fields):
        return None
    if type(to) is not str or not _checksummed(to):
        return None
    if type(data) is not str or data[:2] != "0x" or len(data) % 2:
        return None
    signer = _signer(bytes(private_key))
    if signer is None:
        return None
    key, address = signer
    sender = transaction.get("from", address)
    if type(sender) is not str or sender != address:
        return None
    body = [
        *(_rlp_int(field) for field in fields[:5]),
        _rlp_bytes(binascii.unhexlify(to[2:])),
        _rlp_int(value),
        _rlp_bytes(binascii.unhexlify(data[2:])),
        _rlp_list([]),
    ]
    signature = key.sign_recoverable(keccak(b"\x02" + _rlp_list(body)), hasher=None)
    v = signature[64]
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:64], "big")
    raw = b"\x02" + _rlp_list([*body, _rlp_int(v), _rlp_int(r), _rlp_int(s)])
    return SignedTransaction(
        raw_transaction=HexBytes(raw), hash=HexBytes(keccak(raw)), r=r, s=s, v=v
    )


def lean_sign_transaction() -> Callable[[], None]:
    """Swap eth_account's ``Account.sign_transaction`` for one that signs web3's EIP-1559
    dicts with :func:`lean_sign` and hands anything else to eth_account; returns the undo."""
    from eth_account import Account
    from eth_utils.decorators import combomethod

    shipped = Account.__dict__["sign_transaction"]
    web3s = shipped.method

    def sign_transaction(
        self: Any, transaction_dict: Any, private_key: Any, blobs: Any = None
    ) -> Any:
        if blobs is None:
            try:
                signed = lean_sign(transaction_dict, private_key)
            except Exception:
                signed = None
            if signed is not None:
                return signed
        return web3s(self, transaction_dict, private_key, blobs=blobs)

    class LeanCombomethod(combomethod):
        """eth_utils' ``combomethod`` bound as a method object, not a new wrapper function
        per attribute access (``Account.sign_transaction`` and an account's alike)."""

        def __get__(self, obj: Any = None, objtype: Any = None) -> Any:
            return types.MethodType(self.method, objtype if obj is None else obj)

    functools.update_wrapper(sign_transaction, web3s)
    Account.sign_transaction = LeanCombomethod(sign_transaction)  # type: ignore[method-assign,assignment]

    def undo() -> None:
        Account.sign_transaction = shipped  # type: ignore[method-assign]

    return undo
