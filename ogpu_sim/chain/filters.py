"""``eth_getLogs`` and polling filters for both in-process nodes, with geth's start and reorgs.

A node hands :class:`FilterRegistry` a :class:`LogSource` (its head, block hashes and each
block's logs in JSON-RPC shape); the registry answers every log and filter method from it.
Filters are cursors over block numbers rather than push-style filters, so they need no work
per transaction and stay correct across snapshot reverts (the node calls :meth:`rewind` and a
cursor past the new head is pulled back).

Where a new log filter starts: as on geth, a filter without ``fromBlock`` (or with a tag such
as ``latest``, or with the head's own number) reports only logs of blocks mined after it was
installed. The SDK's event watchers with ``from_block=None`` pass the head's number, so their
first event is never one mined before they started. A ``fromBlock`` below the head replays the
logs since that block on the first ``eth_getFilterChanges`` (as anvil does; the SDK's watchers
with an explicit past ``from_block`` rely on it). After a reorg (:meth:`reorg`) a log filter that
had reported logs of the replaced blocks reports them again with ``removed: true``, then the
new blocks' logs, as geth does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from eth_utils import to_checksum_address

from .jsonrpc import INVALID_PARAMS, SERVER_ERROR, RpcError, quantity

LATEST_TAGS = ("latest", "pending", "safe", "finalized")
"""Block tags that name the head for log queries."""


class LogSource(Protocol):
    """What a node shows the filter registry: its blocks and their logs."""

    @property
    def head_number(self) -> int:
        """Number of the latest mined block."""
        ...

    def block_number_of(self, block_hash: str) -> int | None:
        """Number of the block with ``block_hash``, or None for an unknown hash."""
        ...

    def block_hash_at(self, number: int) -> str:
        """0x-hex hash of mined block ``number`` (0 <= number <= head)."""
        ...

    def block_logs(self, number: int) -> Iterable[dict[str, Any]]:
        """Logs of mined block ``number`` in JSON-RPC shape (hex ``address`` and ``topics``)."""
        ...


@dataclass
class _Filter:
    kind: str  # "logs" or "blocks"
    next_block: int
    query: dict[str, Any] = field(default_factory=dict)
    removed: list[dict[str, Any]] = field(default_factory=list)


class FilterRegistry:
    """Installed filters of one node, and log queries over its blocks.

    Args:
        source: the node's blocks and logs.
    """

    def __init__(self, source: LogSource) -> None:
        self.source = source
        self._filters: dict[str, _Filter] = {}
        self._counter = 0

    def _block_number(self, tag: Any, default: int) -> int:
        if tag is None:
            return default
        if tag in LATEST_TAGS:
            return self.source.head_number
        if tag == "earliest":
            return 0
        return quantity(tag, "block")

    def _criteria(self, query: Any) -> dict[str, Any]:
        if not isinstance(query, dict):
            raise RpcError(INVALID_PARAMS, "invalid argument 0: expected a filter object")
        address = query.get("address")
        if isinstance(address, str):
            address = [address]
        try:
            addresses = [to_checksum_address(a) for a in address] if address else None
        except (ValueError, TypeError):
            raise RpcError(INVALID_PARAMS, f"invalid address in filter: {address!r}") from None
        topics = query.get("topics")
        if topics is not None and not isinstance(topics, list):
            raise RpcError(INVALID_PARAMS, "invalid argument: topics must be a list")
        return {"addresses": addresses, "topics": topics or []}

    def _collect(self, criteria: dict[str, Any], first: int, last: int) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        addresses = {a.lower() for a in criteria["addresses"]} if criteria["addresses"] else None
        for number in range(max(first, 0), min(last, self.source.head_number) + 1):
            for log in self.source.block_logs(number):
                if addresses is not None and log["address"].lower() not in addresses:
                    continue
                if topics_match(criteria["topics"], log["topics"]):
                    found.append(log)
        return found

    def collect(
        self, first: int, last: int | None = None, addresses: list[str] | None = None
    ) -> list[dict[str, Any]]:
        """Logs of blocks ``first..last`` (default: the head), optionally only of ``addresses``.

        The harness's direct read: no query validation, no JSON-RPC round trip.
        """
        head = self.source.head_number
        criteria = {"addresses": addresses or None, "topics": []}
        return self._collect(criteria, first, head if last is None else last)

    def logs(self, query: Any) -> list[dict[str, Any]]:
        """``eth_getLogs``: matching logs of a block range (default: the latest block)."""
        criteria = self._criteria(query)
        if query.get("blockHash"):
            number = self.source.block_number_of(query["blockHash"])
            if number is None:
                raise RpcError(SERVER_ERROR, f"unknown block {query['blockHash']}")
            return self._collect(criteria, number, number)
        head = self.source.head_number
        first = self._block_number(query.get("fromBlock"), head)
        last = self._block_number(query.get("toBlock"), head)
        if first > last:
            raise RpcError(
                INVALID_PARAMS,
                f"invalid block range params: fromBlock {first} is after toBlock {last}",
            )
        return self._collect(criteria, first, last)

    def _install(self, item: _Filter) -> str:
        self._counter += 1
        filter_id = hex(self._counter)
        self._filters[filter_id] = item
        return filter_id

    def new_log_filter(self, query: Any) -> str:
        """``eth_newFilter``: logs from the next block on, or since a past ``fromBlock``."""
        self._criteria(query)
        head = self.source.head_number
        start = query.get("fromBlock")
        first = head + 1 if start is None or start in LATEST_TAGS else self._block_number(start, 0)
        return self._install(_Filter("logs", head + 1 if first == head else first, dict(query)))

    def new_block_filter(self) -> str:
        """``eth_newBlockFilter``: hashes of blocks mined after installation."""
        return self._install(_Filter("blocks", self.source.head_number + 1))

    def _get(self, filter_id: Any) -> _Filter:
        item = self._filters.get(str(filter_id).lower()) if filter_id is not None else None
        if item is None:
            raise RpcError(SERVER_ERROR, "filter not found")
        return item

    def changes(self, filter_id: Any) -> list[Any]:
        """``eth_getFilterChanges``: what arrived since the last poll."""
        item = self._get(filter_id)
        removed, item.removed = item.removed, []
        head = self.source.head_number
        first = item.next_block
        if first > head:  # nothing mined since (or a fromBlock still in the future)
            return list(removed)
        item.next_block = head + 1
        if item.kind == "blocks":
            return [self.source.block_hash_at(n) for n in range(first, head + 1)]
        criteria = self._criteria(item.query)
        last = self._block_number(item.query.get("toBlock"), head)
        return removed + self._collect(criteria, first, min(head, last))

    def all_logs(self, filter_id: Any) -> list[dict[str, Any]]:
        """``eth_getFilterLogs``: every log matching a log filter's query."""
        item = self._get(filter_id)
        if item.kind != "logs":
            raise RpcError(SERVER_ERROR, "filter not found")
        return self.logs(item.query)

    def uninstall(self, filter_id: Any) -> bool:
        """``eth_uninstallFilter``: True when the filter existed."""
        return self._filters.pop(str(filter_id).lower(), None) is not None

    def rewind(self, head: int) -> None:
        """After a revert, pull cursors past the new head back to it."""
        for item in self._filters.values():
            item.next_block = min(item.next_block, head + 1)

    def reorg(self, fork: int, replaced: list[dict[str, Any]]) -> None:
        """Blocks after ``fork`` were replaced: log filters report what they had seen of
        ``replaced`` (those blocks' logs) again with ``removed: true``, and cursors rewind."""
        for item in self._filters.values():
            if item.next_block <= fork + 1:
                continue
            if item.kind == "logs":
                criteria = self._criteria(item.query)
                addresses = criteria["addresses"]
                wanted = {a.lower() for a in addresses} if addresses else None
                item.removed.extend(
                    {**log, "removed": True}
                    for log in replaced
                    if int(log["blockNumber"], 16) < item.next_block
                    and (wanted is None or log["address"].lower() in wanted)
                    and topics_match(criteria["topics"], log["topics"])
                )
            item.next_block = fork + 1


def topics_match(wanted: list[Any], topics: list[Any]) -> bool:
    """True when a log's ``topics`` match a filter's: position by position, None or an empty
    list matches anything, a list matches any of its entries (case-insensitive hex). A log
    with fewer topics than the filter has positions never matches (geth's rule).

    Raises:
        RpcError: a position holds neither None, a string nor a list.
    """
    if len(wanted) > len(topics):
        return False
    for index, want in enumerate(wanted):
        if want is None:
            continue
        if index >= len(topics):
            return False
        options = [want] if isinstance(want, str) else want
        if not isinstance(options, list):
            raise RpcError(INVALID_PARAMS, f"invalid topic {want!r}")
        if options and str(topics[index]).lower() not in {str(o).lower() for o in options if o}:
            return False
    return True
