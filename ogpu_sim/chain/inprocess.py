"""What both in-process backends share: the chain around a node and its web3 provider.

An in-process node (:mod:`.tester_node` on eth-tester, :mod:`.revm_node` on revm) answers
JSON-RPC calls and implements the test-node controls. :class:`InProcessChain` wraps one in a
lock, gives it a ``w3`` through :class:`InProcessProvider` (no HTTP, no threads) and serves it
over HTTP JSON-RPC on 127.0.0.1 on demand, for the SDK's async event watchers and other
processes.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from typing import Any

from web3 import Web3
from web3.middleware import AttributeDictMiddleware
from web3.providers import BaseProvider
from web3.types import RPCEndpoint, RPCResponse

from ..errors import ChainError
from .base import Chain
from .dev_accounts import DevAccounts
from .jsonrpc import INVALID_PARAMS, SERVER_ERROR, RpcError
from .rpc_derived import DerivedMethods
from .rpc_params import check_params


class InProcessProvider(BaseProvider):
    """A web3 provider answering from an in-process node the way a node over HTTP would.

    Errors come back as JSON-RPC ``error`` members (never raised), so web3 raises exactly what
    it raises against geth/anvil: ``ContractLogicError`` and friends for reverts.

    Args:
        dispatch: answers one JSON-RPC call (method, params) or raises :class:`RpcError`;
            it does its own locking.
    """

    def __init__(self, dispatch: Any) -> None:
        super().__init__()
        self._dispatch = dispatch
        self._ids = itertools.count(1)

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        """Answer one request with a ``result`` or an ``error`` member."""
        request_id = next(self._ids)
        try:
            result = self._dispatch(method, params)
        except RpcError as exc:
            return {"jsonrpc": "2.0", "id": request_id, "error": exc.to_dict()}  # type: ignore[typeddict-item]
        except ChainError as exc:
            return {
                "jsonrpc": "2.0",
                "id": request_id,
                "error": {"code": SERVER_ERROR, "message": str(exc)},
            }
        return {"jsonrpc": "2.0", "id": request_id, "result": result}

    def is_connected(self, show_traceback: bool = False) -> bool:
        """Always connected: the node lives in this process."""
        return True


class InProcessChain(Chain):
    """A chain whose node lives in this process: one lock, a provider, HTTP on demand.

    Subclasses pass the node; it answers JSON-RPC (``request``) and implements the chain
    operations (``snapshot``, ``revert``, ``advance_time``, ``mine``, ``now``, ``set_balance``).
    Every entry point takes the lock, so the server thread, simulated providers and tests never
    interleave inside the EVM.
    """

    is_local = True

    def __init__(self, node: Any, chain_id: int) -> None:
        self.chain_id = chain_id
        self.lock = threading.RLock()
        self.node = node
        self.provider = InProcessProvider(self.request)
        # Results as AttributeDicts only: ENS and client-side validation middleware cost an
        # extra request per call, and the node itself validates what matters (chain id, nonce).
        self.w3 = Web3(self.provider, middleware=[AttributeDictMiddleware])
        self.dev_accounts = DevAccounts(chain_id)
        self._derived = DerivedMethods()
        self._server: Any = None

    def request(self, method: str, params: Any) -> Any:
        """Answer one JSON-RPC call under the chain's lock (the provider and server use it).

        Arguments are checked against :data:`~ogpu_sim.chain.rpc_params.PARAMS` first; the
        dev accounts' signing methods (:mod:`.dev_accounts`) and the methods derived from the
        node's basic ones (:mod:`.rpc_derived`) are answered here, the rest by the node.
        """
        with self.lock:
            args = check_params(method, params)
            if method not in DevAccounts.METHODS and method not in DerivedMethods.METHODS:
                return self.node.request(method, args)
            try:
                if method in DevAccounts.METHODS:
                    return self.dev_accounts.answer(method, args, self.node.request)
                return self._derived.answer(method, args, self.node.request)
            except (TypeError, AttributeError, KeyError, ValueError):
                raise RpcError(
                    INVALID_PARAMS,
                    f"invalid arguments for {method}: an argument has the wrong type",
                ) from None

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
        """Return to a snapshot; younger snapshot ids become invalid.

        Raises:
            SnapshotError: unknown or invalidated id.
        """
        with self.lock:
            self.node.revert(snapshot_id)

    def advance_time(self, seconds: int) -> None:
        """Jump chain time: the next block's timestamp is >= ``now() + seconds``.

        Raises:
            ChainError: ``seconds`` is negative or not an integer.
        """
        with self.lock:
            self.node.advance_time(seconds)

    def mine(self, blocks: int = 1) -> None:
        """Mine ``blocks`` empty blocks.

        Raises:
            ChainError: ``blocks`` is not a positive integer.
        """
        with self.lock:
            self.node.mine(blocks)

    def now(self) -> int:
        """The timestamp the next block will carry (never behind the wall clock)."""
        with self.lock:
            return int(self.node.now())

    def set_balance(self, address: str, wei: int) -> None:
        """Set the native balance of ``address`` (mined into a block; snapshots include it).

        Raises:
            ChainError: ``wei`` is negative; RpcError: ``address`` is invalid.
        """
        with self.lock:
            self.node.set_balance(address, wei)

    def set_clock(self, clock: Callable[[], float] | None) -> None:
        """Make block time follow ``clock`` instead of the wall clock (``None``: wall clock).

        A frozen clock makes chain time move only by :meth:`advance_time` and one second per
        block, so a run replays identically (hypothesis shrinking needs that).
        """
        with self.lock:
            self.node.clock = clock or time.time

    def close(self) -> None:
        """Stop the HTTP server if one runs; idempotent."""
        with self.lock:
            server, self._server = self._server, None
        if server is not None:
            server.stop()


__all__ = ["InProcessChain", "InProcessProvider"]
