"""The simulated providers' lean path to the chain: raw reads and their own transactions.

Through the SDK, every provider transaction costs web3's full transaction building, a gas
estimate (several EVM executions) and a dozen JSON-RPC calls, and every read costs web3's ABI
and request formatting. Providers do the same few things thousands of times, so here:

- calldata is encoded with ``eth_abi`` behind a selector computed once per function;
- requests go through web3's provider (``make_request``) as plain JSON-RPC, no middleware, and
  a node with ``eth_sendRawTransactionSync`` (EIP-7966: anvil and the in-process chains)
  returns the receipt with the send;
- a provider account's nonce is tracked locally (kept in the provider's snapshot state) and
  re-read after a nonce error;
- the gas limit is fixed per function, several times what docs/gas.md measures; should a
  transaction still fail while its replay succeeds (out of gas: a modified protocol), it is
  sent once more with twice an estimate;
- chain id and fees are read once per chain and re-read after a fee error;
- the transaction is RLP-encoded directly (:mod:`ogpu_sim.actors.codec`) and signed with
  ``coincurve`` (the library under ``eth_keys``, its key made once per account), the very
  bytes ``eth_account`` produces (a test checks), at a fraction of its cost.

They are still real signed transactions mined in blocks. One that reverts is mined with status
0, as a wallet that does not estimate first sends it; its reason is read by replaying the call
(``eth_call``) and decoded by the SDK's own ``decode_revert``, so the caller gets exactly the
typed error (``TaskExpiredError`` ...) the SDK raises for that reason.
"""

from __future__ import annotations

import functools
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import coincurve
from eth_account.signers.local import LocalAccount
from eth_hash.auto import keccak as keccak256
from eth_utils import (
    function_signature_to_4byte_selector,
    keccak,
    to_canonical_address,
)
from eth_utils.abi import collapse_if_tuple
from web3 import Web3
from web3.exceptions import ContractLogicError
from web3.types import RPCEndpoint

from ogpu_sim import artifacts
from ogpu_sim.actors.codec import checksum, decode_words, encode_words, rlp_list, rlp_scalar
from ogpu_sim.errors import ChainError, LeanRpcFailure

GAS_LIMITS = {"register": 600_000, "attempt": 600_000, "submitResponse": 2_000_000}
"""Gas limit per Nexus function: about 3x the gas docs/gas.md measures for it."""
GAS_PER_DATA_WORD = 50_000
"""Extra gas per 32 bytes of a response's data (stored in the Response it creates)."""
RECEIPT_TIMEOUT = 120.0
"""Seconds to wait for a receipt that was not there when the send returned (the SDK's wait)."""
_SEND_ATTEMPTS = 3  # the SDK's TxExecutor default
_TRANSIENT_BACKOFF = 1.0  # seconds, as the SDK backs off on a transient RPC error
_RECEIPT_POLL_MAX = 0.05  # seconds between receipt polls at most (web3 waits 0.1 s)


METHOD_NOT_FOUND = -32601


def rpc(w3: Web3, method: str, params: Sequence[Any]) -> Any:
    """One plain JSON-RPC call through ``w3``'s provider; the raw ``result`` (hex, dicts)."""
    response = w3.provider.make_request(RPCEndpoint(method), list(params))
    error = response.get("error")
    if error is not None:
        if isinstance(error, dict):
            raise LeanRpcFailure(str(error.get("message", error)), error.get("code"))
        raise LeanRpcFailure(str(error))
    return response.get("result")


# -- reads ----------------------------------------------------------------------------------


@functools.cache
def _selector(signature: str) -> bytes:
    return bytes(function_signature_to_4byte_selector(signature))


def read(
    w3: Web3,
    address: str,
    signature: str,
    outputs: Sequence[str],
    types: Sequence[str] = (),
    args: Sequence[Any] = (),
) -> tuple[Any, ...]:
    """``eth_call`` of a view: ``signature`` like ``getAttempterId(address)``; decoded outputs.

    Raises:
        ChainError: the node refused the call or answered something that does not decode.
    """
    data = _selector(signature) + (encode_words(types, args) if types else b"")
    try:
        result = rpc(w3, "eth_call", [{"to": address, "data": "0x" + data.hex()}, "latest"])
        return decode_words(outputs, bytes.fromhex(str(result)[2:]))
    except Exception as exc:  # node errors, transport errors and undecodable answers alike
        raise ChainError(f"cannot read {signature} of {address}: {exc}") from exc


