"""``eth_getBalance``, ``eth_getTransactionCount``, ``eth_getCode`` and ``eth_getStorageAt`` at
``latest``, read from the head state's account database.

eth-tester answers each read (``EthereumTester.get_balance`` and the others) by validating and
normalizing its arguments, then its backend builds the pending block, decodes the head block
with its transactions, makes a VM for it and a state (execution context, system-contract
checks) to read one account field. :class:`HeadReads` keeps eth-tester's validation and
normalization, in and out, and reads the field from an account database at the head block's
state root, of the class that state would use, kept while the root stays the same (a state
root names its trie, which never changes, and nothing writes through this database). Other
block tags take eth-tester's own path.

:meth:`HeadReads.code_hash` and :meth:`HeadReads.words` read raw (no eth-tester validation),
for the harness's direct reads of a contract's storage
(:meth:`~ogpu_sim.chain.inprocess.InProcessChain.head_storage`), from the state an ``eth_call``
runs on: the pending block's state root (this node's pending block holds no transactions, so
it is latest's), which needs no header read from the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eth_utils import to_canonical_address

from .jsonrpc import plain_address


class HeadReads:
    """Account reads at ``latest`` for a :class:`~ogpu_sim.chain.tester_node.TesterNode`.

    Args:
        tester: the node's ``EthereumTester`` (its validator and normalizer answer as before).
    """

    def __init__(self, tester: Any) -> None:
        self.tester = tester
        self._pending: Any = None  # the pending header the database below was found for
        self._root: bytes | None = None
        self._db: Any = None
        self._call_root: bytes | None = None  # the state root calls run on, and its database
        self._call_db: Any = None

    def _account_db(self, chain: Any) -> Any:
        """The account database of eth-tester's ``latest`` block: the one before pending."""
        pending = chain.header
        if pending is self._pending:
            return self._db
        number = max(0, pending.block_number - 1)
        header = chain.get_canonical_block_header_by_number(number)
        root = header.state_root
        if root != self._root:
            state_class = chain.get_vm_class_for_block_number(number).get_state_class()
            self._db = state_class.get_account_db_class()(chain.chaindb.db, root)
            self._root = root
        self._pending = pending
        return self._db

    def _calls_db(self, chain: Any) -> Any:
        """An account database at the pending block's state root, which ``eth_call`` runs on."""
        pending = chain.header
        root = pending.state_root
        if root != self._call_root:
            state_class = chain.get_vm_class(pending).get_state_class()
            self._call_db = state_class.get_account_db_class()(chain.chaindb.db, root)
            self._call_root = root
        return self._call_db

    def _account(self, account: Any) -> bytes:
        self.tester.validator.validate_inbound_account(account)
        raw: bytes = self.tester.normalizer.normalize_inbound_account(account)
        return raw

    def balance(self, chain: Any, account: Any) -> int:
        """``EthereumTester.get_balance(account, "latest")``."""
        raw = self._account_db(chain).get_balance(self._account(account))
        self.tester.validator.validate_outbound_balance(raw)
        balance: int = self.tester.normalizer.normalize_outbound_balance(raw)
        return balance

    def nonce(self, chain: Any, account: Any) -> int:
        """``EthereumTester.get_nonce(account, "latest")``."""
        raw = self._account_db(chain).get_nonce(self._account(account))
        self.tester.validator.validate_outbound_nonce(raw)
        nonce: int = self.tester.normalizer.normalize_outbound_nonce(raw)
        return nonce

    def code(self, chain: Any, account: Any) -> str:
        """``EthereumTester.get_code(account, "latest")``."""
        raw = self._account_db(chain).get_code(self._account(account))
        self.tester.validator.validate_outbound_code(raw)
        code: str = self.tester.normalizer.normalize_outbound_code(raw)
        return code

    def storage(self, chain: Any, account: Any, slot: str) -> Any:
        """``EthereumTester.get_storage_at(account, slot, "latest")``."""
        address = self._account(account)
        self.tester.validator.validate_inbound_storage_slot(slot)
        raw_slot = self.tester.normalizer.normalize_inbound_storage_slot(slot)
        raw = self._account_db(chain).get_storage(address, raw_slot)
        self.tester.validator.validate_outbound_storage(raw)
        return self.tester.normalizer.normalize_outbound_storage(raw)

    def code_hash(self, chain: Any, address: str) -> bytes:
        """The keccak of ``address``'s code where calls run (of no code for an account without).

        Raises:
            ValueError: ``address`` is not a 20-byte hex address.
        """
        code_hash: bytes = self._calls_db(chain).get_code_hash(_canonical(address))
        return code_hash

    def words(self, chain: Any, address: str, slots: Sequence[int]) -> list[int]:
        """Storage slots ``slots`` of ``address`` where calls run, as ints.

        Raises:
            ValueError: ``address`` is not a 20-byte hex address.
        """
        db, raw = self._calls_db(chain), _canonical(address)
        return [int(db.get_storage(raw, slot)) for slot in slots]


def _canonical(address: str) -> bytes:
    """``to_canonical_address(address)``, directly for 0x and 40 hex digits (the usual case).

    Raises:
        ValueError: ``address`` is not a 20-byte hex address.
    """
    raw = plain_address(address)
    return raw if raw is not None else bytes(to_canonical_address(address))


__all__ = ["HeadReads"]
