"""A readable record of what happened on a simulated network, in order.

The timeline holds decoded protocol events (from Nexus, Controller, Terminal and Vault),
simulated providers' actions (attempts, responses, reverts, handler failures) and free notes. The
pytest plugin prints a test's slice of it when the test fails; ``simulate`` writes it to
``events.jsonl``.
"""

from __future__ import annotations

import binascii
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

from eth_utils import event_abi_to_log_topic
from hexbytes import HexBytes
from ogpu.types import ResponseStatus, SourceStatus, TaskStatus
from web3 import Web3
from web3.contract import Contract

from ogpu_sim.actors.codec import checksum, decode_words
from ogpu_sim.actors.lean import rpc
from ogpu_sim.chain import Chain
from ogpu_sim.chain.inprocess import InProcessChain
from ogpu_sim.errors import ChainError, LeanRpcFailure

_STATUS_NAMES: dict[str, Any] = {
    "TaskStatusChanged": TaskStatus,
    "ResponseStatusChanged": ResponseStatus,
    "SourceStatusChanged": SourceStatus,
}
"""Events whose ``status`` argument is printed by its SDK enum name."""

UNBOUNDED_POLLS = 8
"""Driver steps in a row that may poll a node over JSON-RPC up to ``latest`` without finding a
new log; the next one reads the head first, so the block range a query spans stays bounded."""


@dataclass(frozen=True)
class Entry:
    """One line of the timeline.

    Attributes:
        kind: ``event`` (decoded log), ``provider`` (a simulated provider's action) or ``note``.
        name: the event name (``TaskPublished`` ...) or the action (``attempt``, ``revert`` ...).
        args: decoded event arguments / action details, JSON-able.
        block: block number for events, else the latest block when recorded.
        emitter: ``NEXUS``, ``VAULT``, ... for events; the provider address for actions.
        tx: transaction hash for events.
    """

    kind: str
    name: str
    args: dict[str, Any]
    block: int
    emitter: str = ""
    tx: str = ""

    def text(self) -> str:
        """A one-line human rendering; statuses by name (``status=ATTEMPTED``)."""
        args = ", ".join(f"{k}={self._shown(k, v)}" for k, v in self.args.items())
        where = f"#{self.block}"
        return f"{where:>7} {self.kind:<8} {self.emitter[:10]:<10} {self.name}({args})"

    def _shown(self, key: str, value: Any) -> Any:
        enum = _STATUS_NAMES.get(self.name) if key == "status" and self.kind == "event" else None
        if enum is not None and isinstance(value, int):
            try:
                return enum(value).name
            except ValueError:
                return value
        return value

    def to_json(self) -> str:
        """The entry as one JSON line."""
        return json.dumps(asdict(self), sort_keys=True)


_ELEMENTARY = re.compile(r"^(address|bool|string|bytes\d*|u?int\d*)$")


@dataclass(frozen=True)
class _Decoder:
    """Decodes one event's logs; plain ``eth_abi`` for flat non-indexed events (all of ours),
    web3's ``process_log`` otherwise. Both give the same arguments."""

    name: str
    event: Any
    names: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    flat: bool = False

    @classmethod
    def of(cls, abi: Any, event: Any) -> _Decoder:
        inputs = abi.get("inputs", [])
        flat = all(not i.get("indexed") and _ELEMENTARY.match(i["type"]) for i in inputs)
        names = tuple(i["name"] for i in inputs)
        return cls(abi["name"], event, names, tuple(i["type"] for i in inputs), flat)

    def args(self, log: dict[str, Any]) -> dict[str, Any]:
        if not self.flat:
            return dict(self.event.process_log(log)["args"])
        values = decode_words(self.types, _data(log["data"]))
        return {
            name: checksum(value) if kind == "address" else value
            for name, kind, value in zip(self.names, self.types, values, strict=True)
        }


def _hex(value: Any) -> str:
    """A hash or topic as lower-case ``0x`` hex, whether it came as hex text or bytes."""
    if isinstance(value, str) and value[:2] in ("0x", "0X"):
        return "0x" + value[2:].lower()
    return "0x" + bytes(HexBytes(value)).hex()


def _data(value: Any) -> bytes:
    """A log's data as bytes: 0x-hex text (as nodes answer it) directly, else through HexBytes."""
    if isinstance(value, str) and value[:2] == "0x":
        try:
            return binascii.unhexlify(value[2:])
        except ValueError:  # odd length, not hex: HexBytes' reading
            pass
    return bytes(HexBytes(value))


