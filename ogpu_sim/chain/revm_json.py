"""Blocks, transactions and receipts of the revm node in the JSON shapes geth answers.

The node keeps no block bodies or receipts of its own: :mod:`.revm_node` builds these objects
once per mined transaction and answers ``eth_getTransactionByHash``, receipts, logs and blocks
from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .revm_exec import BLOCK_GAS_LIMIT, ZERO_ADDRESS, Outcome, checksum

ZERO32 = "0x" + "00" * 32
_EMPTY_BLOOM = "0x" + "00" * 256
_EMPTY_UNCLES = "0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347"


@dataclass
class Block:
    """One mined block: at most one transaction, as the node mines on every send."""

    number: int
    hash: str
    parent_hash: str
    timestamp: int
    tx_hashes: list[str]
    gas_used: int = 0


def tx_json(tx: Any, tx_hash: str, sender: str, block: Block) -> dict[str, Any]:
    """A decoded signed transaction (py-evm's) as ``eth_getTransactionByHash`` returns it."""
    typed = tx.type_id is not None
    body = {
        "hash": tx_hash,
        "nonce": hex(tx.nonce),
        "blockHash": block.hash,
        "blockNumber": hex(block.number),
        "transactionIndex": "0x0",
        "from": sender,
        "to": checksum(tx.to) if tx.to else None,
        "value": hex(tx.value),
        "gas": hex(tx.gas),
        "input": "0x" + tx.data.hex(),
        "r": hex(tx.r),
        "s": hex(tx.s),
        "type": hex(tx.type_id or 0),
        "gasPrice": hex(tx.max_fee_per_gas if typed else tx.gas_price),
        "v": hex(tx.y_parity if typed else tx.v),
    }
    if tx.chain_id is not None:
        body["chainId"] = hex(tx.chain_id)
    if typed:
        body["accessList"] = [
            {
                "address": checksum(a),
                "storageKeys": [ZERO32[:2] + k.to_bytes(32, "big").hex() for k in keys],
            }
            for a, keys in tx.access_list
        ]
        body["yParity"] = hex(tx.y_parity)
        if tx.type_id == 2:
            body["maxFeePerGas"] = hex(tx.max_fee_per_gas)
            body["maxPriorityFeePerGas"] = hex(tx.max_priority_fee_per_gas)
    return body


def receipt_json(
    tx: Any,
    tx_hash: str,
    sender: str,
    to: str | None,
    created: str | None,
    outcome: Outcome,
    price: int,
    block: Block,
) -> dict[str, Any]:
    """The receipt of a mined transaction; a failed one carries no logs."""
    logs = [
        {
            "address": checksum(log.address),
            "topics": list(log.topics),
            "data": "0x" + log.data[1].hex(),
            "blockNumber": hex(block.number),
            "blockHash": block.hash,
            "transactionHash": tx_hash,
            "transactionIndex": "0x0",
            "logIndex": hex(index),
            "removed": False,
        }
        for index, log in enumerate(outcome.logs if outcome.ok else [])
    ]
    return {
        "transactionHash": tx_hash,
        "transactionIndex": "0x0",
        "blockHash": block.hash,
        "blockNumber": hex(block.number),
        "from": sender,
        "to": to,
        "cumulativeGasUsed": hex(outcome.gas_used),
        "gasUsed": hex(outcome.gas_used),
        "effectiveGasPrice": hex(price),
        "contractAddress": created,
        "logs": logs,
        "logsBloom": _EMPTY_BLOOM,
        "status": "0x1" if outcome.ok else "0x0",
        "type": hex(tx.type_id or 0),
    }


def block_json(block: Block, transactions: list[Any]) -> dict[str, Any]:
    """A block as ``eth_getBlockByNumber`` returns it, with ``transactions`` as given."""
    return {
        "number": hex(block.number),
        "hash": block.hash,
        "parentHash": block.parent_hash,
        "timestamp": hex(block.timestamp),
        "gasLimit": hex(BLOCK_GAS_LIMIT),
        "gasUsed": hex(block.gas_used),
        "baseFeePerGas": "0x0",
        "miner": ZERO_ADDRESS,
        "difficulty": "0x0",
        "totalDifficulty": "0x0",
        "nonce": "0x0000000000000000",
        "extraData": "0x",
        "logsBloom": _EMPTY_BLOOM,
        "size": "0x220",
        "mixHash": "0x" + block.number.to_bytes(32, "big").hex(),  # = PREVRANDAO
        "sha3Uncles": _EMPTY_UNCLES,
        "stateRoot": ZERO32,
        "transactionsRoot": ZERO32,
        "receiptsRoot": ZERO32,
        "transactions": transactions,
        "uncles": [],
        "withdrawals": [],
    }
