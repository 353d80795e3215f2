"""The eth-tester node's blocks and logs, as the shared filter registry reads them.

:class:`TesterLogSource` is the :class:`~ogpu_sim.chain.filters.LogSource` of a
:class:`~ogpu_sim.chain.tester_node.TesterNode`: it reads a block's transactions and their
receipts through the node's own ``eth_getBlockByNumber`` and ``eth_getTransactionReceipt``
answers (kept by block hash, :mod:`.tester_answers`, and shared with every other caller: the
harness's reads of a block it collects the logs of cost nothing more) and hands their logs over
in JSON-RPC shape, as eth-tester's block and receipt give them.
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
        transactions: the 0x-hex transaction hashes of mined block ``number``, or None when
            there is no such block.
        receipt: the node's ``eth_getTransactionReceipt`` in JSON-RPC shape.
    """

    def __init__(
        self,
        tester: EthereumTester,
        head_number: Callable[[], int],
        transactions: Callable[[int], list[str] | None],
        receipt: Callable[[str], dict[str, Any] | None],
    ) -> None:
        self._tester = tester
        self._head_number = head_number
        self._transactions = transactions
        self._receipt = receipt

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
        hashes = self._transactions(number)
        if hashes is None:
            raise BlockNotFound(f"No block found for block number: {number}")
        logs: list[dict[str, Any]] = []
        for tx_hash in hashes:
            receipt = self._receipt(tx_hash)
            if receipt is None:  # not where the block says: eth-tester's own lookup decides
                logs += map(log_to_rpc, self._tester.get_transaction_receipt(tx_hash)["logs"])
            else:
                logs += receipt["logs"]
        return logs