_PLAIN_TYPES = (str, int, bool, type(None))


def _plain(value: Any) -> Any:
    if type(value) in _PLAIN_TYPES:
        return value
    if isinstance(value, (bytes, HexBytes)):
        return "0x" + bytes(value).hex()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


@dataclass
class Timeline:
    """Collects and decodes logs of the protocol singletons, plus actions and notes.

    Args:
        w3: the chain's web3.
        contracts: the deployment's contract handles keyed by name (``NEXUS`` ...).
        chain: the chain itself, when known: its ``head()`` and ``logs()`` answer straight
            from an in-process node (no JSON-RPC round trip); else JSON-RPC through ``w3``.
    """

    w3: Web3
    contracts: dict[str, Contract]
    chain: Chain | None = field(default=None, repr=False)
    entries: list[Entry] = field(default_factory=list)
    _next_block: int = 0
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    _topics: dict[tuple[str, str], _Decoder] = field(default_factory=dict, repr=False)
    _names: dict[str, str] = field(default_factory=dict, repr=False)
    _watched: list[str] = field(default_factory=list, repr=False)
    _head: int = 0
    _trusted_by: int | None = None
    _unbounded: int = 0
    _sends_seen: int = -1
    generation: int = 0
    """Bumped by :meth:`truncate`, so views derived from :attr:`entries` know to rebuild."""

    def __post_init__(self) -> None:
        for name, contract in self.contracts.items():
            address = Web3.to_checksum_address(contract.address)
            self._names[address] = name
            for entry in contract.abi:
                if entry.get("type") != "event":
                    continue
                abi: Any = entry
                topic = _hex(event_abi_to_log_topic(abi))
                event = getattr(contract.events, abi["name"])()
                self._topics[(address, topic)] = _Decoder.of(abi, event)
        self._watched = list(self._names)

    def start_at(self, block: int) -> None:
        """Only logs from ``block`` on are collected."""
        with self._lock:
            self._next_block = block

    def poll(self) -> int:
        """Decode the logs mined since the last poll; return how many entries were added."""
        with self._lock:
            latest = (
                self.chain.head() if self.chain else int(rpc(self.w3, "eth_blockNumber", []), 16)
            )
            self._head = latest
            if latest < self._next_block:
                return 0
            return self._collect(latest)

    def _step_poll(self) -> int:
        """The poll of a driver step: :meth:`poll`, or over JSON-RPC one ``eth_getLogs`` up to
        ``latest`` without the head read.

        The query starts at the last block already collected (a range starting past the head
        is an error on anvil and geth) and keeps only the logs after it. It cannot tell the head
        when no new log came: then the next block to read stays, the head known is the last
        block seen (a receipt's or a log's), and after :data:`UNBOUNDED_POLLS` such polls one
        reads the head again. When the chain is behind the timeline (a revert or a reorg the
        timeline was not told of) the query fails, and :meth:`poll` does what it does.
        """
        self._sends_seen = self._sends() or 0  # read first: a send during the poll counts as unseen
        if isinstance(self.chain, InProcessChain) or self._unbounded >= UNBOUNDED_POLLS:
            self._unbounded = 0
            return self.poll()
        start = max(self._next_block - 1, 0)
        try:
            if self.chain is not None:
                logs = self.chain.logs(start, None, self._watched)
            else:
                query = {"fromBlock": hex(start), "toBlock": "latest", "address": self._watched}
                logs = rpc(self.w3, "eth_getLogs", [query])
        except (ChainError, LeanRpcFailure):
            return self.poll()
        new = [g for g in logs if int(g["blockNumber"], 16) >= self._next_block]
        if not new:
            self._unbounded += 1
            return 0
        self._unbounded = 0
        added = self._decode(new)
        self._next_block = int(new[-1]["blockNumber"], 16) + 1
        self._head = max(self._head, self._next_block - 1)
        return added

    def _sends(self) -> int | None:
        """How many transactions this process sent through the node's provider (``None`` when
        the provider does not count them, or the chain is in-process: polling it is free)."""
        if isinstance(self.chain, InProcessChain):
            return None
        sends = getattr(self.w3.provider, "sends", None)
        return sends if isinstance(sends, int) else None

    def _saw_every_send(self) -> bool:
        """Whether every transaction sent through the provider since the last poll was mined
        with a receipt this timeline ingested: then nothing this process did is missing."""
        sends = self._sends()
        return sends is not None and sends == self._sends_seen

    def _collect(self, to_block: int) -> int:
        """Decode the logs of blocks ``_next_block .. to_block`` (one ``eth_getLogs``)."""
        if self.chain is not None:
            logs = self.chain.logs(self._next_block, to_block, self._watched)
        else:
            query = {"fromBlock": hex(self._next_block), "toBlock": hex(to_block)}
            logs = rpc(self.w3, "eth_getLogs", [{**query, "address": self._watched}])
        added = self._decode(logs)
        self._next_block = to_block + 1
        return added

    def _decode(self, logs: list[dict[str, Any]]) -> int:
        added = 0
        for log in logs:
            address = checksum(log["address"])
            topics = log["topics"]
            decoder = self._topics.get((address, _hex(topics[0]))) if topics else None
            if decoder is None:
                continue
            self.entries.append(
                Entry(
                    kind="event",
                    name=decoder.name,
                    args=_plain(decoder.args(log)),
                    block=int(log["blockNumber"], 16),
                    emitter=self._names[address],
                    tx=_hex(log["transactionHash"]),
                )
            )
            added += 1
        return added

    def ingest(self, receipt: dict[str, Any]) -> None:
        """Collect the logs of a transaction the harness just mined, from its receipt.

        When nothing else was mined since the last poll, the receipt's logs are all there is and
        no request is needed; otherwise the blocks up to the receipt's are collected.
        """
        with self._lock:
            block = int(receipt["blockNumber"], 16)
            if block == self._next_block:
                watched = self._names
                logs = receipt.get("logs", [])
                self._decode([g for g in logs if checksum(g["address"]) in watched])
                self._next_block = block + 1
            elif block > self._next_block:
                self._collect(block)
            self._head = max(self._head, block)
            self._sends_seen += 1  # this receipt's own send

    @contextmanager
    def trusting(self, follow_on: bool = False) -> Iterator[None]:
        """Poll, then trust this thread's view of the head until the block ends.

        The driver wraps a step in it: while only the harness acts, the head is the last block
        it polled or mined (:meth:`ingest`), so :meth:`add` records without asking the chain.
        Over JSON-RPC the poll skips the head read (see :meth:`_step_poll`).

        Args:
            follow_on: the step follows a productive step of the same ``run_until_idle`` at
                once; over JSON-RPC it works from what that step saw and mined, without a
                request, if the provider's send count shows nothing else of this process was
                sent since (an in-process chain is still polled: that costs no request).
        """
        with self._lock:
            if not (follow_on and self._saw_every_send()):
                self._step_poll()
        self._trusted_by = threading.get_ident()
        try:
            yield
        finally:
            self._trusted_by = None

    def add(self, kind: str, name: str, emitter: str = "", **args: Any) -> None:
        """Record a provider action or a note (after collecting the logs that precede it)."""
        with self._lock:
            if self._trusted_by != threading.get_ident():
                self.poll()
            self.entries.append(Entry(kind, name, _plain(args), self._head, emitter))

    def record(self, kind: str, name: str, emitter: str = "", **args: Any) -> None:
        """Record an entry without collecting logs first: safe inside a chain callback (an
        injected fault), where a JSON-RPC read could itself fail or wait."""
        with self._lock:
            block = max(self._next_block - 1, 0)
            self.entries.append(Entry(kind, name, _plain(args), block, emitter))

    def events(self, name: str | None = None) -> list[Entry]:
        """The decoded events so far, optionally only those called ``name``."""
        self.poll()
        return [e for e in self.entries if e.kind == "event" and (name is None or e.name == name)]

    def mark(self) -> tuple[int, int]:
        """A position to :meth:`truncate` back to (entry count, next block)."""
        with self._lock:
            self.poll()
            return len(self.entries), self._next_block

    def truncate(self, mark: tuple[int, int]) -> None:
        """Forget what was recorded after ``mark`` (used when the chain reverts)."""
        with self._lock:
            del self.entries[mark[0] :]
            self._next_block = mark[1]
            self._head = max(mark[1] - 1, 0)
            self.generation += 1

    def since(self, mark: tuple[int, int]) -> list[Entry]:
        """Entries recorded after ``mark``."""
        self.poll()
        return self.entries[mark[0] :]

    def __iter__(self) -> Iterator[Entry]:
        self.poll()
        return iter(list(self.entries))

    def __len__(self) -> int:
        self.poll()
        return len(self.entries)

    def render(self, entries: list[Entry] | None = None) -> str:
        """Text lines for people (the plugin's failure section)."""
        return "\n".join(e.text() for e in (self.entries if entries is None else entries))
