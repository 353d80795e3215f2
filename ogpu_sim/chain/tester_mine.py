"""One transaction applied and mined as one block, with py-evm's own steps done once each.

eth-tester's node path for a sent transaction is py-evm's ``MiningChain.apply_transaction``
followed by ``MiningChain.mine_block`` (py-evm 0.12.1b1). Between them the pending block is
built twice (``VM.get_block``, the second time decoding its transactions back from the
database), the header is copied six times, the state is persisted twice (the second time a
fresh state with nothing to write: a Paris+ VM assigns no block reward), and the finished
block is validated twice (``VM.validate_block`` and ``Chain.validate_block``: the header
against its parent both times, plus a recomputed transaction root, the state root's presence
and the empty uncles of a block this very code just built).

:func:`apply_and_mine` runs the same py-evm functions in the same order on the same values,
once: ``VM.apply_transaction`` (every transaction check and the state transition), one
``persist``; the transaction and receipt roots of ``make_trie_root_and_nodes`` for one item
(:func:`one_item_trie`), their nodes persisted as ``set_block_transactions_and_withdrawals``
persists them; one header copy carrying every field the six copies set (bloom and gas used as
``add_receipt_to_header``, the roots, ``pack_block``'s coinbase, mix hash and blob gas); the
VM's ``validate_header`` against the parent (the header this module last mined, kept by hash);
``ChainDB.persist_block`` (its writes only, :mod:`.tester_chaindb`); the next pending header
(:func:`next_header`, py-evm's ``create_header_from_parent`` built in one step). It applies only
where that is exactly py-evm's result: a Prague VM (no block reward, the blob fields
eth-tester's backend mines with), an empty pending block, a transaction without blobs;
:func:`applies` says so, and the caller otherwise takes py-evm's own path.
"""

from __future__ import annotations

from typing import Any

import rlp
from eth._utils.headers import new_timestamp_from_parent
from eth.constants import (
    BLANK_ROOT_HASH,
    EMPTY_SHA256,
    POST_MERGE_DIFFICULTY,
    POST_MERGE_MIX_HASH,
    POST_MERGE_NONCE,
    ZERO_ADDRESS,
)
from eth.vm.forks import PragueVM
from eth.vm.forks.london.headers import calculate_expected_base_fee_per_gas
from eth.vm.forks.prague.blocks import PragueBlockHeader
from eth.vm.forks.prague.headers import calc_excess_blob_gas_prague
from eth_bloom import BloomFilter
from eth_utils import keccak

from . import revm_tx
from .tester_chaindb import persist_block

BLOB_TX_TYPE = 3
MAX_HEADERS = 1_000
"""Mined headers kept by hash at most (a block's parent is the last one mined)."""

_headers: dict[bytes, Any] = {}


def applies(chain: Any, tx: Any) -> bool:
    """Whether :func:`apply_and_mine` gives exactly py-evm's block for ``tx`` on ``chain``.

    Args:
        chain: the node's py-evm ``MiningChain``.
        tx: the decoded signed transaction.
    """
    header = chain.header
    return (
        header.transaction_root == BLANK_ROOT_HASH
        and header.gas_used == 0
        and getattr(tx, "type_id", None) != BLOB_TX_TYPE
        and issubclass(chain.get_vm_class(header), PragueVM)
    )


def apply_and_mine(
    chain: Any, tx: Any, *, coinbase: bytes, mix_hash: bytes, apply: Any = None
) -> tuple[Any, Any]:
    """Apply ``tx`` to the pending block and mine it, as apply_transaction + mine_block would.

    Args:
        chain: the node's py-evm ``MiningChain`` (its pending header empty, see :func:`applies`).
        tx: the decoded signed transaction.
        coinbase: the mined block's coinbase (``mine_block``'s keyword).
        mix_hash: the mined block's mix hash (``mine_block``'s keyword).
        apply: replaces the VM state's ``apply_transaction(tx)`` for this one transaction,
            called as ``apply(state, tx)`` (:mod:`.tester_reuse`).

    Returns:
        The mined block and the transaction's receipt (``chain.header`` is then the next
        pending header).

    Raises:
        eth_utils.ValidationError: as ``VM.apply_transaction`` raises it (nonce, funds, gas);
            nothing is written then.
    """
    header = chain.header
    vm = chain.get_vm(header)
    if apply is not None:
        vm.state.apply_transaction = lambda transaction: apply(vm.state, transaction)
    receipt, _computation = vm.apply_transaction(header, tx)
    state = vm.state
    state.persist()
    chaindb = chain.chaindb
    transaction_root, transaction_nodes = one_item_trie(tx.encode())
    chaindb.persist_trie_data_dict(transaction_nodes)
    receipt_root, receipt_nodes = one_item_trie(receipt.encode())
    chaindb.persist_trie_data_dict(receipt_nodes)
    mined = header.copy(
        bloom=int(BloomFilter(header.bloom) | receipt.bloom),
        gas_used=receipt.gas_used,
        state_root=state.state_root,
        transaction_root=transaction_root,
        receipt_root=receipt_root,
        coinbase=coinbase,
        mix_hash=mix_hash,
        blob_gas_used=0,
    )
    block = vm.get_block_class()(header=mined, transactions=(tx,), uncles=(), withdrawals=())
    parent = _headers.get(mined.parent_hash)
    if parent is None:
        parent = chaindb.get_block_header_by_hash(mined.parent_hash)
    vm.validate_header(mined, parent)
    persist_block(chaindb, block)
    chain.header = next_header(chain, mined)
    if len(_headers) >= MAX_HEADERS:
        _headers.clear()
    _headers[mined.hash] = mined
    return block, receipt


