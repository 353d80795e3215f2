"""``eth_getLogs`` and polling filters for the in-process node, with anvil's semantics.

Filters are cursors over block numbers rather than eth-tester's push-style filters, so they
need no work per transaction and stay correct across snapshot reverts (a cursor past the new
head is pulled back). As on anvil, the first ``eth_getFilterChanges`` of a log filter created
with a past ``fromBlock`` returns the logs since that block (``ogpu.events`` watchers rely on it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from eth_utils import to_checksum_address

from .jsonrpc import INVALID_PARAMS, SERVER_ERROR, RpcError, log_to_rpc, quantity

if TYPE_CHECKING:
    from .tester_node import TesterNode


@dataclass
class _Filter:
    kind: str  # "logs" or "blocks"
    next_block: int
    query: dict[str, Any] = field(default_factory=dict)


class FilterRegistry:
    """Installed filters of one :class:`TesterNode`, and log queries over its blocks."""

    def __init__(self, node: TesterNode) -> None:
        self.node = node
        self._filters: dict[str, _Filter] = {}
        self._counter = 0

    def _block_number(self, tag: Any, default: int) -> int:
        if tag is None:
            return default
        if tag in ("latest", "pending", "safe", "finalized"):
            return self.node.head_number
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
        tester = self.node.tester
        addresses = {a.lower() for a in criteria["addresses"]} if criteria["addresses"] else None
        for number in range(max(first, 0), min(last, self.node.head_number) + 1):
            block = tester.get_block_by_number(number)
            for tx_hash in block["transactions"]:
                for log in tester.get_transaction_receipt(tx_hash)["logs"]:
                    if addresses is not None and log["address"].lower() not in addresses:
                        continue
                    if _topics_match(criteria["topics"], log["topics"]):
                        found.append(log_to_rpc(log))
        return found

    def logs(self, query: Any) -> list[dict[str, Any]]:
        """``eth_getLogs``: matching logs of a block range (default: the latest block)."""
        criteria = self._criteria(query)
        if query.get("blockHash"):
            block = self.node.get_block_by_hash(query["blockHash"])
            if block is None:
                raise RpcError(SERVER_ERROR, f"unknown block {query['blockHash']}")
            number = int(block["number"], 16)
            return self._collect(criteria, number, number)
        head = self.node.head_number
        first = self._block_number(query.get("fromBlock"), head)
        last = self._block_number(query.get("toBlock"), head)
        return self._collect(criteria, first, last)

    def _install(self, item: _Filter) -> str:
        self._counter += 1
        filter_id = hex(self._counter)
        self._filters[filter_id] = item
        return filter_id

    def new_log_filter(self, query: Any) -> str:
        """``eth_newFilter``; the first poll includes logs since ``fromBlock`` when given."""
        self._criteria(query)
        head = self.node.head_number
        start = self._block_number(query.get("fromBlock"), head + 1)
        return self._install(_Filter("logs", start, dict(query)))

    def new_block_filter(self) -> str:
        """``eth_newBlockFilter``: hashes of blocks mined after installation."""
        return self._install(_Filter("blocks", self.node.head_number + 1))

    def _get(self, filter_id: Any) -> _Filter:
        item = self._filters.get(str(filter_id).lower()) if filter_id is not None else None
        if item is None:
            raise RpcError(SERVER_ERROR, "filter not found")
        return item

    def changes(self, filter_id: Any) -> list[Any]:
        """``eth_getFilterChanges``: what arrived since the last poll."""
        item = self._get(filter_id)
        head = self.node.head_number
        first = item.next_block
        if first > head:  # nothing mined since (or a fromBlock still in the future)
            return []
        item.next_block = head + 1
        if item.kind == "blocks":
            tester = self.node.tester
            return [tester.get_block_by_number(n)["hash"] for n in range(first, head + 1)]
        criteria = self._criteria(item.query)
        last = self._block_number(item.query.get("toBlock"), head)
        return self._collect(criteria, first, min(head, last))

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


def _topics_match(wanted: list[Any], topics: list[Any]) -> bool:
    for index, want in enumerate(wanted):
        if want is None:
            continue
        if index >= len(topics):
            return False
        options = [want] if isinstance(want, str) else want
        if not isinstance(options, list):
            raise RpcError(INVALID_PARAMS, f"invalid topic {want!r}")
        have = topics[index]
        have_hex = ("0x" + have.hex()) if isinstance(have, bytes) else str(have)
        if options and have_hex.lower() not in {str(o).lower() for o in options if o}:
            return False
    return True
