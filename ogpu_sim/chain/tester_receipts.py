"""Receipts of the eth-tester node read straight from py-evm's chain database.

eth-tester finds a transaction by scanning the canonical chain backwards from the head (so a
receipt costs more the longer the chain), then serializes, validates and normalizes it into
its own shape, which :func:`~ogpu_sim.chain.jsonrpc.receipt_to_rpc` turns into JSON-RPC.
:func:`mined_receipt` looks the transaction up in py-evm's hash index, checks the index
against the canonical block it names (the block and its receipts kept by hash when the node
mined it, :func:`remember_block`), and builds the JSON-RPC receipt in one step, field for
field as eth-tester's serializer and normalizers make it. Whenever it cannot be sure (the
hash is not in the index, the index names a block above the head or another transaction, as
it does after a snapshot revert, a transaction waits in the pending block, a blob
transaction), it answers ``None``
and :class:`~ogpu_sim.chain.tester_node.TesterNode` asks eth-tester as before.
"""

from __future__ import annotations

from typing import Any

from eth.constants import BLANK_ROOT_HASH
from eth.exceptions import BlockNotFound, HeaderNotFound, TransactionNotFound
from eth.vm.forks.berlin.transactions import TypedTransaction
from eth_tester.utils.address import generate_contract_address
from eth_utils import to_checksum_address

from .tester_answers import AnswerMemo

DYNAMIC_FEE_TX_TYPE = 2
BLOB_TX_TYPE = 3
MAX_SENDERS = 100_000
"""Senders kept by transaction hash at most; the memo starts over when full."""

MAX_BLOCKS = 1_000
"""Mined blocks kept with their receipts by block hash at most; the memo starts over when full."""

_senders: dict[bytes, bytes] = {}
_blocks: dict[bytes, tuple[Any, tuple[Any, ...]]] = {}


def remember_block(block: Any, receipts: tuple[Any, ...]) -> None:
    """Keep a block the node just mined, with its receipts, by its hash.

    A block hash names the header, whose transaction and receipt roots name the transactions
    and receipts, so a receipt of a canonical block with this hash need not decode the block
    and its receipts back from the database (as ``get_canonical_block_by_number`` and
    ``get_receipts`` would).
    """
    if len(_blocks) >= MAX_BLOCKS:
        _blocks.clear()
    _blocks[bytes(block.hash)] = (block, receipts)


def remembered_block(block_hash: bytes) -> Any:
    """The block the node mined with this hash (see :func:`remember_block`), or None."""
    kept = _blocks.get(block_hash)
    return None if kept is None else kept[0]


def remember_sender(tx_hash: bytes, sender: bytes) -> None:
    """Keep the sender the node recovered when ``tx_hash`` was sent.

    A sender is a function of the signed transaction, which its hash names, so a receipt need
    not recover it from the signature again (a transaction read back from the database is a
    new object, its sender not yet recovered).
    """
    if len(_senders) >= MAX_SENDERS:
        _senders.clear()
    _senders[tx_hash] = sender


def mined_receipt(
    chain: Any, tx_hash: bytes, answers: AnswerMemo | None = None
) -> dict[str, Any] | None:
    """The JSON-RPC receipt of a mined canonical transaction, or ``None`` to ask eth-tester.

    Args:
        chain: the py-evm chain of the node.
        tx_hash: the transaction's 32-byte hash.
        answers: where receipts are kept by the hash of their block (the transaction's index
            and block are still looked up on every call).

    Returns:
        The receipt as ``eth_getTransactionReceipt`` answers it, or ``None``.
    """
    if chain.header.transaction_root != BLANK_ROOT_HASH:
        return None  # eth-tester looks in the pending block first
    try:
        number, index = chain.chaindb.get_transaction_index(tx_hash)
        if number >= chain.header.block_number:
            return None  # above the head: left behind by a revert (eth-tester scans from it)
        block_hash = chain.chaindb.get_canonical_block_hash(number)
        if answers is None:
            return _receipt_in(chain, block_hash, index, tx_hash)
    except (TransactionNotFound, HeaderNotFound, BlockNotFound):
        return None
    return answers.get(
        (bytes(block_hash), index, tx_hash),
        lambda: _receipt_in(chain, block_hash, index, tx_hash),
    )


def _receipt_in(chain: Any, block_hash: bytes, index: int, tx_hash: bytes) -> dict[str, Any] | None:
    """The receipt from the block with ``block_hash``: the one kept (:func:`remember_block`)
    with its receipts, else the one in the database."""
    kept = _blocks.get(bytes(block_hash))
    if kept is not None:
        return _receipt(kept[0], chain, index, tx_hash, kept[1])
    try:
        block = chain.get_block_by_hash(block_hash)
    except (HeaderNotFound, BlockNotFound):
        return None
    return _receipt(block, chain, index, tx_hash)


def _receipt(
    block: Any, chain: Any, index: int, tx_hash: bytes, receipts: tuple[Any, ...] = ()
) -> dict[str, Any] | None:
    transactions = block.transactions
    if index >= len(transactions) or transactions[index].hash != tx_hash:
        return None
    tx = transactions[index]
    sender = _senders.get(tx_hash)
    if sender is None:
        sender = tx.sender
    tx_type = (tx.type_id or 0) if isinstance(tx, TypedTransaction) else 0
    if tx_type == BLOB_TX_TYPE:
        return None
    if not receipts:
        receipts = block.get_receipts(chain.chaindb)
    receipt = receipts[index]
    before = receipts[index - 1].gas_used if index else 0
    status = int.from_bytes(receipt.state_root, "big")
    block_hex = "0x" + bytes(block.hash).hex()
    hash_hex = "0x" + bytes(tx.hash).hex()
    created = tx.to == b"" and status != 0
    if tx_type >= DYNAMIC_FEE_TX_TYPE:
        price = min(tx.max_fee_per_gas, tx.max_priority_fee_per_gas + block.header.base_fee_per_gas)
    else:
        price = tx.gas_price
    return {
        "blockHash": block_hex,
        "blockNumber": hex(block.number),
        "contractAddress": (
            to_checksum_address(generate_contract_address(sender, tx.nonce)) if created else None
        ),
        "cumulativeGasUsed": hex(receipt.gas_used),
        "effectiveGasPrice": hex(price),
        "from": to_checksum_address(sender),
        "gasUsed": hex(receipt.gas_used - before),
        "stateRoot": "0x" + bytes(receipt.state_root).hex(),
        "status": hex(status),
        "to": to_checksum_address(tx.to) if tx.to else None,
        "transactionHash": hash_hex,
        "transactionIndex": hex(index),
        "type": hex(tx_type),
        "logs": [
            {
                "logIndex": hex(log_index),
                "transactionIndex": hex(index),
                "transactionHash": hash_hex,
                "blockHash": block_hex,
                "blockNumber": hex(block.number),
                "address": to_checksum_address(log.address),
                "data": "0x" + bytes(log.data).hex(),
                "topics": ["0x" + topic.to_bytes(32, "big").hex() for topic in log.topics],
                "removed": False,
            }
            for log_index, log in enumerate(receipt.logs)
        ],
    }


__all__ = ["MAX_BLOCKS", "MAX_SENDERS", "mined_receipt", "remember_block", "remember_sender"]
