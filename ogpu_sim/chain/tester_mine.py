"""One transaction applied and mined as one block, with py-evm's own steps done once each.

eth-tester's node path for a sent transaction is py-evm's ``MiningChain.apply_transaction``
followed by ``MiningChain.mine_block`` (py-evm 0.12.1b1). Between them the pending block is
built twice (``VM.get_block``, the second time decoding its transactions back from the
database), the header is copied six times, the state is persisted twice (the second time a
fresh state with nothing to write: a Paris+ VM assigns no block reward), and the finished
block is validated twice (``VM.validate_block`` and ``Chain.validate_block``: the header
against its parent both times, plus a recomputed transaction root, the state root's presence
and the empty uncles of a block this very code just built). :func:`apply_and_mine` runs the
same py-evm functions in the same order on the same values, once: ``VM.apply_transaction``
(every transaction check and the state transition), one ``persist``, py-evm's
``make_trie_root_and_nodes`` for the transaction and receipt roots (their nodes persisted as
``set_block_transactions_and_withdrawals`` persists them), one header copy carrying every
field the six copies set (bloom and gas used as ``add_receipt_to_header``, the roots, and
``pack_block``'s coinbase, mix hash and blob gas), the VM's ``validate_header`` against the
parent, ``ChainDB.persist_block`` and the next pending header from ``create_header_from_parent``.
It applies only where that is exactly py-evm's result: a Prague VM (no block reward, the blob
fields eth-tester's backend mines with), an empty pending block, a transaction without blobs;
:func:`applies` says so, and the caller otherwise takes py-evm's own path.
"""

from __future__ import annotations

from typing import Any

from eth.constants import BLANK_ROOT_HASH
from eth.db.trie import make_trie_root_and_nodes
from eth.vm.forks import PragueVM
from eth_bloom import BloomFilter

BLOB_TX_TYPE = 3


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


def apply_and_mine(chain: Any, tx: Any, *, coinbase: bytes, mix_hash: bytes) -> Any:
    """Apply ``tx`` to the pending block and mine it, as apply_transaction + mine_block would.

    Args:
        chain: the node's py-evm ``MiningChain`` (its pending header empty, see :func:`applies`).
        tx: the decoded signed transaction.
        coinbase: the mined block's coinbase (``mine_block``'s keyword).
        mix_hash: the mined block's mix hash (``mine_block``'s keyword).

    Returns:
        The mined block (``chain.header`` is then the next pending header).

    Raises:
        eth_utils.ValidationError: as ``VM.apply_transaction`` raises it (nonce, funds, gas);
            nothing is written then.
    """
    header = chain.header
    vm = chain.get_vm(header)
    receipt, _computation = vm.apply_transaction(header, tx)
    state = vm.state
    state.persist()
    chaindb = chain.chaindb
    transaction_root, transaction_nodes = make_trie_root_and_nodes((tx,))
    chaindb.persist_trie_data_dict(transaction_nodes)
    receipt_root, receipt_nodes = make_trie_root_and_nodes((receipt,))
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
    vm.validate_header(mined, chaindb.get_block_header_by_hash(mined.parent_hash))
    chaindb.persist_block(block)
    chain.header = chain.create_header_from_parent(mined)
    return block


__all__ = ["applies", "apply_and_mine"]
