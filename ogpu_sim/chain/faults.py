"""Fault injection for chains: make the local chain misbehave like a live network on demand.

``chain.faults`` (a :class:`ChainFaults`) has the shape of the mock IPFS server's injector and
lets source authors exercise the SDK's retry and recovery paths::

    chain.faults.fail_next(2, method="eth_sendRawTransaction")  # fails before taking effect
    chain.faults.fail_next(method="eth_call", error=503)         # HTTP 503 Service Unavailable
    chain.faults.lose_next(method="eth_sendRawTransaction")      # takes effect, answer lost
    chain.faults.drop_next()                                     # accepted, never mined
    with chain.faults.pause_mining():                            # transactions stay pending
        ...
    chain.faults.mine_every(2.0)                                 # a block every 2 s
    chain.faults.reorg(1)                                        # the last block is replaced
    chain.faults.log                                             # every fault injected so far

A call fault applies to the next matching JSON-RPC calls of any client of the chain: the
in-process ``w3``, the served URL, other processes. Errors (``error=``) are :class:`Reset`
(default for :meth:`ChainFaults.fail_next`; the SDK classifies it as transient), :class:`Timeout`,
:class:`HttpStatus` (or a plain int such as ``429``), :class:`Truncated` (default for lost
answers; the SDK does not retry it) and :class:`JsonRpcError`. Each reaches the caller as the
exception web3's ``HTTPProvider`` raises for it (see :func:`client_error`), and the served URL
behaves the same on the wire (see :func:`answer_over_http`); both live in :mod:`.fault_errors`.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..errors import ConfigError, RpcError
from .fault_errors import (
    KNOWN_METHODS,
    ErrorSpec,
    HttpStatus,
    JsonRpcError,
    Reset,
    Timeout,
    Truncated,
    answer_over_http,
    client_error,
    error_spec,
    fault_method,
    raise_for,
    sent_hash,
)

SEND_RAW = "eth_sendRawTransaction"
SEND_RAW_SYNC = "eth_sendRawTransactionSync"
"""EIP-7966: a send answered with the receipt. A fault for ``SEND_RAW`` applies to it too."""
SENDS = (SEND_RAW, SEND_RAW_SYNC)


def faulty_call(faults: ChainFaults, method: str, params: Any, call: Callable[[bool], Any]) -> Any:
    """Answer one JSON-RPC call under ``faults``: ``call(drop)`` does the work.

    A ``fail`` fault raises before ``call`` runs; a ``drop`` fault passes ``drop=True`` (the
    call accepts a transaction and forgets it); a ``lose`` fault raises after it ran. Lost and
    dropped calls are recorded here, with the transaction hash the call answered.

    Raises:
        RpcError: an injected JSON-RPC error (or the call's own).
        InjectedFault: an injected transport fault, for the caller's transport to act out.
    """
    fault = faults.take(method) if faults.armed else None
    if fault is None:
        return call(False)
    if fault.kind == "fail":
        assert fault.error is not None
        raise_for(method, fault.error, took_effect=False)

    def record() -> None:
        tx = sent_hash(params) if method in SENDS else ""
        detail = "accepted and dropped" if fault.error is None else str(fault.error)
        faults.record(FaultRecord(fault.kind, method, detail, time.time(), tx))

    try:
        result = call(fault.kind == "drop")
    except RpcError:  # a dropped sync send times out: dropped all the same
        if fault.kind == "drop":
            record()
        raise
    record()
    if fault.error is not None:
        raise_for(method, fault.error, took_effect=True)
    return result


# -- the injected faults and their log -----------------------------------------------------
@dataclass
class CallFault:
    """A fault waiting for matching calls. Build them with :class:`ChainFaults`' methods.

    Attributes:
        kind: ``fail`` (before the call takes effect), ``lose`` (after) or ``drop`` (a sent
            transaction is accepted and forgotten).
        method: the JSON-RPC method it applies to; ``None`` for every method.
        error: what the caller sees (``None`` for ``drop``).
        remaining: how many more calls it applies to; ``None`` until reset (a rate fault).
        rate: the probability that a matching call is hit (1.0 for counted faults).
        hits: how many calls it has applied to.
    """

    kind: str
    method: str | None
    error: ErrorSpec | None
    remaining: int | None
    rate: float = 1.0
    hits: int = 0
    _random: random.Random = field(default_factory=random.Random, repr=False)

    def matches(self, method: str) -> bool:
        """Whether the fault applies to a call of ``method`` (a send's to both kinds of send)."""
        return (
            self.method is None
            or self.method == method
            or (self.method == SEND_RAW and method == SEND_RAW_SYNC)
        )


@dataclass(frozen=True)
class FaultRecord:
    """One fault that happened, for the timeline and for assertions.

    Attributes:
        kind: ``fail``, ``lose``, ``drop``, ``pause``, ``resume``, ``interval`` or ``reorg``.
        method: the JSON-RPC method a call fault hit (``None`` for mining and reorgs).
        detail: the error as text (``connection reset``, ``HTTP 503 ...``), the interval, the
            depth of a reorg.
        time: when it happened (``time.time()``).
        tx: the transaction hash a dropped or lost ``eth_sendRawTransaction`` carried; the
            undone transaction hashes of a reorg, comma-separated.
    """

    kind: str
    method: str | None
    detail: str
    time: float
    tx: str = ""


class MiningControls(Protocol):
    """What a chain implements for :class:`ChainFaults`' mining and reorg faults."""

    def set_mining(self, mode: str, interval: float | None) -> None:
        """``auto`` (a block per transaction), ``paused`` or ``interval`` (every ``interval`` s)."""
        ...

    def reorg(self, depth: int, remine: bool) -> list[str]:
        """Replace the last ``depth`` blocks; return the hashes of the transactions taken out."""
        ...


class MiningPause:
    """Returned by :meth:`ChainFaults.pause_mining`; as a context manager it resumes on exit."""

    def __init__(self, faults: ChainFaults) -> None:
        self._faults = faults

    def __enter__(self) -> MiningPause:
        return self

    def __exit__(self, *exc: object) -> None:
        self._faults.resume_mining()


class ChainFaults:
    """The run-time faults of one chain; thread-safe.

    Args:
        controls: the chain's mining and reorg operations.

    Attributes:
        on_fault: called with each :class:`FaultRecord` as it happens (the Simulator's timeline
            hooks in here); never called while the chain's lock is held.
    """

    def __init__(self, controls: MiningControls) -> None:
        self._controls = controls
        self._lock = threading.Lock()
        self._faults: list[CallFault] = []
        self._log: list[FaultRecord] = []
        self.mining = "auto"
        self.interval: float | None = None
        self.on_fault: Callable[[FaultRecord], None] | None = None

    # -- call faults ----------------------------------------------------------------------------
    def _add(self, fault: CallFault) -> CallFault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def fail_next(
        self, n: int = 1, *, method: str | None = None, error: Any = Reset()
    ) -> CallFault:
        """Fail the next ``n`` calls (of ``method``, or any) before they take effect.

        Args:
            n: how many calls fail.
            method: the JSON-RPC method, e.g. ``"eth_sendRawTransaction"``; ``None`` for any.
            error: what the caller sees (default :class:`Reset`, which the SDK retries).

        Raises:
            ConfigError: ``n`` is not a positive integer, ``method`` is not a known JSON-RPC
                method (:data:`KNOWN_METHODS`) or ``error`` is not an error spec.
        """
        return self._add(CallFault("fail", fault_method(method), error_spec(error), _count(n)))

    def lose_next(
        self, n: int = 1, *, method: str | None = None, error: Any = Truncated()
    ) -> CallFault:
        """Let the next ``n`` calls take effect but lose their answers.

        A lost ``eth_sendRawTransaction`` is in the pool (and mined) while its sender sees a
        transport error: the case where a client must not publish twice.

        Args:
            n: how many answers are lost.
            method: the JSON-RPC method; ``None`` for any.
            error: what the caller sees instead (default :class:`Truncated`: the SDK raises
                ``TxRpcError``; :class:`Reset` makes the SDK retry, which publishes twice).

        Raises:
            ConfigError: bad ``n``, ``method`` or ``error``.
        """
        return self._add(CallFault("lose", fault_method(method), error_spec(error), _count(n)))

    def fail_rate(
        self, rate: float, *, method: str | None = None, error: Any = Reset(), seed: int = 0
    ) -> CallFault:
        """Fail each matching call with probability ``rate`` (seeded) until :meth:`reset`.

        Raises:
            ConfigError: ``rate`` is not within 0..1, or bad ``method`` or ``error``.
        """
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
            raise ConfigError("rate", f"must be a probability 0..1, not {rate!r}")
        method = fault_method(method)
        fault = CallFault(
            "fail", method, error_spec(error), None, float(rate), _random=random.Random(seed)
        )
        return self._add(fault)

    def drop_next(self, n: int = 1) -> CallFault:
        """Accept the next ``n`` sent transactions (their hash is answered) and never mine them.

        A dropped ``eth_sendRawTransactionSync`` is answered with the confirmation timeout at
        once (its transaction will never be mined: there is nothing to wait for).

        The sender's later transactions then wait behind the nonce gap, as behind a stuck
        transaction on a live network (the SDK's ``fix_nonce`` recipe).

        Raises:
            ConfigError: ``n`` is not a positive integer.
        """
        return self._add(CallFault("drop", SEND_RAW, None, _count(n)))

    def take(self, method: str) -> CallFault | None:
        """Decide, and count, the fault for one call of ``method`` (called by the chain)."""
        record = None
        chosen = None
        with self._lock:
            for fault in self._faults:
                if not fault.matches(method):
                    continue
                if fault.rate < 1.0 and fault._random.random() >= fault.rate:
                    continue
                chosen = fault
                fault.hits += 1
                if fault.remaining is not None:
                    fault.remaining -= 1
                break
            self._faults = [f for f in self._faults if f.remaining is None or f.remaining > 0]
            if chosen is not None and chosen.kind == "fail":
                record = FaultRecord("fail", method, str(chosen.error), time.time())
        if record is not None:
            self.record(record)
        return chosen

    # -- mining ---------------------------------------------------------------------------------
    def pause_mining(self) -> MiningPause:
        """Stop mining: sent transactions stay pending (receipts absent) until resumed.

        Returns:
            A context manager that resumes mining on exit (``with faults.pause_mining(): ...``).
        """
        self._set_mining("paused", None, "pause", "mining paused")
        return MiningPause(self)

    def resume_mining(self) -> None:
        """Mine a block per transaction again; pending transactions are mined at once."""
        self._set_mining("auto", None, "resume", "mining resumed")

    def mine_every(self, seconds: float | None) -> None:
        """Mine on an interval instead of per transaction; ``None`` goes back to per transaction.

        Each tick mines the pending transactions (one block each on the in-process chains, one
        block with all of them on anvil), or one empty block when there are none.

        Raises:
            ConfigError: ``seconds`` is not a positive number.
        """
        if seconds is None:
            self.resume_mining()
            return
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds <= 0:
            raise ConfigError(
                "seconds", f"the mining interval must be > 0 seconds, not {seconds!r}"
            )
        self._set_mining("interval", float(seconds), "interval", f"a block every {seconds:g} s")

    def _set_mining(self, mode: str, interval: float | None, kind: str, detail: str) -> None:
        self._controls.set_mining(mode, interval)
        self.mining, self.interval = mode, interval
        self.record(FaultRecord(kind, None, detail, time.time()))

    # -- reorgs ---------------------------------------------------------------------------------
    def reorg(self, depth: int = 1, *, remine: bool = False) -> list[str]:
        """Replace the last ``depth`` blocks by as many new ones, as a live chain's reorg does.

        Receipts of the replaced blocks' transactions disappear, their logs come back from
        log filters with ``removed: true``, snapshots taken after the fork point are invalid.

        Args:
            depth: how many blocks are replaced (>= 1).
            remine: send the replaced blocks' transactions again, so they land in new blocks
                (new block hashes and numbers); by default they are gone, their effects undone.

        Returns:
            The hashes of the transactions that were in the replaced blocks.

        Raises:
            ConfigError: ``depth`` is not a positive integer.
            ChainError: the chain cannot reorg that deep.
        """
        _count(depth, "depth")
        undone = self._controls.reorg(depth, bool(remine))
        detail = f"depth {depth}" + (", re-mined" if remine else "")
        self.record(FaultRecord("reorg", None, detail, time.time(), ",".join(undone)))
        return undone

    # -- bookkeeping ----------------------------------------------------------------------------
    def record(self, record: FaultRecord) -> None:
        """Log a fault and tell :attr:`on_fault` (the chain calls it for lost and dropped calls)."""
        with self._lock:
            self._log.append(record)
        callback = self.on_fault
        if callback is not None:
            callback(record)

    def reset(self) -> None:
        """Remove every call fault and mine per transaction again (the log is kept)."""
        with self._lock:
            self._faults.clear()
        if self.mining != "auto":
            self.resume_mining()

    @property
    def armed(self) -> bool:
        """True while a call fault waits (a cheap check for the chain's hot path)."""
        return bool(self._faults)

    @property
    def active(self) -> list[CallFault]:
        """The call faults still in force, oldest first."""
        with self._lock:
            return list(self._faults)

    @property
    def log(self) -> list[FaultRecord]:
        """Every fault injected so far, oldest first."""
        with self._lock:
            return list(self._log)


def _count(n: Any, name: str = "n") -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ConfigError(name, f"must be a positive integer, not {n!r}")
    return n


__all__ = [
    "KNOWN_METHODS",
    "SENDS",
    "SEND_RAW",
    "SEND_RAW_SYNC",
    "CallFault",
    "ChainFaults",
    "ErrorSpec",
    "FaultRecord",
    "HttpStatus",
    "JsonRpcError",
    "MiningControls",
    "MiningPause",
    "Reset",
    "Timeout",
    "Truncated",
    "answer_over_http",
    "client_error",
    "error_spec",
    "faulty_call",
    "raise_for",
    "sent_hash",
]
