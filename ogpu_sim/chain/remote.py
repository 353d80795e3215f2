"""A chain reached over HTTP JSON-RPC: anvil, hardhat, geth --dev, a testnet, or our own server.

Test-node controls use the de-facto standard methods (``evm_snapshot``, ``evm_revert``,
``evm_increaseTime``, ``evm_mine``, ``anvil_setBalance``/``hardhat_setBalance``) where the node
has them; where it does not, the operation raises a :class:`ChainError` naming the missing
method. Nodes consume a snapshot when reverting to it (anvil, hardhat): :class:`RemoteChain`
re-takes it so our ids stay valid, and restores the time offset the snapshot was taken with
(anvil resets chain time to the snapshot block's timestamp on revert).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from web3 import HTTPProvider, Web3
from web3.middleware import AttributeDictMiddleware

from ..errors import (
    ChainError,
    ConfigError,
    MissingRpcMethodError,
)
from .base import (
    Chain,
    SnapshotError,
    SnapshotLedger,
    check_blocks,
    check_seconds,
    check_wei,
    is_loopback_url,
)
from .jsonrpc import METHOD_NOT_FOUND


@dataclass(frozen=True)
class _Saved:
    node_id: Any
    time_offset: int


class RemoteChain(Chain):
    """Any JSON-RPC node behind the :class:`Chain` interface.

    Args:
        rpc_url: the node's ``http(s)://`` URL.
        timeout: seconds per HTTP request.

    Raises:
        ConfigError: ``rpc_url`` is not an http(s) URL.
        ChainError: the node cannot be reached.
    """

    def __init__(self, rpc_url: str, timeout: float = 30.0) -> None:
        if not isinstance(rpc_url, str) or not rpc_url.startswith(("http://", "https://")):
            raise ConfigError("rpc_url", f"must be an http:// or https:// URL, got {rpc_url!r}")
        self._url = rpc_url
        self.lock = threading.RLock()
        self.is_local = is_loopback_url(rpc_url)
        provider = HTTPProvider(rpc_url, request_kwargs={"timeout": timeout})
        self.w3 = Web3(provider, middleware=[AttributeDictMiddleware])
        try:
            self.chain_id = int(self.w3.eth.chain_id)
        except Exception as exc:  # requests and web3 raise many types for an unreachable node
            raise ChainError(f"cannot reach a JSON-RPC node at {rpc_url}: {exc}") from exc
        self._time_offset = 0
        self._snapshots: SnapshotLedger[_Saved] = SnapshotLedger()

    @property
    def rpc_url(self) -> str:
        """The node's URL."""
        return self._url

    def serve(self) -> str:
        """The node already serves HTTP: return its URL."""
        return self._url

    def _call(self, method: str, params: list[Any]) -> dict[str, Any]:
        with self.lock:
            return dict(self.w3.provider.make_request(method, params))  # type: ignore[arg-type]

    def _control(self, operation: str, methods: tuple[str, ...], params: list[Any]) -> Any:
        """Call the first of ``methods`` the node knows; raise naming them all if none."""
        for method in methods:
            response = self._call(method, params)
            error = response.get("error")
            if error is None:
                return response.get("result")
            if _is_missing_method(error):
                continue
            message = error.get("message", error) if isinstance(error, dict) else error
            raise ChainError(f"{operation}: {method} failed on {self._url}: {message}")
        raise MissingRpcMethodError(self._url, operation, methods)

    def _pending_timestamp(self) -> int:
        """The node's idea of the next block's timestamp (its ``pending`` block)."""
        latest = self.w3.eth.get_block("latest")
        try:
            pending = self.w3.eth.get_block("pending")
        except Exception:  # nodes without a pending block: estimate from latest
            pending = None
        if pending is not None and pending["number"] == latest["number"] + 1:
            return max(int(pending["timestamp"]), int(latest["timestamp"]) + 1)
        return max(int(latest["timestamp"]) + 1, int(time.time()) + self._time_offset)

    def now(self) -> int:
        """The timestamp the next block will carry."""
        with self.lock:
            return self._pending_timestamp()

    def advance_time(self, seconds: int) -> None:
        """``evm_increaseTime`` so the next block carries at least ``now() + seconds``, then mine.

        The jump is mined into a block at once so that calls and gas estimates, which a node
        runs in the latest block's context, see the new time too.

        Raises:
            ChainError: negative seconds, or the node lacks ``evm_increaseTime``.
        """
        check_seconds(seconds)
        with self.lock:
            target = self._pending_timestamp() + seconds
            self._increase_to(target)
            self._time_offset += seconds
            if seconds:
                # Nodes run calls and estimates in the latest block's context: mine one at the
                # new time so a call made next already sees it.
                self._control("advance_time", ("evm_mine",), [])

    def _increase_to(self, target: int) -> None:
        # A node's pending timestamp is floored at parent + 1 while its clock may run behind
        # it (anvil after a revert), so one jump can fall short: check and top up.
        for _ in range(3):
            delta = target - self._pending_timestamp()
            if delta <= 0:
                return
            self._control("advance_time", ("evm_increaseTime",), [delta])

    def _resync_clock(self) -> None:
        """After a revert, put the node's clock back at wall clock + our offset.

        anvil rewinds its clock to the snapshot block's timestamp; its pending timestamp is
        floored at parent + 1, which can hide a lag of a second or two, so set the clock
        outright with ``evm_setTime`` where the node has it, else jump forward.
        """
        latest = int(self.w3.eth.get_block("latest")["timestamp"])
        target = max(int(time.time()) + self._time_offset, latest + 1)
        try:
            self._control("revert", ("evm_setTime",), [target])
        except MissingRpcMethodError:
            self._increase_to(target)

    def mine(self, blocks: int = 1) -> None:
        """Mine ``blocks`` empty blocks with ``evm_mine``.

        Raises:
            ChainError: bad count, or the node lacks ``evm_mine``.
        """
        check_blocks(blocks)
        with self.lock:
            for _ in range(blocks):
                self._control("mine", ("evm_mine",), [])

    def snapshot(self) -> str:
        """``evm_snapshot``; returns our own id, valid until an older snapshot is reverted to.

        Raises:
            ChainError: the node lacks ``evm_snapshot``.
        """
        with self.lock:
            node_id = self._control("snapshot", ("evm_snapshot",), [])
            return self._snapshots.add(_Saved(node_id, self._time_offset))

    def revert(self, snapshot_id: str) -> None:
        """``evm_revert`` to the snapshot, re-take it and restore its time offset.

        Raises:
            SnapshotError: unknown/invalidated id, or the node no longer has the snapshot.
        """
        with self.lock:
            saved = self._snapshots.get(snapshot_id)
            reverted = self._control("revert", ("evm_revert",), [saved.node_id])
            if reverted is False:
                raise SnapshotError(snapshot_id, f"the node at {self._url} no longer has it")
            self._snapshots.reverted_to(snapshot_id)
            self._time_offset = saved.time_offset
            self._resync_clock()
            node_id = self._control("snapshot", ("evm_snapshot",), [])
            self._snapshots.replace(snapshot_id, _Saved(node_id, saved.time_offset))

    def set_balance(self, address: str, wei: int) -> None:
        """``anvil_setBalance`` (or ``hardhat_setBalance``).

        Raises:
            ChainError: negative wei, or the node has neither method.
        """
        check_wei(wei)
        checksum = Web3.to_checksum_address(address)
        with self.lock:
            self._control(
                "set_balance", ("anvil_setBalance", "hardhat_setBalance"), [checksum, hex(wei)]
            )

    def close(self) -> None:
        """Nothing to release: the node keeps running and HTTP sessions are pooled. Idempotent."""


def _is_missing_method(error: Any) -> bool:
    if not isinstance(error, dict):
        return False
    message = str(error.get("message", "")).lower()
    return error.get("code") == METHOD_NOT_FOUND or (
        "method" in message and ("not found" in message or "does not exist" in message)
    )
