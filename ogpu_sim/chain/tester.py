"""The default chain: an in-process eth-tester/py-evm node that behaves like geth/anvil.

:class:`TesterChain` owns one :class:`~ogpu_sim.chain.tester_node.TesterNode`; the lock, the
web3 provider and the HTTP server on demand come from
:class:`~ogpu_sim.chain.inprocess.InProcessChain`.
"""

from __future__ import annotations

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
        super().__init__(TesterNode(chain_id), chain_id)
