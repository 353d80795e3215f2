"""What both in-process backends share: the chain around a node, its pool, faults and provider.

An in-process node (:mod:`.tester_node` on eth-tester, :mod:`.revm_node` on revm) answers
JSON-RPC calls and mines every transaction it is handed at once. :class:`InProcessChain` wraps
one in a lock and adds what a live node has around its EVM: a transaction pool for future
nonces and paused or interval mining (:mod:`.pool`), injected faults (:mod:`.faults`), reorgs,
a ``w3`` through :class:`InProcessProvider` (no HTTP, no threads) and an HTTP JSON-RPC server on
127.0.0.1 on demand, for the SDK's async event watchers and other processes.

Every call goes through :meth:`InProcessChain.request`: the faults decide first (outside the
lock, so a fault callback may use the chain), then the pool's methods or the node answer under
the lock. While the pool is empty and mining is automatic, a transaction goes straight to the
node; only a nonce the node calls too high is decoded and queued. ``eth_sendRawTransactionSync``
(EIP-7966, as anvil has it) sends the same way and answers with the receipt: at once when the
transaction was mined on sending, else when mining takes it (waiting outside the lock).
The harness reads some state directly (:meth:`InProcessChain.head_storage` and the others under
"direct reads"), finding the chain of a ``w3`` with :func:`in_process_chain`.
(About 470 lines: the pool's entry points and the mining modes they depend on stay together.)
"""

from __future__ import annotations

import contextlib
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from typing import Any

from web3 import Web3
from web3.middleware import AttributeDictMiddleware

from ..errors import ChainError
from .base import Chain
from .dev_accounts import DevAccounts
from .faults import SEND_RAW, SEND_RAW_SYNC, ChainFaults, faulty_call
from .jsonrpc import (
    INVALID_PARAMS,
    SERVER_ERROR,
    TRANSACTION_REJECTED,
    RpcError,
    confirmation_timeout,
    data_bytes,
    quantity,
)
from .pool import POOL_METHODS, PoolTx, TxPool, decode
from .provider import InProcessProvider
from .rpc_derived import DerivedMethods
from .rpc_params import check_params

MINING_METHODS = ("evm_setAutomine", "evm_setIntervalMining")
SYNC_TIMEOUT = 30.0
"""Seconds ``eth_sendRawTransactionSync`` waits for a transaction that was not mined at once
(anvil's default); a call may ask for less (EIP-7966's timeout, in milliseconds)."""
_SYNC_POLL_MAX = 0.02  # seconds between receipt reads while a sync send waits


COUNT_BY_NUMBER = "eth_getBlockTransactionCountByNumber"


def _no_count(_tag: Any) -> None:
    """A node without ``mined_transaction_count``: the derived answer decides."""
    return None


