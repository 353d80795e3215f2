"""A geth-like JSON-RPC node over one in-process ``EthereumTester(PyEVMBackend())``.

eth-tester alone is not node-faithful in ways the ``ogpu`` SDK notices (block time, nonce and
revert wording, gas estimates for nested creations): this node corrects them. Calls and
estimates execute in the *pending* block, whose timestamp is refreshed from the wall clock
(plus the time-travel offset) right before every execution, so an estimate sees exactly what
the transaction will. Calls are costless (zero gas price, zero base fee) so an unfunded ``from``
works. Gas is estimated over complete executions (:mod:`.tester_gas`), which honours the 63/64
rule for nested ``CREATE``. Snapshots move the canonical head back without re-executing blocks,
so balances written directly into state survive them. Logs and filters: :mod:`.filters`;
calls, access lists and ``eth_simulateV1``: :mod:`.tester_calls`; the states calls and
estimates execute on: :mod:`.tester_view`; state overrides: :mod:`.state_override`; account
reads at ``latest``: :mod:`.tester_reads`; receipts and remembered blocks:
:mod:`.tester_receipts`; a sent transaction applied and mined in one pass: :mod:`.tester_mine`
(the block persisted by :mod:`.tester_chaindb`), from the last estimate's run when it
was provably the same execution (:mod:`.tester_reuse`). The dev accounts are funded at genesis
(:mod:`.dev_accounts`). Not thread-safe: :class:`ogpu_sim.chain.tester.TesterChain`
serializes access with its lock. (About 730 lines: the JSON-RPC method table at the end names
this node's methods and stays beside them.)
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth.constants import GENESIS_PARENT_HASH
from eth.exceptions import HeaderNotFound, Revert, VMError
from eth.exceptions import TransactionNotFound as PyEvmTransactionNotFound
from eth.vm.forks import ParisVM, PragueVM
from eth.vm.forks.cancun import get_total_blob_gas
from eth_tester import EthereumTester, PyEVMBackend
from eth_tester.backends.pyevm.serializers import serialize_block
from eth_tester.exceptions import BlockNotFound, TransactionNotFound
from eth_tester.exceptions import ValidationError as TesterValidationError
from eth_utils import ValidationError as EthUtilsValidationError
from eth_utils import keccak, to_canonical_address, to_checksum_address

from .base import SnapshotLedger, check_blocks, check_seconds, check_wei
from .dev_accounts import DEV_ACCOUNT_BALANCE, dev_accounts
from .filters import FilterRegistry
from .jsonrpc import (
    INVALID_PARAMS,
    METHOD_NOT_FOUND,
    SERVER_ERROR,
    TRANSACTION_REJECTED,
    RpcError,
    block_to_rpc,
    data_bytes,
    nonce_error,
    quantity,
    receipt_to_rpc,
    revert_error,
    tx_to_rpc,
)
from .state_override import apply_to_py_evm, no_block_overrides, parse_state_overrides
from .tester_answers import AnswerMemo
from .tester_calls import build_call, create_access_list, simulate_v1
from .tester_evm import lean_computation
from .tester_gas import estimate_gas
from .tester_logs import TesterLogSource
from .tester_mine import applies, apply_and_mine, seed_sender
from .tester_reads import HeadReads
from .tester_receipts import mined_receipt, remember_block, remember_sender, remembered_block
from .tester_reuse import Recorded, applicable, capture, replay
from .tester_storage import state_methods
from .tester_view import apply_sent, view_state

PRIORITY_FEE = 10**9
"""eth-tester's fixed priority fee (1 gwei), answered by ``eth_maxPriorityFeePerGas``."""

ZERO_ADDRESS = b"\x00" * 20
MAX_TIMESTAMPS = 100_000
"""Block timestamps kept by block hash at most; the memo starts over when full."""


@dataclass(frozen=True)
class _Saved:
    head_hash: bytes
    time_offset: int


def _version() -> str:
    from importlib.metadata import version

    return f"ogpu-sim/eth-tester-{version('eth-tester')}/py-evm-{version('py-evm')}"


