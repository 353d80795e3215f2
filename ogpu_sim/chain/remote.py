"""A chain reached over HTTP JSON-RPC: anvil, hardhat, geth --dev, a testnet, or our own server.

Test-node controls use the de-facto standard methods (``evm_snapshot``, ``evm_revert``,
``evm_increaseTime``, ``evm_mine``, ``anvil_setBalance``/``hardhat_setBalance``) where the node
has them; where it does not, the operation raises a :class:`ChainError` naming the missing
method. Nodes consume a snapshot when reverting to it (anvil, hardhat): :class:`RemoteChain`
re-takes it so our ids stay valid, and restores the time offset the snapshot was taken with
(anvil resets chain time to the snapshot block's timestamp on revert).

``chain.faults`` works here too: call faults act in :class:`NodeProvider`, the web3 provider of
``chain.w3`` (so they reach the SDK, which uses it), mining faults use ``evm_setAutomine`` and
``evm_setIntervalMining``, reorgs ``anvil_reorg``. Calls the node's own URL receives from other
clients are not faulted (:class:`~ogpu_sim.chain.anvil.AnvilChain` serves a URL that is).
"""

from __future__ import annotations

import json
import math
import threading
import time
from dataclasses import dataclass
from typing import Any

import requests
from eth_typing import URI
from web3 import HTTPProvider, Web3
from web3.middleware import AttributeDictMiddleware
from web3.types import RPCEndpoint, RPCResponse

from ..errors import (
    ChainError,
    ConfigError,
    InjectedFault,
    MissingRpcMethodError,
    RpcError,
)
from .base import (
    Chain,
    SnapshotError,
    SnapshotLedger,
    check_blocks,
    check_seconds,
    check_wei,
    is_loopback_url,
    rpc_error_message,
    unreachable_node,
)
from .faults import SEND_RAW, SEND_RAW_SYNC, ChainFaults, client_error, faulty_call, sent_hash
from .jsonrpc import METHOD_NOT_FOUND, confirmation_timeout
from .provider import SENDS, with_web3_retries


@dataclass(frozen=True)
class _Saved:
    node_id: Any
    time_offset: int
    head: int = 0


class NodeProvider(HTTPProvider):
    """web3's ``HTTPProvider`` with a chain's faults and request rewrites on its request path.

    Injected faults raise what this provider raises when a node misbehaves so, inside web3's own
    retry loop (web3 retries timeouts and HTTP errors of idempotent methods, and
    ``eth_sendRawTransaction``).

    Args:
        chain: supplies ``faults``, ``rewrite(method, params)`` and ``unwrap(method, sent,
            response)``.
        rpc_url: the node's URL.
        timeout: seconds per HTTP request.
    """

    def __init__(self, chain: Any, rpc_url: str, timeout: float) -> None:
        super().__init__(
            rpc_url, request_kwargs={"timeout": timeout}, session=loopback_session(rpc_url)
        )
        self._chain = chain
        self.sends = 0
        """Transactions sent through this provider (see :class:`InProcessProvider`)."""

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        """Send one request (rewritten by the chain) through the chain's faults."""
        if method in SENDS:
            self.sends += 1
        sent_method, sent_params = self._chain.rewrite(method, params)
        data = self.encode_rpc_request(RPCEndpoint(sent_method), sent_params)
        config = self.exception_retry_configuration
        attempt = lambda: self._attempt(method, params, data)  # noqa: E731
        raw = attempt() if config is None else with_web3_retries(config, method, attempt)
        response = self.decode_rpc_response(raw)
        return self._chain.unwrap(method, sent_method, response)  # type: ignore[no-any-return]

    def _attempt(self, method: str, params: Any, data: bytes) -> bytes:
        request_id = json.loads(data).get("id")

        def call(drop: bool) -> bytes:
            if drop and method == SEND_RAW_SYNC:  # never mined: it would time out
                raise confirmation_timeout(sent_hash(params))
            if drop:
                return _encode({"jsonrpc": "2.0", "id": request_id, "result": sent_hash(params)})
            return bytes(
                self._request_session_manager.make_post_request(
                    URI(str(self.endpoint_uri)), data, **self.get_request_kwargs()
                )
            )

        try:
            return bytes(faulty_call(self._chain.faults, method, params, call))
        except InjectedFault as fault:
            raise client_error(fault.error, str(self.endpoint_uri)) from None
        except RpcError as exc:
            return _encode({"jsonrpc": "2.0", "id": request_id, "error": exc.to_dict()})


def loopback_session(url: str) -> requests.Session | None:
    """A session that ignores the environment's proxies and ``.netrc`` for a node on this
    machine (``None`` for any other URL: web3's own per-thread sessions, environment honoured).

    ``requests`` re-reads every environment variable on each request to find proxies (a
    quarter of a lifecycle's CPU on anvil); a proxy for a loopback node would only be a
    misconfiguration, and a request to this machine must never leave it.
    """
    if not is_loopback_url(url):
        return None
    session = requests.Session()
    session.trust_env = False
    return session


