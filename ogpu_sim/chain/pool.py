"""The transaction pool of the in-process chains: future nonces wait, paused mining holds.

geth and anvil keep what they cannot mine yet. A transaction whose nonce is above its sender's
next one is *queued* until the gap fills; while mining is paused (or between interval blocks)
an executable transaction is *pending*. The in-process nodes mine whatever they are handed, at
once, so :class:`TxPool` holds transactions in front of them and hands them over in nonce order
(:class:`~ogpu_sim.chain.inprocess.InProcessChain` drives it). ``eth_getTransactionCount`` with
``pending`` counts pending transactions but not queued ones, as geth does; ``txpool_content``,
``txpool_contentFrom``, ``txpool_status`` and ``txpool_inspect`` answer in geth's shapes.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eth.vm.forks.prague.transactions import PragueTransactionBuilder
from eth_utils import keccak

from .jsonrpc import SERVER_ERROR, RpcError, quantity
from .revm_exec import checksum
from .revm_json import Block, tx_json

MAX_PER_SENDER = 1024
"""Most transactions one sender may have waiting (geth keeps 64 queued per account; the
shuffled-nonce workloads this pool serves send hundreds)."""
MAX_TOTAL = 8192
PRICE_BUMP_PERCENT = 10
"""A replacement must raise both fee fields by this much (geth's default)."""

_NO_BLOCK = Block(0, "", "", 0, [])


@dataclass
class PoolTx:
    """One signed transaction waiting in the pool."""

    raw: bytes
    hash: str
    sender: str
    nonce: int
    tx: Any
    order: int

    @property
    def fees(self) -> tuple[int, int]:
        """(fee cap, tip) per gas; both are the gas price for legacy transactions."""
        return int(self.tx.max_fee_per_gas), int(self.tx.max_priority_fee_per_gas)

    def json(self) -> dict[str, Any]:
        """The transaction as ``eth_getTransactionByHash`` answers it before it is mined."""
        body = tx_json(self.tx, self.hash, self.sender, _NO_BLOCK)
        body.update(blockHash=None, blockNumber=None, transactionIndex=None)
        return body

    def summary(self) -> str:
        """geth's ``txpool_inspect`` line: recipient, value, gas limit and fee cap."""
        to = checksum(self.tx.to) if self.tx.to else "contract creation"
        return f"{to}: {self.tx.value} wei + {self.tx.gas} gas × {self.fees[0]} wei"  # noqa: RUF001


def decode(raw: bytes) -> PoolTx | None:
    """Decode a signed transaction, or None when it is not one (the node words that error)."""
    try:
        tx = PragueTransactionBuilder.decode(raw)
        sender = checksum(tx.sender)
    except Exception:  # rlp, signature and field errors alike
        return None
    return PoolTx(raw, "0x" + keccak(raw).hex(), sender, int(tx.nonce), tx, 0)


class TxPool:
    """Pending and queued transactions by sender and nonce; the chain's lock guards it."""

    def __init__(self) -> None:
        self.pending: dict[str, dict[int, PoolTx]] = {}
        self.queued: dict[str, dict[int, PoolTx]] = {}
        self._order = itertools.count()

    def __len__(self) -> int:
        return sum(len(txs) for txs in (*self.pending.values(), *self.queued.values()))

    def find(self, tx_hash: str) -> PoolTx | None:
        """The waiting transaction with ``tx_hash``, if any."""
        wanted = tx_hash.lower()
        for group in (self.pending, self.queued):
            for txs in group.values():
                for item in txs.values():
                    if item.hash == wanted:
                        return item
        return None

    def next_nonce(self, sender: str, chain_nonce: int) -> int:
        """The nonce after ``sender``'s mined and pending transactions."""
        nonce = chain_nonce
        pending = self.pending.get(sender, {})
        while nonce in pending:
            nonce += 1
        return nonce

    def add(self, item: PoolTx, *, pending: bool) -> str:
        """Hold ``item`` (pending or queued), replacing a same-nonce one that pays 10% less.

        Raises:
            RpcError: ``already known``, ``replacement transaction underpriced`` or a full pool
                (geth's wording, which the SDK recognises).
        """
        group = self.pending if pending else self.queued
        txs = group.setdefault(item.sender, {})
        old = txs.get(item.nonce)
        if old is not None:
            if old.hash == item.hash:
                raise RpcError(SERVER_ERROR, "already known")
            if not _outbids(item, old):
                raise RpcError(SERVER_ERROR, "replacement transaction underpriced")
        else:
            waiting = len(self.pending.get(item.sender, {})) + len(self.queued.get(item.sender, {}))
            if waiting >= MAX_PER_SENDER:
                raise RpcError(
                    SERVER_ERROR,
                    f"txpool is full: {item.sender} already has {waiting} transactions waiting",
                )
            if len(self) >= MAX_TOTAL:
                raise RpcError(SERVER_ERROR, f"txpool is full: {MAX_TOTAL} transactions waiting")
        item.order = next(self._order)
        txs[item.nonce] = item
        return item.hash

    def remove(self, item: PoolTx) -> None:
        """Forget ``item`` wherever it waits."""
        for group in (self.pending, self.queued):
            txs = group.get(item.sender)
            if txs is not None and txs.get(item.nonce) is item:
                del txs[item.nonce]
                if not txs:
                    del group[item.sender]

    def pop_queued(self, sender: str, nonce: int) -> PoolTx | None:
        """Take ``sender``'s queued transaction with ``nonce`` out of the queue, if there is one."""
        txs = self.queued.get(sender)
        item = txs.pop(nonce, None) if txs else None
        if txs is not None and not txs:
            del self.queued[sender]
        return item

    def promote(self, sender: str, chain_nonce: int) -> None:
        """Move queued transactions that no longer wait behind a gap to pending."""
        nonce = self.next_nonce(sender, chain_nonce)
        while (item := self.pop_queued(sender, nonce)) is not None:
            self.pending.setdefault(sender, {})[nonce] = item
            nonce += 1

    def oldest_pending(self) -> PoolTx | None:
        """The pending transaction to mine next: lowest nonce per sender, oldest first."""
        heads = [txs[min(txs)] for txs in self.pending.values() if txs]
        return min(heads, key=lambda item: item.order) if heads else None

    def everything(self) -> list[PoolTx]:
        """Every waiting transaction, oldest first."""
        items = [i for g in (self.pending, self.queued) for txs in g.values() for i in txs.values()]
        return sorted(items, key=lambda item: item.order)

    def clear(self) -> list[PoolTx]:
        """Forget everything (the chain went back in time); returns what was waiting."""
        items = self.everything()
        self.pending.clear()
        self.queued.clear()
        return items

    # -- geth's txpool namespace ---------------------------------------------------------------
    def content(self, sender: str | None = None) -> dict[str, Any]:
        """``txpool_content`` (or ``txpool_contentFrom`` for one sender)."""
        answer: dict[str, Any] = {}
        for name, group in (("pending", self.pending), ("queued", self.queued)):
            answer[name] = {
                who: {str(n): item.json() for n, item in sorted(txs.items())}
                for who, txs in group.items()
                if sender is None or who == sender
            }
        if sender is not None:
            return {name: body.get(sender, {}) for name, body in answer.items()}
        return answer

    def status(self) -> dict[str, str]:
        """``txpool_status``: hex counts of pending and queued transactions."""
        return {
            "pending": hex(sum(len(t) for t in self.pending.values())),
            "queued": hex(sum(len(t) for t in self.queued.values())),
        }

    def inspect(self) -> dict[str, Any]:
        """``txpool_inspect``: one summary line per transaction."""
        return {
            name: {
                who: {str(n): item.summary() for n, item in sorted(txs.items())}
                for who, txs in group.items()
            }
            for name, group in (("pending", self.pending), ("queued", self.queued))
        }


def _outbids(new: PoolTx, old: PoolTx) -> bool:
    factor = 100 + PRICE_BUMP_PERCENT
    return all(n * 100 >= o * factor for n, o in zip(new.fees, old.fees, strict=True))


# -- the pool's JSON-RPC methods, answered by the in-process chain ---------------------------
def _transaction_count(chain: Any, address: str, tag: Any = "latest") -> str:
    if tag == "pending" and chain.pool.pending:
        return hex(chain.pool.next_nonce(address, chain._chain_nonce(address)))
    return str(chain.node.request("eth_getTransactionCount", [address, tag]))


def _transaction(chain: Any, tx_hash: Any) -> Any:
    found = chain.node.request("eth_getTransactionByHash", [tx_hash])
    if found is None and isinstance(tx_hash, str) and len(chain.pool):
        waiting = chain.pool.find(tx_hash)
        return waiting.json() if waiting is not None else None
    return found


def _drop(chain: Any, tx_hash: Any) -> Any:
    waiting = chain.pool.find(str(tx_hash))
    if waiting is None:
        return None
    chain.pool.remove(waiting)
    return waiting.hash


def _mine(chain: Any, count: Any = "0x1", *_: Any) -> None:
    chain._mine_blocks(max(1, quantity(count, "count")))


def _content_from(chain: Any, address: str) -> dict[str, Any]:
    return chain.pool.content(checksum(address))


POOL_METHODS: dict[str, Callable[..., Any]] = {
    "eth_getTransactionCount": _transaction_count,
    "eth_getTransactionByHash": _transaction,
    "txpool_content": lambda c: c.pool.content(),
    "txpool_contentFrom": _content_from,
    "txpool_status": lambda c: c.pool.status(),
    "txpool_inspect": lambda c: c.pool.inspect(),
    "anvil_dropTransaction": _drop,
    "anvil_dropAllTransactions": lambda c: (c.pool.clear(), None)[1],
    "anvil_getAutomine": lambda c: c._mining == "auto",
    "evm_mine": lambda c, *_: (c._mine_blocks(1), "0x0")[1],
    "anvil_mine": _mine,
}
"""Methods the in-process chain answers from its pool (``chain`` is the InProcessChain)."""


__all__ = ["MAX_PER_SENDER", "MAX_TOTAL", "POOL_METHODS", "PoolTx", "TxPool", "decode"]