class TesterNode:
    """Answers JSON-RPC methods (``request``) like geth/anvil, over eth-tester and py-evm.

    Args:
        chain_id: answered by ``eth_chainId``, read by CHAINID, required of signed transactions.
    """

    def __init__(self, chain_id: int) -> None:
        self.chain_id = chain_id
        self.clock: Any = time.time  # the wall clock block time follows; see Chain.set_clock
        self.backend = PyEVMBackend(genesis_state=_dev_genesis())
        # The chain class is created per backend, so this changes only our chain: CHAINID and
        # the transaction builders read it.
        chain_class = type(self.backend.chain)
        chain_class.chain_id = chain_id
        chain_class.vm_configuration = tuple(
            (start, _node_vm(vm)) for start, vm in chain_class.vm_configuration
        )
        self.tester = EthereumTester(self.backend)
        self.time_offset = 0
        self.snapshots: SnapshotLedger[_Saved] = SnapshotLedger()
        self.filters = FilterRegistry(
            TesterLogSource(
                self.tester, lambda: self.head_number, self.transaction_hashes, self.get_receipt
            )
        )
        self.client_version = _version()
        self.answers = AnswerMemo()
        self.reads = HeadReads(self.tester)
        self._timestamps: dict[bytes, int] = {}
        self._free_header: tuple[Any, Any] = (None, None)  # a header, its base-fee-0 copy
        self._confirmed: Recorded | None = None  # the last estimate's run (.tester_reuse)
        self.reuse = True  # False: every send executes (the twin tests' reference path)

    # -- time and blocks ----------------------------------------------------------------------
    @property
    def chain(self) -> Any:
        """The py-evm chain (replaced by eth-tester on some operations, so always re-read)."""
        return self.backend.chain

    @property
    def head_number(self) -> int:
        """Number of the latest mined block."""
        return int(self.chain.header.block_number) - 1

    def head_code_hash(self, address: str) -> bytes:
        """The keccak of the account's code where calls run (:meth:`HeadReads.code_hash`)."""
        return self.reads.code_hash(self.chain, address)

    def head_storage(self, address: str, slots: Sequence[int]) -> list[int]:
        """Storage slots of the account where calls run, as ints (:meth:`HeadReads.words`)."""
        return self.reads.words(self.chain, address, slots)

    def now(self) -> int:
        """The timestamp the next block will carry: wall clock + offset, never before its parent.

        Blocks mined within one second share their timestamp (as on anvil), so the chain never
        runs ahead of the wall clock; see :func:`_node_vm`.
        """
        return max(self._head_timestamp(), int(self.clock()) + self.time_offset)

    def _head_timestamp(self) -> int:
        """The canonical head's timestamp, remembered by its hash (a header never changes)."""
        chaindb = self.chain.chaindb
        head_hash = chaindb._get_canonical_head_hash(chaindb.db)  # py-evm: get_canonical_head
        stamp = self._timestamps.get(head_hash)
        if stamp is None:
            stamp = self._remember_timestamp(chaindb.get_block_header_by_hash(head_hash))
        return stamp

    def _remember_timestamp(self, header: Any) -> int:
        if len(self._timestamps) >= MAX_TIMESTAMPS:
            self._timestamps.clear()
        self._timestamps[header.hash] = header.timestamp
        return int(header.timestamp)

    def _refresh_pending(self) -> Any:
        """Stamp the pending block with :meth:`now` and return its header."""
        chain = self.chain
        stamp = self.now()
        if chain.header.timestamp != stamp:
            chain.header = chain.header.copy(timestamp=stamp)
        return chain.header

    def advance_time(self, seconds: int) -> int:
        """Move chain time so the next block carries at least ``now() + seconds``."""
        target = self.now() + check_seconds(seconds)
        self.time_offset = target - int(self.clock())
        return self.time_offset

    def mine(self, blocks: int = 1) -> None:
        """Mine empty blocks, each stamped from the wall clock like a transaction's block."""
        for _ in range(check_blocks(blocks)):
            self._refresh_pending()
            self._mine_one()

    # -- snapshots ----------------------------------------------------------------------------
    def snapshot(self) -> str:
        """Record the head block and the time offset; returns an opaque id."""
        head = self.chain.get_canonical_head()
        return self.snapshots.add(_Saved(head.hash, self.time_offset))

    def revert(self, snapshot_id: str) -> None:
        """Make the snapshot's block the head again (no re-execution) and restore its offset."""
        saved = self.snapshots.get(snapshot_id)
        chain = self.chain
        header = chain.chaindb.get_block_header_by_hash(saved.head_hash)
        chain.chaindb._set_as_canonical_chain_head(chain.chaindb.db, header, GENESIS_PARENT_HASH)
        chain.header = chain.create_header_from_parent(header)
        self.time_offset = saved.time_offset
        self.snapshots.reverted_to(snapshot_id)
        self.filters.rewind(self.head_number)

    def release(self, snapshot_id: str) -> None:
        """Forget a snapshot (it holds only a block hash); its id then raises."""
        self.snapshots.release(snapshot_id)

    def reorg(self, depth: int) -> tuple[list[bytes], list[str]]:
        """Make block ``head - depth`` the head (its successors leave the canonical chain).

        Snapshots taken after it become invalid, log filters report the replaced blocks' logs
        as removed. The caller mines the replacement blocks.

        Returns:
            The signed transactions of the replaced blocks and their hashes, in block order.
        """
        chain = self.chain
        head = self.head_number
        fork = head - depth
        raws: list[bytes] = []
        replaced: list[dict[str, Any]] = []
        for number in range(fork + 1, head + 1):
            raws += [tx.encode() for tx in chain.get_canonical_block_by_number(number).transactions]
            replaced += self.filters.source.block_logs(number)
        header = chain.get_canonical_block_header_by_number(fork)
        chain.chaindb._set_as_canonical_chain_head(chain.chaindb.db, header, GENESIS_PARENT_HASH)
        chain.header = chain.create_header_from_parent(header)
        numbers = chain.chaindb.get_block_header_by_hash
        self.snapshots.invalidate_where(
            lambda saved: numbers(saved.head_hash).block_number > fork,
            f"it was taken after block {fork}, which a reorg replaced the successors of",
        )
        self.filters.reorg(fork, replaced)
        return raws, ["0x" + keccak(raw).hex() for raw in raws]

    # -- accounts -----------------------------------------------------------------------------
    def set_balance(self, address: str, wei: int) -> None:
        """Write a balance into state and mine it, so ``latest`` reads and snapshots see it."""
        check_wei(wei)
        chain = self.chain
        self._refresh_pending()
        state = chain.get_vm().state
        state.set_balance(_address(address), wei)
        state.persist()
        chain.header = chain.header.copy(state_root=state.state_root)
        self._mine_one()

    # -- execution ----------------------------------------------------------------------------
    def _header_for(self, tag: Any) -> Any:
        if tag in (None, "latest", "pending", "safe", "finalized"):
            return self._refresh_pending()
        number = 0 if tag == "earliest" else quantity(tag, "block")
        if number > self.head_number:
            raise RpcError(SERVER_ERROR, f"header for block {number} not found")
        return self.chain.get_canonical_block_header_by_number(number)

    def _fresh_state(self, tag: Any, overrides: Any, *, view: bool = False) -> tuple[Any, Any, Any]:
        """A throw-away state at ``tag`` (costless: base fee 0) with ``overrides`` applied.

        ``view``: a state whose executions skip py-evm's finalization (:mod:`.tester_view`),
        for callers that read only the executed computation and discard the state.
        """
        header = self._header_for(tag)
        vm = self.chain.get_vm(header)
        last, free = self._free_header
        if last is not header:
            free = header.copy(base_fee_per_gas=0)
            self._free_header = (header, free)
        db = self.chain.chaindb.db
        if view:
            state = view_state(vm, db, free)
        else:
            state = vm.build_state(db, free, vm.chain_context, vm.previous_hashes)
        apply_to_py_evm(state, parse_state_overrides(overrides))
        return state, header, vm

    def _state_and_tx(
        self, call: dict[str, Any], tag: Any, overrides: Any, *, keep_nonce: bool
    ) -> Any:
        state, header, vm = self._fresh_state(tag, overrides, view=True)
        tx, sender = build_call(
            vm, state, header.gas_limit, self.chain_id, call, keep_nonce=keep_nonce
        )
        return state, tx, sender

    def create_access_list(self, call: dict[str, Any], tag: Any = "latest") -> dict[str, Any]:
        """``eth_createAccessList`` (see :mod:`.tester_calls`)."""
        state, header, vm = self._fresh_state(tag, None)
        try:
            return create_access_list(vm, state, header.gas_limit, self.chain_id, call)
        except EthUtilsValidationError as exc:
            raise _validation_error(exc, call.get("from") or ZERO_ADDRESS) from None

    def simulate(self, payload: Any, tag: Any = "latest") -> list[dict[str, Any]]:
        """``eth_simulateV1`` on top of ``tag``'s state (see :mod:`.tester_calls`)."""
        if self._tag(tag) not in ("latest", "pending"):
            raise RpcError(INVALID_PARAMS, "invalid argument 1: simulate on top of 'latest' only")
        pending = self._refresh_pending()
        return simulate_v1(
            self.chain.get_vm, self.chain.chaindb.db, pending, self.chain_id, payload
        )

    def call(
        self,
        call: dict[str, Any],
        tag: Any = "latest",
        overrides: Any = None,
        block_overrides: Any = None,
    ) -> str:
        """``eth_call`` in the pending block (or at a past block), never committing."""
        no_block_overrides(block_overrides)
        state, tx, sender = self._state_and_tx(call, tag, overrides, keep_nonce=False)
        try:  # the state is dropped after this one execution: nothing to revert
            computation = state.apply_transaction(tx)
        except EthUtilsValidationError as exc:
            raise _validation_error(exc, sender) from None
        if computation.is_error:
            raise _vm_error(computation.error)
        return "0x" + computation.output.hex()

    def estimate_gas(self, call: dict[str, Any], tag: Any = "latest", overrides: Any = None) -> str:
        """``eth_estimateGas`` in the pending block (see :mod:`.tester_gas`)."""
        state, tx, sender = self._state_and_tx(call, tag, overrides, keep_nonce=True)
        self._confirmed = None
        runs: list[Recorded | None] = []
        keep = None
        if self.reuse and overrides is None and tag in (None, "latest", "pending"):
            chain, header = self.chain, self.chain.header

            def keep(run: Any, computation: Any, least: int) -> None:
                runs.append(capture(chain, header, state, run, computation, least))

        try:
            gas = estimate_gas(state, tx, keep)
            self._confirmed = next(
                (run for run in reversed(runs) if run is not None and run.least <= gas <= run.gas),
                None,
            )
            return hex(gas)
        except EthUtilsValidationError as exc:
            raise _validation_error(exc, sender) from None
        except VMError as exc:
            raise _vm_error(exc) from None

    def send_raw_transaction(self, raw_hex: Any) -> str:
        """Validate like a node (chain id, signature, nonce, funds), execute and mine it."""
        raw = data_bytes(raw_hex, "raw transaction")
        self._refresh_pending()
        try:
            tx = self.chain.get_vm().get_transaction_builder().decode(raw)
            seed_sender(tx, raw)
            sender = to_checksum_address(tx.sender)
        except Exception as exc:  # py-evm raises several types for undecodable input
            raise RpcError(SERVER_ERROR, f"rlp: invalid signed transaction: {exc}") from None
        if tx.gas < tx.intrinsic_gas:
            raise RpcError(
                TRANSACTION_REJECTED,
                f"intrinsic gas too low: gas {tx.gas}, minimum needed {tx.intrinsic_gas}",
            )
        tx_chain_id = getattr(tx, "chain_id", None)
        if tx_chain_id is not None and tx_chain_id != self.chain_id:
            raise RpcError(
                TRANSACTION_REJECTED,
                f"invalid chain id for signer: have {tx_chain_id} want {self.chain_id}",
            )
        chain = self.chain
        fused = applies(chain, tx)
        confirmed, self._confirmed = self._confirmed, None
        apply: Any = apply_sent
        if fused and confirmed is not None and applicable(confirmed, chain, tx):
            recorded = confirmed

            def apply(state: Any, transaction: Any) -> Any:
                return replay(state, transaction, recorded)

        try:
            if fused:
                mined, receipt = apply_and_mine(
                    chain,
                    tx,
                    coinbase=ZERO_ADDRESS,
                    mix_hash=os.urandom(32),
                    apply=apply,
                )
                self._remember_timestamp(mined.header)
                remember_block(mined, (receipt,))
            else:
                block, _receipt, _computation = chain.apply_transaction(tx)
        except EthUtilsValidationError as exc:
            raise _validation_error(exc, sender) from None
        if not fused:
            self._mine_one(block.transactions)
        remember_sender(bytes(tx.hash), tx.sender)
        return "0x" + bytes(tx.hash).hex()

    def _mine_one(self, pending: Any = None) -> None:
        """Mine the pending block as eth-tester's backend mines one.

        Args:
            pending: the pending block's transactions, when the caller has them (the block
                ``chain.apply_transaction`` just returned); eth-tester reads them back from
                the database to sum their blob gas.
        """
        # The backend directly: eth-tester's own mine_block re-reads the block for filters we
        # do not use (a few ms per transaction).
        vm = self.chain.get_vm()
        if pending is None or not isinstance(vm, ParisVM) or not isinstance(vm, PragueVM):
            self.backend.mine_blocks(1)
            return
        # PyEVMBackend.mine_blocks(1) for a Prague chain, with the transactions at hand
        self.chain.mine_block(
            coinbase=ZERO_ADDRESS,
            mix_hash=os.urandom(32),
            blob_gas_used=sum(get_total_blob_gas(tx) for tx in pending),
        )

    # -- reads --------------------------------------------------------------------------------
    def _tag(self, tag: Any) -> Any:
        if tag in (None, "latest", "safe", "finalized"):
            return "latest"
        if tag in ("pending", "earliest"):
            return tag
        return quantity(tag, "block")

    def get_block(self, tag: Any, full: bool = False) -> dict[str, Any] | None:
        """``eth_getBlockByNumber``; ``pending`` is the empty next block, stamped :meth:`now`.

        A mined block's answer is kept by its hash (:mod:`.tester_answers`).
        """
        resolved = self._tag(tag)
        mined = "latest" if resolved == "pending" else resolved
        block_hash = self._canonical_hash(mined)
        if block_hash is not None and type(full) is bool:
            answer = self.answers.get(
                (block_hash, full), lambda: self._block(mined, full, block_hash)
            )
        else:
            answer = self._block(mined, full)
        if answer is None:
            return None
        if resolved == "pending":
            empty_root = "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421"
            answer.update(
                number=hex(self.head_number + 1),
                hash=None,
                parentHash=answer["hash"],
                timestamp=hex(self.now()),
                baseFeePerGas=hex(self.base_fee()),
                gasUsed="0x0",
                transactions=[],
                transactionsRoot=empty_root,
                receiptsRoot=empty_root,
            )
        return answer

    def mined_transaction_count(self, tag: Any) -> str | None:
        """``eth_getBlockTransactionCountByNumber`` of a block this node mined and remembers,
        named by a number or ``latest``; None for any other block or argument (the derived
        answer from the whole block's JSON decides then, :mod:`.rpc_derived`)."""
        if type(tag) is not str or tag in ("pending", "earliest"):
            return None
        try:
            block_hash = self._canonical_hash(self._tag(tag))
        except RpcError:
            return None
        block = None if block_hash is None else remembered_block(block_hash)
        return None if block is None else hex(len(block.transactions))

    def _block(self, tag: Any, full: Any, block_hash: bytes | None = None) -> dict[str, Any] | None:
        """eth-tester's block ``tag`` in JSON-RPC shape; a mined block the node remembers by
        ``block_hash`` is serialized as eth-tester serializes it, without reading it back."""
        block = None if block_hash is None else remembered_block(block_hash)
        if block is not None and type(full) is bool:
            tester = self.tester
            tester.validator.validate_inbound_block_number(tag)
            raw = serialize_block(block, full, False)  # a mined block is never the pending one
            tester.validator.validate_outbound_block(raw)
            return block_to_rpc(tester.normalizer.normalize_outbound_block(raw))
        try:
            return block_to_rpc(self.tester.get_block_by_number(tag, full))
        except BlockNotFound:
            return None

    def _canonical_hash(self, tag: Any) -> bytes | None:
        """The hash of the mined canonical block ``tag`` names (as eth-tester resolves it)."""
        chain = self.chain
        pending = chain.header.block_number
        if tag == "latest":
            number = max(0, pending - 1)
        elif tag == "earliest":
            number = 0
        elif type(tag) is int and 0 <= tag < pending:
            number = tag
        else:
            return None
        try:
            return bytes(chain.chaindb.get_canonical_block_hash(number))
        except HeaderNotFound:
            return None

    def transaction_hashes(self, number: int) -> list[str] | None:
        """The 0x-hex transaction hashes of mined block ``number`` (None: no such block): from
        the block this node mined when it remembers it, else from ``eth_getBlockByNumber``."""
        block_hash = self._canonical_hash(number)
        mined = None if block_hash is None else remembered_block(block_hash)
        if mined is not None:
            return ["0x" + bytes(tx.hash).hex() for tx in mined.transactions]
        block = self.get_block(number, False)
        return None if block is None else list(block["transactions"])

    def get_block_by_hash(self, block_hash: str, full: bool = False) -> dict[str, Any] | None:
        """``eth_getBlockByHash``."""
        try:
            return block_to_rpc(self.tester.get_block_by_hash(block_hash, full))
        except (BlockNotFound, EthUtilsValidationError):
            return None

    def get_transaction(self, tx_hash: str) -> dict[str, Any] | None:
        """``eth_getTransactionByHash``."""
        try:
            return tx_to_rpc(self.tester.get_transaction_by_hash(tx_hash))
        except (TransactionNotFound, EthUtilsValidationError):
            return None

    def get_raw_transaction(self, tx_hash: str) -> str | None:
        """``eth_getRawTransactionByHash``: the signed bytes of a mined transaction."""
        try:
            tx = self.chain.get_canonical_transaction(data_bytes(tx_hash, "hash"))
        except (TransactionNotFound, PyEvmTransactionNotFound, EthUtilsValidationError):
            return None
        return "0x" + bytes(tx.encode()).hex()

    def get_receipt(self, tx_hash: str) -> dict[str, Any] | None:
        """``eth_getTransactionReceipt``: from py-evm's database where it can, else eth-tester."""
        if isinstance(tx_hash, str) and len(tx_hash) == 66 and tx_hash.startswith("0x"):
            try:
                raw_hash = bytes.fromhex(tx_hash[2:])
            except ValueError:
                pass
            else:
                mined = mined_receipt(self.chain, raw_hash, self.answers)
                if mined is not None:
                    return mined
        try:
            return receipt_to_rpc(self.tester.get_transaction_receipt(tx_hash))
        except (TransactionNotFound, EthUtilsValidationError):
            return None

    def base_fee(self) -> int:
        """Base fee of the pending block."""
        return int(self.chain.header.base_fee_per_gas)

    def fee_history(self, count: Any, newest: Any, percentiles: list[float] | None = None) -> Any:
        """``eth_feeHistory`` from eth-tester's, in JSON-RPC shape."""
        history = self.tester.get_fee_history(
            quantity(count, "blockCount"), self._tag(newest), percentiles or []
        )
        return {
            "oldestBlock": hex(history["oldest_block"]),
            "baseFeePerGas": [hex(fee) for fee in history["base_fee_per_gas"]],
            "gasUsedRatio": list(history["gas_used_ratio"]),
            "reward": [[hex(r) for r in rewards] for rewards in history.get("reward", [])],
        }

    def request(self, method: str, params: Any) -> Any:
        """Answer one JSON-RPC call; raises :class:`RpcError` worded like geth/anvil."""
        handler = _METHODS.get(method)
        if handler is None:
            raise RpcError(METHOD_NOT_FOUND, f"the method {method} does not exist/is not available")
        args = (
            list(params)
            if isinstance(params, (list, tuple))
            else ([] if params is None else [params])
        )
        try:
            return handler(self, *args)
        except (TypeError, AttributeError):  # a value of the wrong JSON type reached the node
            raise RpcError(
                INVALID_PARAMS, f"invalid arguments for {method}: an argument has the wrong type"
            ) from None
        except (ValueError, KeyError, EthUtilsValidationError, TesterValidationError) as exc:
            raise RpcError(INVALID_PARAMS, f"invalid argument for {method}: {exc}") from None


