"""The default chain: an in-process eth-tester/py-evm node that behaves like geth/anvil.

:class:`TesterChain` owns one :class:`~ogpu_sim.chain.tester_node.TesterNode`; the lock, the
web3 provider and the HTTP server on demand come from
:class:`~ogpu_sim.chain.inprocess.InProcessChain`. While it is open, py-evm's trie reads are
memoized (:mod:`.tester_trie`).
"""

from __future__ import annotations

from . import tester_trie
from .base import DEFAULT_CHAIN_ID, check_chain_id
from .inprocess import InProcessChain
from .tester_node import TesterNode


class TesterChain(InProcessChain):
    """An in-process eth-tester chain with wall-clock block time and geth-style errors.

    Args:
        chain_id: the chain id (default: the OGPU testnet's, 200820172034).

    Raises:
        ConfigError: ``chain_id`` is not a positive integer.
    """

    __test__ = False  # not a pytest test class, despite its name

    def __init__(self, chain_id: int = DEFAULT_CHAIN_ID) -> None:
        chain_id = check_chain_id(chain_id)
        tester_trie.acquire()
        self._trie_cache = True
        try:
            super().__init__(TesterNode(chain_id), chain_id)
        except BaseException:
            self._release_trie_cache()
            raise

    def _release_trie_cache(self) -> None:
        if self._trie_cache:
            self._trie_cache = False
            tester_trie.release()

    def close(self) -> None:
        """Stop interval mining and the HTTP server, release the trie cache; idempotent."""
        try:
            super().close()
        finally:
            self._release_trie_cache()