def _encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()


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
        self.faults = ChainFaults(self)
        self._mining = "auto"
        provider = NodeProvider(self, rpc_url, timeout)
        self.w3 = Web3(provider, middleware=[AttributeDictMiddleware])
        # The harness's own requests (snapshots, time, reorgs) are never faulted.
        self._control_provider = HTTPProvider(
            rpc_url, request_kwargs={"timeout": timeout}, session=loopback_session(rpc_url)
        )
        try:
            self.chain_id = int(self.w3.eth.chain_id)
        except Exception as exc:  # requests and web3 raise many types for an unreachable node
            raise unreachable_node(rpc_url, exc) from exc
        self._time_offset = 0
        self._snapshots: SnapshotLedger[_Saved] = SnapshotLedger()

    @property
    def rpc_url(self) -> str:
        """The node's URL."""
        return self._url

    def serve(self) -> str:
        """The node already serves HTTP: return its URL."""
        return self._url

    def rewrite(self, method: str, params: Any) -> tuple[str, Any]:
        """The request actually sent for ``method`` (nodes with quirks to correct override)."""
        return method, params

    def unwrap(self, method: str, sent_method: str, response: Any) -> Any:
        """The answer to ``method`` from the node's answer to the rewritten request."""
        return response

    def settle(self, tx_hash: str) -> None:
        """Return once the node has mined a transaction it accepted (nodes that mine apart from
        answering override it)."""

    def _call(self, method: str, params: list[Any]) -> dict[str, Any]:
        with self.lock:
            return dict(self._control_provider.make_request(RPCEndpoint(method), params))

    def _result(self, method: str, params: list[Any]) -> Any:
        response = self._call(method, params)
        if response.get("error"):
            raise ChainError(f"{method} failed on {self._url}: {rpc_error_message(response)}")
        return response.get("result")

    def head(self) -> int:
        """Number of the node's latest block."""
        return int(self._result("eth_blockNumber", []), 16)

    def _raw(self, method: str, params: list[Any]) -> Any:
        return self._result(method, params)

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
        latest = self._result("eth_getBlockByNumber", ["latest", False])
        try:
            pending = self._result("eth_getBlockByNumber", ["pending", False])
        except ChainError:  # nodes without a pending block: estimate from latest
            pending = None
        stamp = int(latest["timestamp"], 16)
        if pending and int(pending["number"], 16) == int(latest["number"], 16) + 1:
            return max(int(pending["timestamp"], 16), stamp)
        return max(stamp, int(time.time()) + self._time_offset)

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
        latest = int(self._result("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
        target = max(int(time.time()) + self._time_offset, latest)
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
            return self._snapshots.add(_Saved(node_id, self._time_offset, self.head()))

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
            self._snapshots.replace(snapshot_id, _Saved(node_id, saved.time_offset, saved.head))

    def release(self, snapshot_id: str) -> None:
        """Forget a snapshot; its id then raises (the node keeps its own until a revert)."""
        with self.lock:
            self._snapshots.release(snapshot_id)

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

    # -- mining modes and reorgs (for ChainFaults) ---------------------------------------------
    def set_mining(self, mode: str, interval: float | None) -> None:
        """``evm_setAutomine`` / ``evm_setIntervalMining`` (whole seconds, rounded up).

        Raises:
            MissingRpcMethodError: the node lacks the method.
        """
        with self.lock:
            if mode == "interval":
                assert interval is not None
                self._control("mine_every", ("evm_setIntervalMining",), [math.ceil(interval)])
            else:
                self._control(f"{mode} mining", ("evm_setAutomine",), [mode == "auto"])
            if mode == "auto" and self._pending_count():
                self._control("resume_mining", ("evm_mine",), [])
            self._mining = mode

    def _pending_count(self) -> int:
        try:
            status = self._control("resume_mining", ("txpool_status",), [])
        except MissingRpcMethodError:
            return 0
        return int(status.get("pending", "0x0"), 16)

    def reorg(self, depth: int, remine: bool) -> list[str]:
        """``anvil_reorg``: the last ``depth`` blocks are replaced by empty ones.

        With ``remine`` their transactions are sent again (they land in blocks after those).

        Raises:
            ChainError: ``depth`` reaches the genesis block; MissingRpcMethodError: no
                ``anvil_reorg``.
        """
        with self.lock:
            head = self.head()
            if depth > head:
                raise ChainError(f"cannot reorg {depth} blocks: block {head} is the head")
            hashes: list[str] = []
            for number in range(head - depth + 1, head + 1):
                block = self._call("eth_getBlockByNumber", [hex(number), False])["result"]
                hashes += list(block["transactions"])
            raws = [self._call("eth_getRawTransactionByHash", [h])["result"] for h in hashes]
            self._control("reorg", ("anvil_reorg",), [depth, []])
            fork = head - depth
            self._snapshots.invalidate_where(
                lambda saved: saved.head > fork,
                f"it was taken after block {fork}, which a reorg replaced the successors of",
            )
            if remine:
                self._control("reorg", ("evm_mine",), [])
                for raw in raws:
                    response = self._call(SEND_RAW, [raw])
                    if isinstance(response.get("result"), str):
                        self.settle(response["result"])
            return hashes

    def close(self) -> None:
        """Nothing to release: the node keeps running and HTTP sessions are pooled. Idempotent."""


def _is_missing_method(error: Any) -> bool:
    if not isinstance(error, dict):
        return False
    message = str(error.get("message", "")).lower()
    return error.get("code") == METHOD_NOT_FOUND or (
        "method" in message and ("not found" in message or "does not exist" in message)
    )