def _node_vm(vm_class: Any) -> Any:
    """``vm_class`` accepting a block with its parent's timestamp (py-evm wants a later one),
    executing with the lean interpreter loop of :mod:`.tester_evm`.

    Every other header rule still applies: the header is validated as if it were one second
    later, which changes nothing but the timestamp comparison.
    """
    state_class = vm_class._state_class
    lean_state = type(
        state_class.__name__,
        (state_class,),
        {
            "computation_class": lean_computation(state_class.computation_class),
            **state_methods(state_class),
        },
    )

    def validate_header(cls: Any, header: Any, parent_header: Any) -> None:
        if parent_header is not None and header.timestamp == parent_header.timestamp:
            header = header.copy(timestamp=header.timestamp + 1)
        super(relaxed, cls).validate_header(header, parent_header)

    relaxed: Any = type(
        vm_class.__name__,
        (vm_class,),
        {"validate_header": classmethod(validate_header), "_state_class": lean_state},
    )
    return relaxed


def _address(value: Any) -> bytes:
    try:
        return to_canonical_address(value)
    except (ValueError, TypeError):
        raise RpcError(INVALID_PARAMS, f"invalid address {value!r}") from None


def _vm_error(error: Exception) -> RpcError:
    if isinstance(error, Revert):
        data = error.args[0] if error.args and isinstance(error.args[0], bytes) else b""
        return revert_error(data)
    return RpcError(SERVER_ERROR, f"execution failed: {type(error).__name__}: {error}")


