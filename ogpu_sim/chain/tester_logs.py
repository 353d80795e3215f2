"""The eth-tester node's blocks and logs, as the shared filter registry reads them.

:class:`TesterLogSource` is the :class:`~ogpu_sim.chain.filters.LogSource` of a
:class:`~ogpu_sim.chain.tester_node.TesterNode`: it reads blocks and receipts from eth-tester and
hands their logs over in JSON-RPC shape.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eth_tester import EthereumTester
from eth_tester.exceptions import BlockNotFound
from eth_utils import ValidationError

from .jsonrpc import log_to_rpc


class TesterLogSource:
    """Blocks and logs of one eth-tester chain.

    Args:
        tester: the node's ``EthereumTester``.
        head_number: returns the number of the latest mined block.
    """

    def __init__(self, tester: EthereumTester, head_number: Callable[[], int]) -> None:
        self._tester = tester
        self._head_number = head_number

    @property
    def head_number(self) -> int:
        """Number of the latest mined block."""
        return self._head_number()

    def block_number_of(self, block_hash: str) -> int | None:
        """Number of the block with ``block_hash``, or None for an unknown hash."""
        try:
            return int(self._tester.get_block_by_hash(block_hash)["number"])
        except (BlockNotFound, ValidationError):
            return None

    def block_hash_at(self, number: int) -> str:
        """0x-hex hash of block ``number``."""
        return str(self._tester.get_block_by_number(number)["hash"])

    def block_logs(self, number: int) -> list[dict[str, Any]]:
        """Logs of block ``number`` in JSON-RPC shape."""
        tester = self._tester
        return [
            log_to_rpc(log)
            for tx_hash in tester.get_block_by_number(number)["transactions"]
            for log in tester.get_transaction_receipt(tx_hash)["logs"]
        ]
