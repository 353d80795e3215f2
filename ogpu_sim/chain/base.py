"""The one interface every chain backend implements, and the ledger of snapshot ids they share.

A :class:`Chain` is a running EVM chain the rest of ogpu-sim talks to through ``w3`` (sync web3
whose reverts raise web3's ``ContractLogicError`` family exactly as on geth/anvil) plus a few
test-node controls: snapshots, time travel, mining and balances. Backends: in-process eth-tester
(:mod:`.tester`) and revm (:mod:`.revm`), any JSON-RPC node (:mod:`.remote`), an anvil we start
(:mod:`.anvil`). ``DEFAULT_CHAIN_ID`` (the OGPU testnet's) comes from :mod:`ogpu_sim.vocabulary`.
"""

from __future__ import annotations

import abc
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from web3 import Web3

from ..errors import ChainError, ConfigError, SnapshotError
from ..vocabulary import DEFAULT_CHAIN_ID

if TYPE_CHECKING:
    from .faults import ChainFaults

__all__ = [
    "DEFAULT_CHAIN_ID",
    "MAX_TIME_JUMP",
    "MAX_UINT256",
    "Chain",
    "SnapshotError",
    "SnapshotLedger",
    "check_blocks",
    "check_chain_id",
    "check_duration",
    "check_flag",
    "check_http_url",
    "check_seconds",
    "check_wei",
    "check_whole",
    "is_loopback_url",
    "rpc_error_message",
]


class Chain(abc.ABC):
    """A running EVM chain: one small interface for in-process and remote backends.

    Attributes:
        w3: sync web3 bound to the chain; reverts raise ``ContractLogicError``,
            ``ContractCustomError`` or ``ContractPanicError`` exactly as on geth/anvil.
        chain_id: the chain id the node answers and signs with.
        is_local: True for in-process chains and loopback nodes (public test keys allowed).
        lock: serializes all access (RPC server thread, providers, tests).
        faults: run-time fault injection (:mod:`ogpu_sim.chain.faults`): failing and lost
            calls, paused or interval mining, dropped transactions, reorgs.
    """

    w3: Web3
    chain_id: int
    is_local: bool
    lock: threading.RLock
    faults: ChainFaults

    @property
    @abc.abstractmethod
    def rpc_url(self) -> str | None:
        """HTTP JSON-RPC URL of the chain; in-process backends: None until :meth:`serve`."""

    @abc.abstractmethod
    def serve(self) -> str:
        """Return an HTTP JSON-RPC URL for the chain, starting a server if there is none."""

    @abc.abstractmethod
    def snapshot(self) -> str:
        """Record the current state (time offset included); returns an opaque id."""

    @abc.abstractmethod
    def revert(self, snapshot_id: str) -> None:
        """Restore the state of ``snapshot_id``; the id stays valid, younger ids do not.

        Raises:
            SnapshotError: the id is unknown or was invalidated by an older revert.
        """

    def release(self, snapshot_id: str) -> None:
        """Forget a snapshot nobody will revert to again, freeing what it holds; its id then
        raises :class:`SnapshotError`. A no-op on backends whose snapshots hold nothing."""
        return None

    @abc.abstractmethod
    def advance_time(self, seconds: int) -> None:
        """Jump chain time forward: the next block's timestamp is >= ``now() + seconds``."""

    @abc.abstractmethod
    def mine(self, blocks: int = 1) -> None:
        """Mine ``blocks`` empty blocks."""

    @abc.abstractmethod
    def now(self) -> int:
        """The timestamp the next block will carry."""

    @abc.abstractmethod
    def set_balance(self, address: str, wei: int) -> None:
        """Set the native balance of any address to exactly ``wei``."""

    def head(self) -> int:
        """Number of the latest block."""
        return int(self._raw("eth_blockNumber", []), 16)

    def logs(
        self, from_block: int, to_block: int | None = None, addresses: list[str] | None = None
    ) -> list[dict[str, Any]]:
        """Logs of blocks ``from_block..to_block`` (default: the head) in JSON-RPC shape.

        For the harness (timeline, provider discovery): in-process chains answer from the node
        directly, without a JSON-RPC round trip or web3's result formatting.

        Args:
            from_block: first block.
            to_block: last block; ``None`` for the head.
            addresses: only logs emitted by these contracts; ``None`` for all.
        """
        query: dict[str, Any] = {
            "fromBlock": hex(from_block),
            "toBlock": "latest" if to_block is None else hex(to_block),
        }
        if addresses:
            query["address"] = list(addresses)
        return list(self._raw("eth_getLogs", [query]))

    def _raw(self, method: str, params: list[Any]) -> Any:
        response = self.w3.provider.make_request(method, params)  # type: ignore[arg-type]
        if response.get("error"):
            raise ChainError(f"{method} failed: {rpc_error_message(dict(response))}")
        return response.get("result")

    def set_clock(self, clock: Callable[[], float] | None) -> None:
        """Make block time follow ``clock`` instead of the wall clock (in-process chains only).

        Raises:
            ChainError: this backend's clock belongs to a node ogpu-sim does not run in-process.
        """
        raise ChainError(f"{type(self).__name__} cannot replace its node's clock")

    @abc.abstractmethod
    def close(self) -> None:
        """Release threads, ports and processes; idempotent."""

    def __enter__(self) -> Chain:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def check_chain_id(chain_id: Any) -> int:
    """Validate a chain id (a positive integer below 2**64, as EIP-155 signing needs).

    Raises:
        ConfigError: naming ``chain_id`` and the bad value.
    """
    if isinstance(chain_id, bool) or not isinstance(chain_id, int) or not 0 < chain_id < 2**64:
        raise ConfigError("chain_id", f"must be a positive integer below 2**64, got {chain_id!r}")
    return chain_id


