"""JSON-RPC wire shapes shared by the in-process node, its web3 provider and its HTTP server.

Errors are worded like geth/anvil so web3 and the ``ogpu`` SDK react as they do against a real
node: reverts are ``{"code": 3, "message": "execution reverted: <reason>", "data": "0x..."}``,
nonce mismatches contain ``nonce too low``, a foreign chain id is ``-32003 invalid chain id``.
Results are JSON-native (quantities as hex strings, camelCase keys).
"""

from __future__ import annotations

import functools
import re
from typing import Any

from eth_abi import decode as abi_decode
from eth_hash.auto import keccak
from eth_utils import to_checksum_address

from ..errors import (
    RpcError,
)

ERROR_STRING_SELECTOR = bytes.fromhex("08c379a0")
PANIC_SELECTOR = bytes.fromhex("4e487b71")

PANIC_REASONS = {
    0x00: "generic panic",
    0x01: "assertion failed",
    0x11: "arithmetic underflow or overflow",
    0x12: "division or modulo by zero",
    0x21: "enum overflow",
    0x22: "invalid encoded storage byte array accessed",
    0x31: "out-of-bounds array access; popping on an empty array",
    0x32: "out-of-bounds access of an array or bytesN",
    0x41: "out of memory",
    0x51: "called a zero-initialized variable of internal function type",
}

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
SERVER_ERROR = -32000
REVERTED = 3
TRANSACTION_REJECTED = -32003


_HEX_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_UPPER_NIBBLES = frozenset("89abcdef")


def _checksum(value: Any) -> str:
    if type(value) is bytes and len(value) == 20:
        lower = value.hex()
    elif isinstance(value, str) and _HEX_ADDRESS.fullmatch(value):
        lower = value[2:].lower()
    else:  # any other spelling, and every error, as eth_utils has them
        return str(to_checksum_address(value))
    digest = keccak(lower.encode()).hex()
    return "0x" + "".join(
        c.upper() if d in _UPPER_NIBBLES else c for c, d in zip(lower, digest, strict=False)
    )


checksum = functools.lru_cache(maxsize=65_536)(_checksum)
"""``eth_utils.to_checksum_address``, remembered, and for 0x-hex text and 20 bytes computed
directly (EIP-55: a hex digit is upper case where the keccak of the lower-case address has a
nibble >= 8), a third of its cost; the same few addresses come up in every log and receipt."""


def revert_error(data: bytes) -> RpcError:
    """The error a geth/anvil node answers for a revert with return data ``data``."""
    if not data:
        return RpcError(REVERTED, "execution reverted")
    hex_data = "0x" + data.hex()
    if data[:4] == ERROR_STRING_SELECTOR:
        try:
            reason = str(abi_decode(["string"], data[4:])[0])
        except Exception:  # malformed Error(string): report the bytes without a reason
            return RpcError(REVERTED, "execution reverted", hex_data)
        return RpcError(REVERTED, f"execution reverted: {reason}", hex_data)
    if data[:4] == PANIC_SELECTOR and len(data) == 36:
        code = int.from_bytes(data[4:], "big")
        reason = PANIC_REASONS.get(code, "unknown panic code")
        return RpcError(REVERTED, f"execution reverted: panic: {reason} ({code:#x})", hex_data)
    return RpcError(REVERTED, f"execution reverted: custom error {hex_data[:10]}", hex_data)


def confirmation_timeout(tx_hash: str) -> RpcError:
    """What ``eth_sendRawTransactionSync`` answers for a transaction not mined in time: anvil's
    code and words, and EIP-7966's data (the transaction's hash, to wait for it otherwise)."""
    return RpcError(INTERNAL_ERROR, "Transaction confirmation timeout", tx_hash)


_NONCE = re.compile(r"Invalid transaction nonce: Expected (\d+), but got (\d+)")