def events_in(
    receipt: dict[str, Any], address: str, event: tuple[str, Sequence[str]]
) -> list[tuple[Any, ...]]:
    """The arguments of every ``event`` (signature, non-indexed types) ``address`` logged in a
    receipt (raw JSON-RPC shape); addresses come back checksummed."""
    signature, types = event
    topic, address = _topic(signature), address.lower()
    found = []
    for log in receipt.get("logs", ()):
        topics = log.get("topics") or [None]
        if str(topics[0]).lower() != topic or log["address"].lower() != address:
            continue
        values = decode_words(types, bytes.fromhex(log["data"][2:]))
        found.append(
            tuple(checksum(v) if t == "address" else v for t, v in zip(types, values, strict=True))
        )
    return found


@functools.cache
def _topic(signature: str) -> str:
    return "0x" + keccak(text=signature).hex()


# -- transactions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Function:
    selector: bytes
    types: tuple[str, ...]


@functools.cache
def _nexus_functions() -> dict[str, _Function]:
    """Selector and input types of the Nexus functions providers send (from its ABI)."""
    functions = {}
    for entry in artifacts.load("Nexus")["abi"]:
        if entry.get("type") == "function" and entry["name"] in GAS_LIMITS:
            types = tuple(collapse_if_tuple(dict(i)) for i in entry["inputs"])
            signature = f"{entry['name']}({','.join(types)})"
            functions[entry["name"]] = _Function(_selector(signature), types)
    return functions


def encode_call(function: str, args: Sequence[Any]) -> bytes:
    """Calldata of ``Nexus.<function>(*args)``."""
    fn = _nexus_functions()[function]
    return fn.selector + encode_words(fn.types, args)