MAX_UINT256 = 2**256 - 1
"""The largest value of a ``uint256``: wei, and most of the protocol's integer fields."""

MAX_TIME_JUMP = 2**40
"""The most seconds one ``advance_time`` moves chain time (about 34,800 years): far past any
expiry or unbonding period, and far below the 64-bit timestamps nodes keep."""


def check_seconds(seconds: int) -> int:
    """Validate a time jump: a whole number of seconds, 0 to :data:`MAX_TIME_JUMP`.

    Raises:
        ChainError: ``seconds`` is negative, too large or not an integer.
    """
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, int)
        or not 0 <= seconds <= MAX_TIME_JUMP
    ):
        raise ChainError(
            f"advance_time needs a whole number of seconds 0 to 2**40, got {seconds!r}"
        )
    return seconds


def check_blocks(blocks: int) -> int:
    """Validate a block count for :meth:`Chain.mine`.

    Raises:
        ChainError: ``blocks`` is not a positive integer.
    """
    if isinstance(blocks, bool) or not isinstance(blocks, int) or blocks < 1:
        raise ChainError(f"mine needs a block count >= 1, got {blocks!r}")
    return blocks


def check_wei(wei: int) -> int:
    """Validate a balance for :meth:`Chain.set_balance`.

    Raises:
        ChainError: ``wei`` is negative or not an integer.
    """
    if isinstance(wei, bool) or not isinstance(wei, int) or wei < 0:
        raise ChainError(f"set_balance needs wei >= 0, got {wei!r}")
    return wei