def _validation_error(exc: Exception, sender: bytes | str) -> RpcError:
    text = str(exc)
    address = to_checksum_address(sender)
    reworded = nonce_error(text, address)
    if reworded is not None:
        return reworded
    if "afford" in text or "insufficient" in text.lower():
        return RpcError(
            TRANSACTION_REJECTED, f"insufficient funds for gas * price + value: {address}: {text}"
        )
    return RpcError(SERVER_ERROR, text)


def _dev_genesis() -> dict[bytes, dict[str, Any]]:
    """Genesis state: the dev accounts funded as anvil funds them."""
    return {
        to_canonical_address(account.address): {
            "balance": DEV_ACCOUNT_BALANCE,
            "nonce": 0,
            "code": b"",
            "storage": {},
        }
        for account in dev_accounts()
    }


def _with_tag(read: Any) -> Any:
    def answer(node: TesterNode, address: str, tag: Any = "latest") -> Any:
        resolved = node._tag(tag)
        return read(node, address, "latest" if resolved == "pending" else resolved)

    return answer


_METHODS: dict[str, Any] = {
    "web3_clientVersion": lambda n: n.client_version,
    "net_version": lambda n: str(n.chain_id),
    "net_listening": lambda n: True,
    "eth_syncing": lambda n: False,
    "eth_chainId": lambda n: hex(n.chain_id),
    "eth_blockNumber": lambda n: hex(n.head_number),
    "eth_gasPrice": lambda n: hex(n.base_fee() + PRIORITY_FEE),
    "eth_maxPriorityFeePerGas": lambda n: hex(PRIORITY_FEE),
    "eth_feeHistory": lambda n, count, newest, pct=None: n.fee_history(count, newest, pct),
    "eth_getBalance": _with_tag(
        lambda n, a, t: hex(
            n.reads.balance(n.chain, a) if t == "latest" else n.tester.get_balance(a, t)
        )
    ),
    "eth_getTransactionCount": _with_tag(
        lambda n, a, t: hex(
            n.reads.nonce(n.chain, a) if t == "latest" else n.tester.get_nonce(a, t)
        )
    ),
    "eth_getCode": _with_tag(
        lambda n, a, t: n.reads.code(n.chain, a) if t == "latest" else n.tester.get_code(a, t)
    ),
    "eth_getStorageAt": lambda n, a, slot, tag="latest": _storage_at(n, a, slot, tag),
    "eth_call": lambda n, call, tag="latest", state=None, block=None: n.call(
        call, tag, state, block
    ),
    "eth_estimateGas": lambda n, call, tag="latest", state=None: n.estimate_gas(call, tag, state),
    "eth_getRawTransactionByHash": lambda n, h: n.get_raw_transaction(h),
    "eth_createAccessList": lambda n, call, tag="latest": n.create_access_list(call, tag),
    "eth_simulateV1": lambda n, payload, tag="latest": n.simulate(payload, tag),
    "eth_sendRawTransaction": lambda n, raw: n.send_raw_transaction(raw),
    "eth_getTransactionByHash": lambda n, h: n.get_transaction(h),
    "eth_getTransactionReceipt": lambda n, h: n.get_receipt(h),
    "eth_getBlockByNumber": lambda n, tag, full=False: n.get_block(tag, full),
    "eth_getBlockByHash": lambda n, h, full=False: n.get_block_by_hash(h, full),
    "eth_getLogs": lambda n, query: n.filters.logs(query),
    "eth_newFilter": lambda n, query: n.filters.new_log_filter(query),
    "eth_newBlockFilter": lambda n: n.filters.new_block_filter(),
    "eth_getFilterChanges": lambda n, fid: n.filters.changes(fid),
    "eth_getFilterLogs": lambda n, fid: n.filters.all_logs(fid),
    "eth_uninstallFilter": lambda n, fid: n.filters.uninstall(fid),
    "evm_snapshot": lambda n: n.snapshot(),
    "evm_revert": lambda n, sid: (n.revert(sid), True)[1],
    "evm_increaseTime": lambda n, s: n.advance_time(quantity(s, "seconds")),
    "evm_mine": lambda n, *_: (n.mine(), "0x0")[1],
    "anvil_mine": lambda n, count="0x1", *_: n.mine(quantity(count, "count")),
    "anvil_setBalance": lambda n, a, wei: n.set_balance(a, quantity(wei, "balance")),
    "hardhat_setBalance": lambda n, a, wei: n.set_balance(a, quantity(wei, "balance")),
}


def _storage_at(node: TesterNode, address: str, slot: Any, tag: Any) -> str:
    index = quantity(slot, "slot")
    if not 0 <= index < 2**256:
        raise RpcError(INVALID_PARAMS, f"invalid argument 1: storage slot {slot!r} is not 32 bytes")
    block = _read_tag(node, tag)
    if block == "latest":
        word = node.reads.storage(node.chain, address, hex(index))
    else:
        word = node.tester.get_storage_at(address, hex(index), block)
    return "0x" + str(word)[2:].rjust(64, "0")


def _read_tag(node: TesterNode, tag: Any) -> Any:
    resolved = node._tag(tag)
    return "latest" if resolved == "pending" else resolved