def gas_limit(function: str, args: Sequence[Any]) -> int:
    """The fixed gas limit of a provider's ``function`` call (data-sized for responses)."""
    extra = 0
    if function == "submitResponse":
        data = str(args[0][2]).encode()
        extra = GAS_PER_DATA_WORD * ((len(data) + 31) // 32)
    return GAS_LIMITS[function] + extra


@dataclass
class _ChainFacts:
    chain_id: int
    fees: dict[str, int]
    send_sync: bool = True  # until the node says it lacks eth_sendRawTransactionSync


_FACTS: weakref.WeakKeyDictionary[Web3, _ChainFacts] = weakref.WeakKeyDictionary()


def _fees(w3: Web3) -> dict[str, int]:
    """EIP-1559 fees as web3 picks them (tip + twice the base fee), or a legacy gas price."""
    latest = rpc(w3, "eth_getBlockByNumber", ["latest", False])
    base = latest.get("baseFeePerGas") if isinstance(latest, dict) else None
    if base is None:
        return {"gasPrice": int(rpc(w3, "eth_gasPrice", []), 16)}
    tip = int(rpc(w3, "eth_maxPriorityFeePerGas", []), 16)
    return {"maxFeePerGas": tip + 2 * int(base, 16), "maxPriorityFeePerGas": tip}


def _facts(w3: Web3, refresh_fees: bool = False) -> _ChainFacts:
    facts = _FACTS.get(w3)
    if facts is None:
        facts = _FACTS[w3] = _ChainFacts(int(rpc(w3, "eth_chainId", []), 16), _fees(w3))
    elif refresh_fees:
        facts.fees = _fees(w3)
    return facts


def _is_nonce_error(message: str) -> bool:
    lowered = message.lower()
    return "nonce" in lowered or "known transaction" in lowered or "already known" in lowered


def _is_fee_error(message: str) -> bool:
    lowered = message.lower()
    return "underpriced" in lowered or "base fee" in lowered or "fee cap" in lowered


def _is_transient(message: str) -> bool:
    from ogpu.protocol._base import TxExecutor

    return bool(TxExecutor._is_transient_rpc(Exception(message)))


_canonical = functools.lru_cache(maxsize=1024)(to_canonical_address)


def signer(account: LocalAccount) -> coincurve.PrivateKey:
    """The account's key as :func:`sign` takes it (made once: it derives the public key)."""
    return coincurve.PrivateKey(bytes(account.key))


def _signed(key: coincurve.PrivateKey, message: bytes) -> tuple[int, int, int]:
    """``(v, r, s)`` of the keccak of ``message``, as ``eth_keys``' coincurve backend signs."""
    signature = key.sign_recoverable(keccak256(message), hasher=None)
    return (
        signature[64],
        int.from_bytes(signature[:32], "big"),
        int.from_bytes(signature[32:64], "big"),
    )


def sign(key: coincurve.PrivateKey, tx: dict[str, Any]) -> bytes:
    """The raw signed transaction for ``tx`` (EIP-1559 when it has ``maxFeePerGas``, else
    legacy with EIP-155 replay protection): what ``Account.sign_transaction`` returns."""
    to = _canonical(tx["to"])
    data = bytes.fromhex(tx["data"][2:])
    if "maxFeePerGas" in tx:
        fields = b"".join(
            [
                rlp_scalar(tx["chainId"]),
                rlp_scalar(tx["nonce"]),
                rlp_scalar(tx["maxPriorityFeePerGas"]),
                rlp_scalar(tx["maxFeePerGas"]),
                rlp_scalar(tx["gas"]),
                rlp_scalar(to),
                rlp_scalar(tx["value"]),
                rlp_scalar(data),
                rlp_list(b""),  # no access list
            ]
        )
        v, r, s = _signed(key, b"\x02" + rlp_list(fields))
        return b"\x02" + rlp_list(fields + rlp_scalar(v) + rlp_scalar(r) + rlp_scalar(s))
    fields = b"".join(
        rlp_scalar(x) for x in (tx["nonce"], tx["gasPrice"], tx["gas"], to, tx["value"], data)
    )
    v, r, s = _signed(key, rlp_list(fields + rlp_scalar(tx["chainId"]) + b"\x80\x80"))
    return rlp_list(fields + rlp_scalar(v + 35 + 2 * tx["chainId"]) + rlp_scalar(r) + rlp_scalar(s))


@dataclass
class LeanSender:
    """Sends one account's Nexus calls the lean way (see the module docstring).

    Args:
        w3: web3 of the chain.
        account: the signing key (a provider, or the agent acting for it).
        nexus: the Nexus address.
        on_mined: called with every mined receipt (raw JSON-RPC shape), failed ones too.
        nonce: the next nonce to use; ``None`` reads it from the chain on the next send.
    """

    w3: Web3
    account: LocalAccount
    nexus: str
    on_mined: Callable[[dict[str, Any]], None] = lambda receipt: None
    nonce: int | None = None

    def __post_init__(self) -> None:
        self._key = signer(self.account)

    def transact(self, function: str, args: Sequence[Any], context: str) -> dict[str, Any]:
        """Send ``Nexus.<function>(*args)``, mined; return its receipt (raw JSON-RPC shape).

        Args:
            function: ``register``, ``attempt`` or ``submitResponse``.
            args: the function's arguments.
            context: what the SDK would name the operation (``Nexus.attempt(task, provider)``);
                the SDK's ``decode_revert`` uses it to pick the typed error.

        Raises:
            ogpu.types.errors.OGPUError: the SDK's typed error for the revert reason
                (``TaskExpiredError`` ...), ``TxRevertError`` for a failure no replay explains,
                ``TxRpcError`` when the node refused the transaction, ``TxReceiptTimeoutError``.
        """
        from ogpu.protocol._base import decode_revert
        from ogpu.types.errors import TxRevertError

        data = encode_call(function, args)
        gas = gas_limit(function, args)
        receipt = self._send(data, gas)
        if int(receipt["status"], 16) == 1:
            return receipt
        revert = self._replay(data)
        if revert is not None:
            raise decode_revert(revert, context=context, caller=self.account.address) from revert
        # The call succeeds with the block's gas: ours ran out (perhaps in a nested call, which
        # leaves a 64th unused), so the fixed limit was too low after all.
        receipt = self._send(data, max(2 * self._estimate(data), 2 * gas))
        if int(receipt["status"], 16) == 1:
            return receipt
        raise TxRevertError(reason=f"Transaction {receipt['transactionHash']} mined but reverted")

    def _tx(self, data: bytes, gas: int, nonce: int, facts: _ChainFacts) -> dict[str, Any]:
        return {
            "to": self.nexus,
            "data": "0x" + data.hex(),
            "value": 0,
            "gas": gas,
            "nonce": nonce,
            "chainId": facts.chain_id,
            **facts.fees,
        }

    def _send(self, data: bytes, gas: int) -> dict[str, Any]:
        from ogpu.types.errors import TxRpcError

        facts = _facts(self.w3)
        problem = ""
        for _ in range(_SEND_ATTEMPTS):
            if self.nonce is None:
                count = rpc(self.w3, "eth_getTransactionCount", [self.account.address, "pending"])
                self.nonce = int(count, 16)
            raw = sign(self._key, self._tx(data, gas, self.nonce, facts))
            try:
                receipt = self._broadcast(raw, facts)
            except Exception as exc:  # an error answer or a transport failure
                problem = str(exc)
                if _is_nonce_error(problem):
                    self.nonce = None
                elif _is_fee_error(problem):
                    facts = _facts(self.w3, refresh_fees=True)
                elif _is_transient(problem):
                    time.sleep(_TRANSIENT_BACKOFF)
                else:
                    raise TxRpcError(reason=problem) from exc
                continue
            self.nonce += 1
            self.on_mined(receipt)
            return receipt
        raise TxRpcError(reason=problem)

    def _broadcast(self, raw: bytes, facts: _ChainFacts) -> dict[str, Any]:
        """Send a signed transaction; its receipt once mined.

        Nodes with ``eth_sendRawTransactionSync`` (EIP-7966: anvil, the in-process chains)
        answer with the receipt in the same call; elsewhere the receipt is read right after the
        send and waited for only when it is not there yet.
        """
        signed = "0x" + raw.hex()
        if facts.send_sync:
            try:
                return dict(rpc(self.w3, "eth_sendRawTransactionSync", [signed]))
            except LeanRpcFailure as exc:
                message = str(exc).lower()
                if "timeout" in message or "timed out" in message:  # sent, not yet mined
                    return self._receipt("0x" + keccak(raw).hex())
                if not exc.unknown_method:
                    raise
                facts.send_sync = False  # an unknown method: nothing was sent
        return self._receipt(str(rpc(self.w3, "eth_sendRawTransaction", [signed])))

    def _receipt(self, tx_hash: str) -> dict[str, Any]:
        """The receipt of a sent transaction, polled quickly when it is not there at once
        (paused mining, a node that mines later), up to :data:`RECEIPT_TIMEOUT`."""
        from ogpu.types.errors import TxReceiptTimeoutError

        deadline, pause = time.monotonic() + RECEIPT_TIMEOUT, 0.001
        while True:
            receipt = rpc(self.w3, "eth_getTransactionReceipt", [tx_hash])
            if receipt is not None:
                return dict(receipt)
            if time.monotonic() >= deadline:
                raise TxReceiptTimeoutError(tx_hash=tx_hash, timeout=RECEIPT_TIMEOUT)
            time.sleep(pause)
            pause = min(2 * pause, _RECEIPT_POLL_MAX)

    def _call_params(self, data: bytes) -> dict[str, Any]:
        return {"from": self.account.address, "to": self.nexus, "data": "0x" + data.hex()}

    def _replay(self, data: bytes) -> ContractLogicError | None:
        """Why a mined call failed: run it again (a revert leaves no state behind)."""
        try:
            self.w3.eth.call(self._call_params(data))  # type: ignore[arg-type]
        except ContractLogicError as exc:
            return exc
        return None

    def _estimate(self, data: bytes) -> int:
        return int(self.w3.eth.estimate_gas(self._call_params(data)))  # type: ignore[arg-type]


__all__ = [
    "GAS_LIMITS",
    "LeanSender",
    "encode_call",
    "events_in",
    "gas_limit",
    "read",
    "rpc",
    "sign",
    "signer",
]
