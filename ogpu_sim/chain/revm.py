"""The fast chain backend: an in-process EVM on revm (PyPI ``pyrevm``).

:class:`RevmChain` wraps one :class:`~ogpu_sim.chain.revm_node.RevmNode`, which answers
JSON-RPC like geth/anvil (one transaction per block, automine), so web3 and the SDK run
unchanged at ~1-2 ms per signed transaction, with microsecond snapshots. pyrevm is a thin layer
over revm's journal and leaves a node's duties to us. Its pitfalls and how the node handles them:

* ``spec_id`` must be spelled ``"Cancun"``; other spellings silently mean the latest spec.
* ``message_call`` neither bumps the sender's nonce nor charges gas. Both happen through
  journaled operations (a nonce bump is a reverting CREATE by the sender; gas is a value transfer
  to a fee sink) because ``set_balance``/``insert_account_info`` write outside revm's journal and
  a snapshot revert would not undo them. :meth:`RevmNode.set_balance` uses transfers too.
* ``commit()`` with no open checkpoint underflows the journal depth: it is never called. revm
  checkpoints are one-shot and nest by depth, so reverting to an older snapshot reverts the
  younger checkpoints first, then re-opens the target so its id stays valid.
* The journal is never finalized, so accounts and slots stay warm across transactions: gas used
  is lower than on a real chain (documented; estimates agree with execution here).
* Its getters (``basic``, ``get_balance``, ``get_code``, ``storage``) warm (EIP-2929) what they
  load, as state overrides' writes do: every read and override runs inside a checkpoint that is
  reverted, so ``eth_getBalance`` and the others leave later gas unchanged, as on geth/anvil.
* BASEFEE reads 0 (pyrevm zeroes it), so blocks report a base fee of 0 and a transaction pays
  ``gas used x min(maxFee, priority fee)``; GASPRICE reads 0 inside a contract creation.
* Revert data arrives only as text in the exception; it is parsed back into bytes
  (:mod:`.revm_exec`).
"""

from __future__ import annotations

from .base import DEFAULT_CHAIN_ID, check_chain_id
from .inprocess import InProcessChain
from .revm_exec import checksum
from .revm_node import RevmNode


class RevmChain(InProcessChain):
    """The fast in-process chain: a :class:`RevmNode` behind web3, served over HTTP on demand.

    Args:
        chain_id: the chain id (default: the OGPU testnet's, like the other backends).

    Raises:
        ConfigError: ``chain_id`` is not a positive integer.
    """

    def __init__(self, chain_id: int = DEFAULT_CHAIN_ID) -> None:
        chain_id = check_chain_id(chain_id)
        super().__init__(RevmNode(chain_id), chain_id)

    def set_balance(self, address: str, wei: int) -> None:
        """Give ``address`` exactly ``wei`` (undone by a revert for accounts without code)."""
        super().set_balance(checksum(address), wei)