def check_whole(
    value: Any,
    option: str,
    unit: str = "",
    *,
    least: int = 0,
    most: int | None = None,
    most_text: str = "",
    none_ok: bool = False,
) -> int:
    """Refuse what is not a whole number from ``least`` to ``most`` (bools, floats and strings
    are refused, never converted): the one check of an integer option or field.

    Args:
        value: what was given.
        option: the option's name, for the error.
        unit: what it counts (``wei``, ``seconds``, ``bytes``), for the error.
        least: the smallest value allowed.
        most: the largest value allowed (``None``: no bound).
        most_text: how the error writes ``most`` (``2**256 - 1``); default its digits.
        none_ok: the option also takes ``None`` (checked by the caller; the error says so).

    Raises:
        ConfigError: ``option: must be a whole number of wei, 0 or more; got -1`` or
            ``option: must be at most 2**256 - 1 wei; got ...``.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        kind = f"a whole number of {unit}" if unit else "a whole number"
        alternative = ", or None" if none_ok else ""
        raise ConfigError(option, f"must be {kind}, {least} or more{alternative}; got {value!r}")
    if most is not None and value > most:
        bound = f"{most_text or most} {unit}".rstrip()
        raise ConfigError(option, f"must be at most {bound}; got {value!r}")
    return value


def check_duration(value: Any, option: str, *, zero_ok: bool = False) -> float:
    """Refuse what is not a finite number of seconds above 0 (or 0 or more, ``zero_ok``).

    Raises:
        ConfigError: ``option: must be a finite number of seconds above 0; got 'x'``.
    """
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if not number or not math.isfinite(value) or value < 0 or (value == 0 and not zero_ok):
        bound = "0 or more" if zero_ok else "above 0"
        raise ConfigError(option, f"must be a finite number of seconds {bound}; got {value!r}")
    return float(value)


def check_flag(value: Any, option: str) -> None:
    """Refuse a switch that is not ``True`` or ``False`` (``"no"`` would be truthy).

    Raises:
        ConfigError: naming ``option`` and the value.
    """
    if not isinstance(value, bool):
        raise ConfigError(option, f"must be True or False, got {value!r}")


def check_http_url(value: Any, option: str) -> str:
    """Refuse what is not an ``http://`` or ``https://`` URL with a host (and a valid port).

    Raises:
        ConfigError: ``option: must be an http:// or https:// URL; got 'notaurl'``.
    """
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(value) if isinstance(value, str) else None
        _ = parts.port if parts is not None else None  # a port out of range raises
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ConfigError(option, f"must be an http:// or https:// URL; got {value!r}")
    return str(value)


S = TypeVar("S")


@dataclass
class SnapshotLedger(Generic[S]):
    """Maps opaque snapshot ids to backend state, with the invalidation rule all backends share.

    Ids are handed out in order; reverting to one keeps it valid and invalidates every id taken
    after it, so a stale id raises instead of silently restoring the wrong state.
    """

    _states: dict[str, tuple[int, S]] = field(default_factory=dict)
    _invalidated: dict[str, str] = field(default_factory=dict)
    _counter: int = 0

    _AFTER_REVERT = (
        "it was taken after a snapshot that was reverted to since, so that state no "
        "longer exists; take a new snapshot"
    )

    def add(self, state: S) -> str:
        """Record ``state`` and return its new id."""
        self._counter += 1
        snapshot_id = hex(self._counter)
        self._states[snapshot_id] = (self._counter, state)
        return snapshot_id

    def get(self, snapshot_id: str) -> S:
        """The state recorded for ``snapshot_id``.

        Raises:
            SnapshotError: the id is unknown or invalidated.
        """
        reason = self._invalidated.get(snapshot_id) if isinstance(snapshot_id, str) else None
        if reason is not None:
            raise SnapshotError(snapshot_id, reason)
        entry = self._states.get(snapshot_id) if isinstance(snapshot_id, str) else None
        if entry is None:
            raise SnapshotError(snapshot_id, "no snapshot with this id was taken on this chain")
        return entry[1]

    def reverted_to(self, snapshot_id: str) -> None:
        """Invalidate every id younger than ``snapshot_id`` (which stays valid)."""
        order = self._states[snapshot_id][0]
        younger = []
        for other in reversed(self._states):  # ids are added in order: the younger come last
            if self._states[other][0] <= order:
                break
            younger.append(other)
        for other in reversed(younger):
            del self._states[other]
            self._invalidated[other] = self._AFTER_REVERT

    def release(self, snapshot_id: str) -> S | None:
        """Forget ``snapshot_id`` (its id then raises); its state, or ``None`` if not valid."""
        entry = self._states.pop(snapshot_id, None) if isinstance(snapshot_id, str) else None
        if entry is None:
            return None
        self._invalidated[snapshot_id] = "it was released after its isolated block ended"
        return entry[1]

    def invalidate_where(self, stale: Callable[[S], bool], reason: str) -> None:
        """Invalidate every id whose state ``stale`` says no longer exists (after a reorg)."""
        for other, (_order, state) in list(self._states.items()):
            if stale(state):
                del self._states[other]
                self._invalidated[other] = reason

    def replace(self, snapshot_id: str, state: S) -> None:
        """Swap the backend state behind a still-valid id (anvil re-takes consumed snapshots)."""
        order = self._states[snapshot_id][0]
        self._states[snapshot_id] = (order, state)

    def items(self) -> list[tuple[str, S]]:
        """Valid ids and their states, oldest first."""
        return [(sid, st) for sid, (_o, st) in sorted(self._states.items(), key=lambda i: i[1][0])]


def is_loopback_url(url: str) -> bool:
    """True when ``url`` names this machine as the HTTP client reads it (:mod:`.urls`)."""
    from .urls import is_loopback_url as decide

    return decide(url)


def rpc_error_message(response: dict[str, Any]) -> str:
    """The message of a JSON-RPC error response, for error texts."""
    error = response.get("error") or {}
    return str(error.get("message", error)) if isinstance(error, dict) else str(error)


def unreachable_node(rpc_url: str, exc: BaseException) -> ChainError:
    """The error for a node that did not answer, with the cause as the OS gave it ("Connection
    refused", "Name or service not known") rather than the client library's wrapping of it."""
    reason = str(exc)
    link: BaseException | None = exc
    while link is not None:
        if isinstance(link, OSError) and link.strerror:
            reason = link.strerror
        link = link.__cause__ or link.__context__
    return ChainError(f"cannot reach a JSON-RPC node at {rpc_url}: {reason}")