def nonce_error(message: str, sender: str) -> RpcError | None:
    """Reword eth-tester's nonce mismatch like geth, or None when ``message`` is another error.

    geth says ``nonce too low`` or ``nonce too high``; the ``ogpu`` SDK only resynchronises its
    nonce cache on ``nonce too low``. A too-high nonce is what a client sends after a snapshot
    revert lowered the chain's count, so its message names the real direction first and then
    carries ``nonce too low`` too: the SDK drops its stale cache and retries instead of failing.
    """
    match = _NONCE.search(message)
    if match is None:
        return None
    expected, got = int(match.group(1)), int(match.group(2))
    if got < expected:
        return RpcError(
            TRANSACTION_REJECTED, f"nonce too low: address {sender}, tx: {got} state: {expected}"
        )
    return RpcError(
        TRANSACTION_REJECTED,
        f"nonce too high: address {sender}, tx: {got} state: {expected} (a nonce mismatch; "
        f"reported as nonce too low so clients resync their nonce cache)",
    )


def quantity(value: Any, name: str = "value") -> int:
    """Parse a JSON-RPC quantity (``0x``-hex string or int).

    Raises:
        RpcError: -32602 when ``value`` is not a quantity.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.startswith(("0x", "0X")):
        try:
            return int(value, 16)
        except ValueError:
            pass
    raise RpcError(
        INVALID_PARAMS, f"invalid argument: {name} must be a hex quantity, got {value!r}"
    )


def plain_address(value: Any) -> bytes | None:
    """The 20 bytes of ``value`` when it is "0x" and 40 hex digits (the usual case, without
    eth_utils' normalizing), else ``None`` (for ``to_canonical_address`` to answer)."""
    if type(value) is str and len(value) == 42 and value.startswith("0x"):
        try:
            raw = bytes.fromhex(value[2:])
        except ValueError:
            return None
        if len(raw) == 20:  # fromhex skips whitespace: only 40 hex digits make 20 bytes
            return raw
    return None


def data_bytes(value: Any, name: str = "data") -> bytes:
    """Parse JSON-RPC data (``0x``-hex string).

    Raises:
        RpcError: -32602 when ``value`` is not hex data.
    """
    if value is None:
        return b""
    if isinstance(value, str) and value.startswith(("0x", "0X")):
        try:
            return bytes.fromhex(value[2:])
        except ValueError:
            pass
    raise RpcError(
        INVALID_PARAMS, f"invalid argument: {name} must be 0x-prefixed hex, got {value!r}"
    )


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part.capitalize() for part in rest)


def to_rpc(value: Any, renames: dict[str, str] | None = None) -> Any:
    """Turn eth-tester's normalized output (snake_case, ints) into JSON-RPC (camelCase, hex)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return hex(value)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, dict):
        names = renames or {}
        return {names.get(k, _camel(k)): to_rpc(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_rpc(item, renames) for item in value]
    return value


def log_to_rpc(log: dict[str, Any]) -> dict[str, Any]:
    """A log entry as geth returns it (``removed`` instead of eth-tester's ``type``)."""
    out = to_rpc({k: v for k, v in log.items() if k != "type"})
    out["removed"] = False
    return out


def tx_to_rpc(tx: dict[str, Any]) -> dict[str, Any]:
    """A transaction object: ``data`` is ``input``, contract creations have ``to: null``."""
    out = to_rpc(tx, {"data": "input"})
    if out.get("to") in ("", "0x"):
        out["to"] = None
    return out


def receipt_to_rpc(receipt: dict[str, Any]) -> dict[str, Any]:
    """A receipt with geth's field names and logs."""
    out = to_rpc({k: v for k, v in receipt.items() if k != "logs"})
    out["logs"] = [log_to_rpc(log) for log in receipt.get("logs", ())]
    if out.get("to") in ("", "0x"):
        out["to"] = None
    return out


def block_to_rpc(block: dict[str, Any]) -> dict[str, Any]:
    """A block with geth's field names (``miner``), full transactions converted if present."""
    out = to_rpc({k: v for k, v in block.items() if k != "transactions"}, {"coinbase": "miner"})
    bloom = block.get("logs_bloom")
    if isinstance(bloom, int):
        out["logsBloom"] = "0x" + bloom.to_bytes(256, "big").hex()
    out["transactions"] = [
        tx if isinstance(tx, str) else tx_to_rpc(tx) for tx in block.get("transactions", ())
    ]
    return out
