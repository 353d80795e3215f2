"""py-evm's ``ChainDB.persist_block`` for a block mined on the canonical head, its writes only.

``ChainDB.persist_block`` (py-evm 0.12.1b1) is general: any header chain, checkpoints, gaps
opened and filled, reorganisations. For the block the node just mined on its canonical head
it comes down to seven writes: the header by its hash, its score (the parent's plus the
difficulty, or plus the block number after the merge), the header-chain gaps moved one block
on (``fill_gap``'s ``TailWrite``), the block number's canonical hash, the canonical head, one
lookup per transaction (block number and index), and the chain gaps as ``fill_gap`` moves
them. :func:`persist_block` reads what py-evm reads to decide (the canonical head, the
parent's score, both gap records, decoded once per encoding), writes the same values under
the same keys in the same order, and otherwise (a head that is not the parent, any other gap
change, uncles, withdrawals, a database class of its own) calls ``persist_block`` itself.
``tests/chain/test_tester_mine.py`` compares the whole database with py-evm's, byte for byte.
"""

from __future__ import annotations

from inspect import getattr_static
from typing import Any

import rlp
from eth.constants import EMPTY_UNCLE_HASH
from eth.db.chain import BlockDataKey, ChainDB
from eth.db.chain_gaps import GENESIS_CHAIN_GAPS, GapChange, fill_gap
from eth.db.schema import SchemaV1
from eth.rlp.sedes import chain_gaps

MAX_DECODED = 64
"""Decoded gap records kept by their encoding at most; the memo starts over when full."""

_HEAD_KEY = SchemaV1.make_canonical_head_hash_lookup_key()
_HEADER_GAPS_KEY = SchemaV1.make_header_chain_gaps_lookup_key()
_CHAIN_GAPS_KEY = SchemaV1.make_chain_gaps_lookup_key()
_gaps: dict[bytes, Any] = {}
_stock_kinds: dict[Any, bool] = {}
_STOCK = {
    name: getattr_static(ChainDB, name)
    for name in (
        "persist_block",
        "_persist_block",
        "_persist_header_chain",
        "_set_hash_scores_to_db",
        "_update_header_chain_gaps",
        "_handle_gap_change",
        "_set_as_canonical_chain_head",
        "_add_transaction_to_canonical_chain",
        "_update_chain_gaps",
        "_get_header_chain_gaps",
        "_get_chain_gaps",
    )
}


def _stock(kind: Any) -> bool:
    """Whether a ``kind`` database persists blocks with py-evm's own ChainDB methods (decided
    once per class)."""
    stock = _stock_kinds.get(kind)
    if stock is None:
        stock = all(getattr_static(kind, name) is method for name, method in _STOCK.items())
        _stock_kinds[kind] = stock
    return stock


def _read_gaps(db: Any, key: bytes) -> Any:
    """``_get_header_chain_gaps`` / ``_get_chain_gaps``: the record under ``key``, decoded."""
    try:
        encoded = db[key]
    except KeyError:
        return GENESIS_CHAIN_GAPS
    gaps = _gaps.get(encoded)
    if gaps is None:
        gaps = rlp.decode(encoded, sedes=chain_gaps)
        if len(_gaps) >= MAX_DECODED:
            _gaps.clear()
        _gaps[encoded] = gaps
    return gaps


def persist_block(chaindb: Any, block: Any) -> None:
    """``chaindb.persist_block(block)``, its writes only where ``block`` extends the head.

    Args:
        chaindb: the node's py-evm ``ChainDB``.
        block: the block just mined (its parent the canonical head, in the common case).
    """
    header = block.header
    db = chaindb.db
    number = header.block_number
    if (
        number == 0
        or block.uncles
        or header.uncles_hash != EMPTY_UNCLE_HASH
        or getattr(block, "withdrawals", None) not in (None, ())
        or not _stock(type(chaindb))
    ):
        chaindb.persist_block(block)
        return
    parent_hash = header.parent_hash
    try:
        head = db[_HEAD_KEY]
        parent_score = db[SchemaV1.make_block_hash_to_score_lookup_key(parent_hash)]
        header_change, header_gaps = fill_gap(number, _read_gaps(db, _HEADER_GAPS_KEY))
        chain_change, block_gaps = fill_gap(number, _read_gaps(db, _CHAIN_GAPS_KEY))
    except Exception:  # anything unusual: py-evm decides, and raises its own error
        chaindb.persist_block(block)
        return
    score = rlp.decode(parent_score, sedes=rlp.sedes.big_endian_int)
    new_score = score + (header.difficulty if header.difficulty != 0 else number)
    extends_head = head == parent_hash and parent_hash in db and new_score > score
    if not extends_head or header_change is not GapChange.TailWrite:
        chaindb.persist_block(block)
        return
    block_hash = header.hash
    with db.atomic_batch() as batch:
        batch[block_hash] = rlp.encode(header)
        batch[SchemaV1.make_block_hash_to_score_lookup_key(block_hash)] = rlp.encode(
            new_score, sedes=rlp.sedes.big_endian_int
        )
        batch[_HEADER_GAPS_KEY] = rlp.encode(header_gaps, sedes=chain_gaps)
        batch[SchemaV1.make_block_number_to_hash_lookup_key(number)] = rlp.encode(
            block_hash, sedes=rlp.sedes.binary
        )
        batch[_HEAD_KEY] = block_hash
        for index, tx in enumerate(block.transactions):
            key = SchemaV1.make_transaction_hash_to_block_lookup_key(tx.hash)
            batch[key] = rlp.encode(BlockDataKey(number, index))
        if chain_change is not GapChange.NoChange:
            batch[_CHAIN_GAPS_KEY] = rlp.encode(block_gaps, sedes=chain_gaps)


__all__ = ["MAX_DECODED", "persist_block"]