class InProcessChain(Chain):
    """A chain whose node lives in this process: one lock, a pool, faults, HTTP on demand.

    Subclasses pass the node; it answers JSON-RPC (``request``) and implements the chain
    operations (``snapshot``, ``revert``, ``advance_time``, ``mine``, ``now``, ``set_balance``,
    ``reorg``) and ``head_number`` and ``filters``. Every entry point takes the lock, so the
    server thread, simulated providers and tests never interleave inside the EVM.
    """

    is_local = True

    def __init__(self, node: Any, chain_id: int) -> None:
        self.chain_id = chain_id
        self.lock = threading.RLock()
        self.node = node
        self.pool = TxPool()
        self.faults = ChainFaults(self)
        self._mining = "auto"
        self._ticker: threading.Thread | None = None
        self._ticker_stop = threading.Event()
        self.provider = InProcessProvider(self.request)
        # Results as AttributeDicts only: ENS and client-side validation middleware cost an
        # extra request per call, and the node itself validates what matters (chain id, nonce).
        self.w3 = Web3(self.provider, middleware=[AttributeDictMiddleware])
        self.dev_accounts = DevAccounts(chain_id)
        self._derived = DerivedMethods()
        self._server: Any = None
        _CHAINS[self.provider] = weakref.ref(self)

    # -- JSON-RPC -----------------------------------------------------------------------------
    def request(self, method: str, params: Any) -> Any:
        """Answer one JSON-RPC call: faults first, then the pool or the node under the lock.

        Arguments are checked against :data:`~ogpu_sim.chain.rpc_params.PARAMS` first; the
        pool's methods, the dev accounts' signing methods (:mod:`.dev_accounts`) and the
        methods derived from the node's basic ones (:mod:`.rpc_derived`) are answered here, the
        rest by the node. Transactions the dev accounts sign go through the pool too.

        Raises:
            RpcError: the node's (or an injected) JSON-RPC error.
            InjectedFault: an injected transport fault, for the caller's transport to act out.
        """
        if method in MINING_METHODS:
            return faulty_call(
                self.faults, method, params, lambda _drop: self._mining_method(method, params)
            )
        if method == SEND_RAW_SYNC:
            return faulty_call(
                self.faults, method, params, lambda drop: self._send_sync(params, drop)
            )

        def call(drop: bool) -> Any:
            with self.lock:
                return self._dispatch(method, params, drop)

        return faulty_call(self.faults, method, params, call)

    def _dispatch(self, method: str, params: Any, drop: bool = False) -> Any:
        args = check_params(method, params)
        if method == COUNT_BY_NUMBER and args:  # ``simulate`` asks it of every new block
            count = getattr(self.node, "mined_transaction_count", _no_count)(args[0])
            if count is not None:
                return count
        if method not in DevAccounts.METHODS and method not in DerivedMethods.METHODS:
            return self._basic(method, args, drop)
        try:
            if method in DevAccounts.METHODS:
                return self.dev_accounts.answer(method, args, self._basic)
            return self._derived.answer(method, args, self._basic)
        except (TypeError, AttributeError, KeyError, ValueError):
            raise RpcError(
                INVALID_PARAMS,
                f"invalid arguments for {method}: an argument has the wrong type",
            ) from None

    def _basic(self, method: str, args: list[Any], drop: bool = False) -> Any:
        """A basic method: the pool's (sending included) or the node's."""
        if method == SEND_RAW:
            if len(args) != 1:
                raise RpcError(-32602, f"{SEND_RAW} takes one parameter, the signed transaction")
            return self._send_raw(args[0], drop)
        handler = POOL_METHODS.get(method)
        if handler is None:
            return self.node.request(method, args)
        try:
            return handler(self, *args)
        except TypeError as exc:
            raise RpcError(-32602, f"invalid arguments for {method}: {exc}") from None

    def _mining_method(self, method: str, params: Any) -> Any:
        value = (list(params) or [None])[0] if isinstance(params, (list, tuple)) else params
        if method == "evm_setAutomine":
            if not isinstance(value, bool):
                raise RpcError(-32602, f"evm_setAutomine takes true or false, got {value!r}")
            if value:
                self.faults.resume_mining()
            else:
                self.faults.pause_mining()
            return None
        seconds = quantity(value, "interval") if isinstance(value, str) else value
        if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds < 0:
            raise RpcError(-32602, f"evm_setIntervalMining takes whole seconds >= 0, got {value!r}")
        if seconds == 0:
            self.faults.pause_mining()
        else:
            self.faults.mine_every(float(seconds))
        return None

    def _send_sync(self, params: Any, drop: bool) -> Any:
        """``eth_sendRawTransactionSync``: send, then answer the receipt once it is mined.

        Raises:
            RpcError: what ``eth_sendRawTransaction`` raises; the confirmation timeout when the
                transaction is not mined within the timeout (a dropped one: at once).
        """
        args = check_params(SEND_RAW_SYNC, params)
        timeout = SYNC_TIMEOUT
        if len(args) > 1:
            timeout = min(timeout, quantity(args[1], "timeout") / 1000)
        with self.lock:
            tx_hash = self._send_raw(args[0], drop)
            if drop:
                raise confirmation_timeout(tx_hash)
            receipt = self.node.request("eth_getTransactionReceipt", [tx_hash])
        deadline, pause = time.monotonic() + timeout, 0.001
        while receipt is None:  # pooled: paused or interval mining, or behind a nonce gap
            left = deadline - time.monotonic()
            if left <= 0:
                raise confirmation_timeout(tx_hash)
            time.sleep(min(pause, left))
            pause = min(2 * pause, _SYNC_POLL_MAX)
            with self.lock:
                receipt = self.node.request("eth_getTransactionReceipt", [tx_hash])
        return receipt

    # -- the pool -----------------------------------------------------------------------------
    def _send_raw(self, raw_hex: Any, drop: bool) -> Any:
        pool = self.pool
        if self._mining == "auto" and not drop and not pool.queued and not pool.pending:
            try:
                return self.node.request(SEND_RAW, [raw_hex])
            except RpcError as exc:
                if not exc.message.startswith("nonce too high"):
                    raise
        item = decode(data_bytes(raw_hex, "raw transaction"))
        if item is None:
            return self.node.request(SEND_RAW, [raw_hex])
        if pool.find(item.hash) is not None:
            raise RpcError(SERVER_ERROR, "already known")
        chain_nonce = self._chain_nonce(item.sender)
        if item.nonce < chain_nonce:
            return self.node.request(SEND_RAW, [raw_hex])  # the node words "nonce too low"
        if drop:
            return item.hash
        next_nonce = pool.next_nonce(item.sender, chain_nonce)
        if item.nonce > next_nonce:
            return pool.add(item, pending=False)  # waits for the gap to fill
        if item.nonce < next_nonce:
            self._admissible(item)
            return pool.add(item, pending=True)  # replaces a pending one, or refuses
        if self._mining == "auto":
            tx_hash = self.node.request(SEND_RAW, [raw_hex])
            self._mine_queued(item.sender, item.nonce + 1)
            return tx_hash
        self._admissible(item)
        pool.add(item, pending=True)
        pool.promote(item.sender, chain_nonce)
        return item.hash

    def _chain_nonce(self, address: str) -> int:
        return int(self.node.request("eth_getTransactionCount", [address, "latest"]), 16)

    def _admissible(self, item: PoolTx) -> None:
        """What a node checks before pooling a transaction it will not mine at once."""
        chain_id = getattr(item.tx, "chain_id", None)
        if chain_id is not None and chain_id != self.chain_id:
            raise RpcError(
                TRANSACTION_REJECTED,
                f"invalid chain id for signer: have {chain_id} want {self.chain_id}",
            )
        if item.tx.gas < item.tx.intrinsic_gas:
            raise RpcError(
                TRANSACTION_REJECTED,
                f"intrinsic gas too low: gas {item.tx.gas}, minimum needed {item.tx.intrinsic_gas}",
            )
        have = int(self.node.request("eth_getBalance", [item.sender, "latest"]), 16)
        want = item.tx.gas * item.fees[0] + item.tx.value
        if have < want:
            raise RpcError(
                TRANSACTION_REJECTED,
                f"insufficient funds for gas * price + value: have {have} want {want}",
            )

    def _mine_queued(self, sender: str, nonce: int) -> None:
        """Mine ``sender``'s queued transactions that no longer wait behind a gap."""
        while (item := self.pool.pop_queued(sender, nonce)) is not None:
            try:
                self.node.request(SEND_RAW, ["0x" + item.raw.hex()])
            except RpcError:  # no longer valid (funds): a node evicts it
                return
            nonce += 1

    def _mine_one_pending(self) -> bool:
        """Mine the oldest pending transaction in its own block; False when none is pending."""
        item = self.pool.oldest_pending()
        if item is None:
            return False
        self.pool.remove(item)
        try:
            self.node.request(SEND_RAW, ["0x" + item.raw.hex()])
        except RpcError:  # no longer valid: evict it; its sender's later ones wait again
            for later in list(self.pool.pending.get(item.sender, {}).values()):
                self.pool.remove(later)
                self.pool.add(later, pending=False)
        return True

    def _mine_blocks(self, blocks: int) -> None:
        for _ in range(blocks):
            if not self._mine_one_pending():
                self.node.mine(1)

    def pending_count(self, address: str) -> int:
        """``address``'s transaction count including its pending (not queued) transactions."""
        with self.lock:
            return self.pool.next_nonce(address, self._chain_nonce(address))

    # -- mining modes and reorgs (for ChainFaults) ---------------------------------------------
    def set_mining(self, mode: str, interval: float | None) -> None:
        """``auto`` mines each transaction when sent (pending ones at once), ``paused`` holds
        them, ``interval`` mines every ``interval`` seconds in a background thread."""
        self._stop_ticker()
        with self.lock:
            self._mining = mode
            if mode == "auto":
                while self._mine_one_pending():
                    pass
        if mode == "interval":
            assert interval is not None
            self._ticker_stop.clear()
            self._ticker = threading.Thread(
                target=self._tick, args=(interval,), name="ogpu-sim-interval-mining", daemon=True
            )
            self._ticker.start()

    def _tick(self, interval: float) -> None:
        while not self._ticker_stop.wait(interval):
            with self.lock:
                if not self._mine_one_pending():
                    self.node.mine(1)
                while self._mine_one_pending():
                    pass

    def _stop_ticker(self) -> None:
        ticker, self._ticker = self._ticker, None
        if ticker is not None:
            self._ticker_stop.set()
            ticker.join(timeout=10)

    def reorg(self, depth: int, remine: bool) -> list[str]:
        """Replace the last ``depth`` blocks by as many new ones; see :meth:`ChainFaults.reorg`.

        Raises:
            ChainError: ``depth`` reaches the genesis block or past what the node keeps.
        """
        with self.lock:
            head = self.node.head_number
            if depth > head:
                raise ChainError(f"cannot reorg {depth} blocks: block {head} is the head")
            waiting = self.pool.clear()
            raws, hashes = self.node.reorg(depth)
            if remine:
                self.node.mine(1)  # the re-mined transactions land in other blocks
            for raw in [*(raws if remine else []), *(item.raw for item in waiting)]:
                with contextlib.suppress(RpcError):  # no longer valid on the new chain
                    self._send_raw("0x" + raw.hex(), drop=False)
            while self.node.head_number < head:
                self.node.mine(1)
            return list(hashes)

    # -- direct reads for the harness ----------------------------------------------------------
    def head(self) -> int:
        """Number of the latest block (no JSON-RPC round trip)."""
        with self.lock:
            return int(self.node.head_number)

    def logs(
        self, from_block: int, to_block: int | None = None, addresses: list[str] | None = None
    ) -> list[dict[str, Any]]:
        """Logs of blocks ``from_block..to_block`` straight from the node (JSON-RPC shape)."""
        with self.lock:
            return self.node.filters.collect(from_block, to_block, addresses)

    def head_code_hash(self, address: str) -> bytes:
        """The keccak of ``address``'s code at ``latest``, where calls run (no JSON-RPC, no faults).

        Raises:
            ValueError: ``address`` is not a 20-byte 0x-hex address.
        """
        with self.lock:
            return bytes(self.node.head_code_hash(address))

    def head_storage(self, address: str, slots: Sequence[int]) -> list[int]:
        """Storage ``slots`` of ``address`` at ``latest`` as ints (no JSON-RPC, no faults).

        Hold :attr:`lock` around several reads that must see the same state.

        Raises:
            ValueError: ``address`` is not a 20-byte 0x-hex address.
        """
        with self.lock:
            return list(self.node.head_storage(address, slots))

    # -- serving and chain operations ----------------------------------------------------------
    @property
    def rpc_url(self) -> str | None:
        """The HTTP JSON-RPC URL once :meth:`serve` ran, else None."""
        return self._server.url if self._server is not None else None

    def serve(self) -> str:
        """Start (once) the 127.0.0.1 HTTP JSON-RPC server for this chain; returns its URL."""
        with self.lock:
            if self._server is None:
                from .rpc_server import RpcServer

                self._server = RpcServer(self.request).start()
            return str(self._server.url)

    def snapshot(self) -> str:
        """Record head block and time offset; the id stays valid across reverts to it."""
        with self.lock:
            return str(self.node.snapshot())

    def revert(self, snapshot_id: str) -> None:
        """Return to a snapshot; younger snapshot ids become invalid, the pool is emptied.

        Raises:
            SnapshotError: unknown or invalidated id.
        """
        with self.lock:
            self.node.revert(snapshot_id)
            self.pool.clear()

    def release(self, snapshot_id: str) -> None:
        """Forget a snapshot (on revm this closes the journal checkpoint it keeps open)."""
        with self.lock:
            self.node.release(snapshot_id)

    def advance_time(self, seconds: int) -> None:
        """Jump chain time: the next block's timestamp is >= ``now() + seconds``.

        Raises:
            ChainError: ``seconds`` is negative or not an integer.
        """
        with self.lock:
            self.node.advance_time(seconds)

    def mine(self, blocks: int = 1) -> None:
        """Mine ``blocks`` blocks; each takes the oldest pending transaction, if any.

        Raises:
            ChainError: ``blocks`` is not a positive integer.
        """
        from .base import check_blocks

        with self.lock:
            self._mine_blocks(check_blocks(blocks))

    def now(self) -> int:
        """The timestamp the next block will carry (never behind the wall clock)."""
        with self.lock:
            return int(self.node.now())

    def set_balance(self, address: str, wei: int) -> None:
        """Set the native balance of ``address`` (snapshots include it).

        Raises:
            ChainError: ``wei`` is negative; RpcError: ``address`` is invalid.
        """
        with self.lock:
            self.node.set_balance(address, wei)

    def set_clock(self, clock: Callable[[], float] | None) -> None:
        """Make block time follow ``clock`` instead of the wall clock (``None``: wall clock).

        A frozen clock makes chain time move only by :meth:`advance_time`, so a run replays
        identically (hypothesis shrinking needs that).
        """
        with self.lock:
            self.node.clock = clock or time.time

    def close(self) -> None:
        """Stop interval mining and the HTTP server if they run; idempotent."""
        self._stop_ticker()
        with self.lock:
            server, self._server = self._server, None
        if server is not None:
            server.stop()


_CHAINS: weakref.WeakKeyDictionary[Any, weakref.ref[InProcessChain]] = weakref.WeakKeyDictionary()


def in_process_chain(w3: Web3) -> InProcessChain | None:
    """The in-process chain answering ``w3``'s provider, else ``None`` (a node elsewhere)."""
    try:
        ref = _CHAINS.get(w3.provider)
    except TypeError:  # a provider that cannot be weakly referenced or hashed: not ours
        return None
    return None if ref is None else ref()


__all__ = ["InProcessChain", "InProcessProvider", "in_process_chain"]