def seed_sender(tx: Any, raw: bytes) -> None:
    """Give py-evm's decoded ``tx`` its sender recovered from the signed bytes ``raw``.

    py-evm recovers a sender by re-encoding the unsigned fields to hash them (about 0.3 ms);
    :func:`.revm_tx.decode` cuts the signed message from ``raw`` and recovers the same key with
    ``coincurve`` (what ``eth_keys`` calls underneath). The address is stored where py-evm's
    ``sender`` cached property stores its own; a transaction ``revm_tx`` does not decode (other
    types, access lists, anything unusual) keeps py-evm's recovery and its errors.

    Args:
        tx: the transaction py-evm's builder decoded from ``raw``.
        raw: the signed transaction's bytes.
    """
    fast = revm_tx.decode(raw)
    if fast is None or (fast.nonce, fast.r, fast.s) != (tx.nonce, tx.r, tx.s):
        return
    vars(tx).setdefault("sender", fast.sender)


def one_item_trie(item: bytes) -> tuple[bytes, dict[bytes, bytes]]:
    """py-evm's ``make_trie_root_and_nodes`` of a block's one transaction (or receipt).

    The trie holds ``item`` under ``rlp(0)`` (``0x80``, nibbles 8 and 0): one leaf node, its
    path hex-prefixed as an even leaf (``0x20 0x80``), stored by its hash as py-trie stores a
    root.

    Args:
        item: the encoded transaction or receipt (``item.encode()``).

    Returns:
        The trie's root hash and its nodes by hash.
    """
    if not item:  # py-trie: setting a blank value deletes the key
        return BLANK_ROOT_HASH, {}
    node = rlp.encode([b"\x20\x80", item])
    root = keccak(node)
    return root, {root: node}


def next_header(chain: Any, parent: Any) -> Any:
    """The pending header after ``parent``: ``chain.create_header_from_parent(parent)``.

    For a Prague parent on eth-tester's chain (which keeps the parent's gas limit), py-evm
    builds it through a header of each fork from London to Prague, each taking the fields of
    the one before (``create_prague_header_from_parent`` down to
    ``create_london_header_from_parent``); this builds the last one directly from the same
    values: the London fields (``fill_header_params_from_parent``'s parent hash, number, state
    root, zero coinbase; ``new_timestamp_from_parent``; the expected base fee), Paris's
    difficulty, nonce and mix hash, Shanghai's blank withdrawals root, Cancun's zero blob gas
    and blank beacon root, Prague's excess blob gas and empty requests hash. Any other parent
    takes py-evm's own path.

    Args:
        chain: the node's py-evm ``MiningChain`` (eth-tester's).
        parent: the header the next one follows.

    Returns:
        The next pending header.
    """
    number = parent.block_number + 1
    if type(parent) is not PragueBlockHeader or not issubclass(
        chain.get_vm_class_for_block_number(number), PragueVM
    ):
        return chain.create_header_from_parent(parent)
    return PragueBlockHeader(
        parent_hash=parent.hash,
        coinbase=ZERO_ADDRESS,
        state_root=parent.state_root,
        gas_limit=parent.gas_limit,
        difficulty=POST_MERGE_DIFFICULTY,
        block_number=number,
        timestamp=new_timestamp_from_parent(parent),
        nonce=POST_MERGE_NONCE,
        mix_hash=POST_MERGE_MIX_HASH,
        base_fee_per_gas=calculate_expected_base_fee_per_gas(parent),
        withdrawals_root=BLANK_ROOT_HASH,
        blob_gas_used=0,
        excess_blob_gas=calc_excess_blob_gas_prague(parent),
        parent_beacon_block_root=BLANK_ROOT_HASH,
        requests_hash=EMPTY_SHA256,
    )


__all__ = [
    "MAX_HEADERS",
    "applies",
    "apply_and_mine",
    "next_header",
    "one_item_trie",
    "seed_sender",
]
