"""JSON-RPC methods both in-process nodes answer from their own basic methods.

Block transaction counts, transactions and raw transactions by block and index, block
receipts, uncles (never any: one block per slot, no forks), the blob base fee, ``net_peerCount``
and ``web3_sha3`` all follow from ``eth_getBlockBy*``, ``eth_getTransactionReceipt`` and
``eth_getRawTransactionByHash``; :class:`DerivedMethods` answers them through the same
``request`` callable, so each node implements only the basic ones. Pending-transaction filters
are block filters whose changes are the transactions of the new blocks: these nodes mine every
transaction at once, so a transaction is pending for no observable time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eth_utils import keccak

from .jsonrpc import INVALID_PARAMS, RpcError, data_bytes, quantity

Request = Callable[[str, list[Any]], Any]

MIN_BLOB_BASE_FEE = 1
BLOB_BASE_FEE_UPDATE_FRACTION = 3_338_477
"""EIP-4844's (Cancun) blob base fee parameters."""


def blob_base_fee(excess_blob_gas: int) -> int:
    """EIP-4844's ``fake_exponential(MIN_BLOB_BASE_FEE, excess, UPDATE_FRACTION)``."""
    numerator, denominator = excess_blob_gas, BLOB_BASE_FEE_UPDATE_FRACTION
    i, output, accum = 1, 0, MIN_BLOB_BASE_FEE * denominator
    while accum > 0:
        output += accum
        accum = accum * numerator // (denominator * i)
        i += 1
    return output // denominator


def _is_hash(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("0x") and len(value) == 66


class DerivedMethods:
    """Answers :attr:`METHODS` from a node's basic methods; keeps pending-filter ids."""

    METHODS = frozenset(
        {
            "net_peerCount",
            "web3_sha3",
            "eth_blobBaseFee",
            "eth_getBlockTransactionCountByHash",
            "eth_getBlockTransactionCountByNumber",
            "eth_getTransactionByBlockHashAndIndex",
            "eth_getTransactionByBlockNumberAndIndex",
            "eth_getRawTransactionByBlockHashAndIndex",
            "eth_getRawTransactionByBlockNumberAndIndex",
            "eth_getUncleCountByBlockHash",
            "eth_getUncleCountByBlockNumber",
            "eth_getUncleByBlockHashAndIndex",
            "eth_getUncleByBlockNumberAndIndex",
            "eth_getBlockReceipts",
            "eth_newPendingTransactionFilter",
            "eth_getFilterChanges",
            "eth_uninstallFilter",
        }
    )

    def __init__(self) -> None:
        self._pending_filters: set[str] = set()

    def answer(self, method: str, params: list[Any], request: Request) -> Any:
        """Answer ``method`` (one of :attr:`METHODS`) through ``request``."""
        if method == "net_peerCount":
            return "0x0"
        if method == "web3_sha3":
            return "0x" + keccak(data_bytes(params[0])).hex()
        if method == "eth_blobBaseFee":
            block = request("eth_getBlockByNumber", ["latest", False])
            return hex(blob_base_fee(quantity(block.get("excessBlobGas") or "0x0")))
        if method == "eth_newPendingTransactionFilter":
            filter_id = str(request("eth_newBlockFilter", []))
            self._pending_filters.add(filter_id)
            return filter_id
        if method == "eth_getFilterChanges":
            changes = request(method, params)
            if params and isinstance(params[0], str) and params[0] in self._pending_filters:
                return self._transactions_of(changes, request)
            return changes
        if method == "eth_uninstallFilter":
            self._pending_filters.discard(str(params[0]))
            return request(method, params)
        by_hash = "ByBlockHash" in method or "ByHash" in method
        block = self._block(params[0], by_hash, method.startswith("eth_getTransactionBy"), request)
        if method == "eth_getBlockReceipts":
            if block is None:
                return None
            return [request("eth_getTransactionReceipt", [h]) for h in block["transactions"]]
        if method.startswith("eth_getBlockTransactionCount"):
            return None if block is None else hex(len(block["transactions"]))
        if method.startswith("eth_getUncleCount"):
            return None if block is None else "0x0"
        if method.startswith("eth_getUncleBy"):
            quantity(params[1], "index")
            return None
        index = quantity(params[1], "index")
        if block is None or not 0 <= index < len(block["transactions"]):
            return None
        transaction = block["transactions"][index]
        if method.startswith("eth_getRawTransaction"):
            return request("eth_getRawTransactionByHash", [transaction])
        return transaction

    @staticmethod
    def _block(block_id: Any, by_hash: bool, full: bool, request: Request) -> Any:
        if isinstance(block_id, dict):  # EIP-1898 block parameter: {"blockHash": ...}
            if "blockHash" in block_id:
                block_id, by_hash = block_id["blockHash"], True
            elif "blockNumber" in block_id:
                block_id = block_id["blockNumber"]
            else:
                raise RpcError(
                    INVALID_PARAMS, "invalid argument 0: expected a block hash or number"
                )
        if by_hash or _is_hash(block_id):
            return request("eth_getBlockByHash", [block_id, full])
        return request("eth_getBlockByNumber", [block_id, full])

    @staticmethod
    def _transactions_of(block_hashes: list[str], request: Request) -> list[str]:
        hashes: list[str] = []
        for block_hash in block_hashes:
            block = request("eth_getBlockByHash", [block_hash, False])
            if block is not None:
                hashes.extend(block["transactions"])
        return hashes
