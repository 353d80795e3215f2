"""A geth-like JSON-RPC node over one pyrevm ``EVM``: blocks, snapshots, accounts, sending.

Execution details live in :mod:`.revm_exec`, the JSON shapes in :mod:`.revm_json`, logs and
filters in :mod:`.filters`, ``eth_simulateV1`` in :mod:`.revm_calls`, state overrides in
:mod:`.state_override`; why the node works around pyrevm the way it does is told in
:mod:`.revm`. It keeps only the latest state: reads at past blocks, ``state`` overrides,
access lists and type-4 transactions are refused with errors that say so. Not thread-safe:
:class:`~ogpu_sim.chain.revm.RevmChain` locks around it. (About 545 lines: the JSON-RPC method
table at the end names this node's methods and stays beside them.)
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import Any, TypeVar

from eth._utils.address import generate_contract_address
from eth.vm.forks.cancun.transactions import CancunTransactionBuilder
from eth_hash.auto import keccak
from eth_utils import to_canonical_address

from ..errors import ChainError
from .base import SnapshotLedger, check_blocks, check_seconds, check_wei
from .dev_accounts import DEV_ACCOUNT_BALANCE, dev_accounts
from .filters import LATEST_TAGS, FilterRegistry
from .jsonrpc import (
    INVALID_PARAMS,
    METHOD_NOT_FOUND,
    SERVER_ERROR,
    TRANSACTION_REJECTED,
    RpcError,
    data_bytes,
    nonce_error,
    quantity,
)
from .revm_calls import simulate_v1
from .revm_exec import (
    BLOCK_GAS_LIMIT,
    FEE_SINK,
    PRIORITY_FEE,
    SPEC_ID,
    ZERO_ADDRESS,
    Outcome,
    checksum,
    deployed_code,
    estimate_gas,
    execute,
)
from .revm_history import REORG_WINDOW, Checkpoints
from .revm_json import ZERO32, Block, block_json, receipt_json, tx_json
from .revm_tx import decode as fast_decode
from .state_override import no_block_overrides, parse_state_overrides, revm_overridden

try:
    import pyrevm
except ImportError as exc:  # create_chain turns this into a ConfigError naming the backend
    raise ImportError("backend 'revm' needs PyPI pyrevm (pip install pyrevm)") from exc

_PYREVM_VERSION = metadata.version("pyrevm")
_SINK_FUNDS = 2**200
_T = TypeVar("_T")
_NONCE_BUMP_INITCODE = bytes.fromhex("60006000fd")  # PUSH1 0 PUSH1 0 REVERT: consumes a nonce only


def _no_access_list() -> None:
    raise RpcError(
        METHOD_NOT_FOUND,
        "eth_createAccessList is not available on the revm backend: pyrevm does not report "
        "which accounts and slots a call touches (use the eth-tester or anvil backend)",
    )


@dataclass
class _Mined:
    """A mined transaction: its receipt, and its JSON, built when first asked for (rarely)."""

    tx: Any
    tx_hash: str
    sender: str
    block: Block
    receipt: dict[str, Any]
    _json: dict[str, Any] | None = None

    @property
    def json(self) -> dict[str, Any]:
        """The transaction as ``eth_getTransactionByHash`` answers it."""
        if self._json is None:
            self._json = tx_json(self.tx, self.tx_hash, self.sender, self.block)
        return self._json


@dataclass
class _Snapshot:
    checkpoint: Any
    blocks: int
    time_offset: int


class RevmNode:
    """A geth-like JSON-RPC node over one pyrevm ``EVM``; not thread-safe (callers lock).

    Args:
        chain_id: answered by ``eth_chainId``, read by CHAINID, required in signed transactions.
    """

    def __init__(self, chain_id: int) -> None:
        self.chain_id = chain_id
        self.clock: Any = time.time  # the wall clock block time follows; see Chain.set_clock
        env = pyrevm.Env(cfg=pyrevm.CfgEnv(chain_id=chain_id))
        self.evm = pyrevm.EVM(env=env, gas_limit=BLOCK_GAS_LIMIT, spec_id=SPEC_ID)
        self.evm.set_balance(FEE_SINK, _SINK_FUNDS)  # before any checkpoint: never reverted
        for account in dev_accounts():  # funded at genesis, as anvil funds them
            self.evm.set_balance(account.address, DEV_ACCOUNT_BALANCE)
        self.time_offset = 0
        self._blocks: list[Block] = []
        self._txs: dict[str, _Mined] = {}
        self._raw: dict[str, bytes] = {}
        self._ledger: SnapshotLedger[_Snapshot] = SnapshotLedger()
        self._checkpoints = Checkpoints(self.evm)
        self._mined = 0  # blocks ever mined: replacement blocks after a reorg hash differently
        self.filters = FilterRegistry(self)
        self._mine([], 0)

    # -- time and blocks -------------------------------------------------------------------
    def now(self) -> int:
        """The timestamp the next block will carry: wall clock + offset, never before its parent's.

        Blocks mined within one second share their timestamp (as on anvil), so the chain never
        runs ahead of the wall clock.
        """
        return max(self._blocks[-1].timestamp, int(self.clock()) + self.time_offset)

    @property
    def latest(self) -> Block:
        """The newest block."""
        return self._blocks[-1]

    def _mine(self, tx_hashes: list[str], gas_used: int, timestamp: int | None = None) -> Block:
        parent = self._blocks[-1].hash if self._blocks else ZERO32
        number = len(self._blocks)
        if timestamp is None:
            timestamp = self.now() if self._blocks else int(self.clock())
        self._mined += 1
        seed = f"{self.chain_id}:{number}:{parent}:{timestamp}:{self._mined}:{tx_hashes}".encode()
        block = Block(number, "0x" + keccak(seed).hex(), parent, timestamp, tx_hashes, gas_used)
        self._blocks.append(block)
        return block

    def mine(self, blocks: int = 1) -> None:
        """Append ``blocks`` empty blocks at the current time."""
        for _ in range(check_blocks(blocks)):
            self._checkpoints.before_block(self.latest.number + 1)
            self._mine([], 0)

    def advance_time(self, seconds: int) -> None:
        """Move chain time so the next block carries at least ``now() + seconds``."""
        self.time_offset = self.now() + check_seconds(seconds) - int(self.clock())

    def _enter_block(self, number: int, timestamp: int) -> None:
        block = pyrevm.BlockEnv(
            number=number,
            timestamp=timestamp,
            coinbase=ZERO_ADDRESS,
            gas_limit=BLOCK_GAS_LIMIT,
            prevrandao=number.to_bytes(32, "big"),
            basefee=0,
        )
        self.evm.set_block_env(block)
        self.evm.reset_transient_storage()

    def _number(self, tag: Any) -> int:
        if tag in LATEST_TAGS or tag is None:
            return self.latest.number
        return 0 if tag == "earliest" else int(tag, 16) if isinstance(tag, str) else int(tag)

    def _block(self, tag: Any) -> Block:
        number = self._number(tag)
        if not 0 <= number < len(self._blocks):
            raise RpcError(SERVER_ERROR, f"block {tag} not found (latest is {self.latest.number})")
        return self._blocks[number]

    def _require_latest(self, tag: Any) -> None:
        if tag is not None and self._block(tag) is not self.latest:
            raise RpcError(
                SERVER_ERROR,
                f"state at block {tag} is not kept: the revm backend keeps only the latest state "
                "(use eth-tester or anvil for reads at past blocks)",
            )

    # -- blocks and logs, as the filter registry reads them --------------------------------
    @property
    def head_number(self) -> int:
        """Number of the latest mined block."""
        return self.latest.number

    def block_number_of(self, block_hash: str) -> int | None:
        """Number of the block with ``block_hash``, or None for an unknown hash."""
        return next((b.number for b in self._blocks if b.hash == block_hash), None)

    def block_hash_at(self, number: int) -> str:
        """Hash of block ``number``."""
        return self._blocks[number].hash

    def block_logs(self, number: int) -> list[dict[str, Any]]:
        """Logs of block ``number`` in JSON-RPC shape."""
        return [log for h in self._blocks[number].tx_hashes for log in self._txs[h].receipt["logs"]]

    # -- snapshots -------------------------------------------------------------------------
    def snapshot(self) -> str:
        """Open a snapshot; its id stays valid across reverts to it."""
        checkpoint = self._checkpoints.open()
        return self._ledger.add(_Snapshot(checkpoint, len(self._blocks), self.time_offset))

    def revert(self, snapshot_id: str) -> None:
        """Return to a snapshot, invalidating every younger one.

        Raises:
            SnapshotError: the id is unknown or was invalidated.
        """
        target = self._ledger.get(snapshot_id)
        self._checkpoints.revert_to(target.checkpoint)
        self._ledger.reverted_to(snapshot_id)
        self._forget_blocks(target.blocks)
        self.time_offset = target.time_offset
        target.checkpoint = self._checkpoints.open()
        self.filters.rewind(self.head_number)

    def release(self, snapshot_id: str) -> None:
        """Forget a snapshot; its id then raises. Each snapshot keeps one journal checkpoint
        open, and revm refuses every call once 1,024 are open (``CallTooDeep``): a session
        that isolates each test with a new snapshot must give them back. The checkpoint is
        closed where it is the youngest open one (as right after a revert to it); anywhere
        else it stays open until an older revert consumes it."""
        target = self._ledger.release(snapshot_id)
        if target is not None:
            self._checkpoints.release(target.checkpoint)

    def _forget_blocks(self, keep: int) -> None:
        for block in self._blocks[keep:]:
            for tx_hash in block.tx_hashes:
                del self._txs[tx_hash]
                self._raw.pop(tx_hash, None)
        del self._blocks[keep:]

    def reorg(self, depth: int) -> tuple[list[bytes], list[str]]:
        """Return to the state before the last ``depth`` blocks and forget them.

        Snapshots taken after the fork point become invalid, log filters report the replaced
        blocks' logs as removed. The caller mines the replacement blocks.

        Returns:
            The signed transactions of the replaced blocks and their hashes, in block order.

        Raises:
            ChainError: the state before those blocks is no longer kept (see :mod:`.revm_history`).
        """
        fork = self.latest.number - depth
        checkpoint = self._checkpoints.before(fork + 1)
        if checkpoint is None:
            raise ChainError(
                f"revm keeps the state of its last {REORG_WINDOW} blocks only (and none from "
                f"before a snapshot revert); a reorg of depth {depth} needs the state after "
                f"block {fork}"
            )
        hashes = [h for block in self._blocks[fork + 1 :] for h in block.tx_hashes]
        raws = [self._raw[h] for h in hashes]
        replaced = [
            log
            for number in range(fork + 1, self.latest.number + 1)
            for log in self.block_logs(number)
        ]
        self._checkpoints.revert_to(checkpoint)
        self._ledger.invalidate_where(
            lambda saved: not self._checkpoints.is_open(saved.checkpoint),
            f"it was taken after block {fork}, which a reorg replaced the successors of",
        )
        self._forget_blocks(fork + 1)
        self.filters.reorg(fork, replaced)
        return raws, hashes

    # -- accounts ---------------------------------------------------------------------------
    def _peek(self, read: Callable[[], _T]) -> _T:
        """Run ``read`` inside a checkpoint that is reverted: revm's getters warm (EIP-2929) what
        they load, which would lower the gas of later transactions; a read must leave nothing."""
        cp = self.evm.snapshot()
        try:
            return read()
        finally:
            self.evm.revert(cp)

    def nonce(self, address: str) -> int:
        """The account's nonce (its next transaction's nonce, for an externally owned one)."""
        return self._peek(lambda: int(self.evm.basic(address).nonce))

    def balance(self, address: str) -> int:
        """The account's balance in wei."""
        return self._peek(lambda: int(self.evm.get_balance(address)))

    def set_balance(self, address: str, wei: int) -> None:
        """Set a balance through journaled transfers, so snapshots undo it.

        Contracts are set directly (a transfer would run their code); a revert does not undo that.
        The transfer warms the account as any transaction here does (see :mod:`.revm`).
        """
        check_wei(wei)
        if self._code(address):
            self.evm.set_balance(address, wei)
            return
        diff = wei - self.balance(address)
        if diff > 0:
            self.evm.message_call(FEE_SINK, address, value=diff)
        elif diff < 0:
            self.evm.message_call(address, FEE_SINK, value=-diff)

    def _code(self, address: str) -> bytes:
        return self._peek(lambda: bytes(self.evm.get_code(address) or b""))

    def code(self, address: str) -> str:
        """The account's code as deployed, 0x-hex (``0x`` for accounts without code).

        pyrevm's ``get_code`` is the analysed code, padded with zeros; the answer is not.
        """
        return "0x" + self._peek(lambda: deployed_code(self.evm, address)).hex()

    def storage(self, address: str, slot: int) -> str:
        """One storage slot as a 32-byte 0x-hex word."""
        word = self._peek(lambda: int(self.evm.storage(address, slot)))
        return "0x" + word.to_bytes(32, "big").hex()

    def head_code_hash(self, address: str) -> bytes:
        """The keccak of the account's code (of no code for an account without)."""
        return self._peek(lambda: bytes(self.evm.basic(address).code_hash or keccak(b"")))

    def head_storage(self, address: str, slots: Sequence[int]) -> list[int]:
        """Storage slots of the account as ints, read without a trace as :meth:`_peek` reads."""
        return self._peek(lambda: [int(self.evm.storage(address, slot)) for slot in slots])

    def _bump_nonce(self, address: str) -> None:
        with contextlib.suppress(RuntimeError):  # reverts by design; the nonce bump stays
            self.evm.deploy(address, _NONCE_BUMP_INITCODE)

    # -- execution -------------------------------------------------------------------------
    def _dry_run(self, call: dict[str, Any], gas: int, creation_output: bool = False) -> Outcome:
        cp = self.evm.snapshot()
        try:
            self._enter_block(self.latest.number + 1, self.now())
            return execute(
                self.evm,
                call.get("from") or ZERO_ADDRESS,
                call.get("to"),
                data_bytes(call.get("data", call.get("input"))),
                quantity(call.get("value", 0), "value"),
                gas,
                quantity(call.get("gasPrice", 0), "gasPrice"),
                creation_output,
            )
        finally:
            self.evm.revert(cp)

    @contextlib.contextmanager
    def _overridden(self, overrides: Any) -> Iterator[None]:
        """Apply state overrides for one call; a checkpoint around them undoes the warmth their
        reads and writes leave (their values are written back by ``revm_overridden``)."""
        parsed = parse_state_overrides(overrides)
        if not parsed:
            yield
            return
        cp = self.evm.snapshot()
        try:
            with revm_overridden(self.evm, parsed):
                yield
        finally:
            self.evm.revert(cp)

    def _gas_cap(self, call: dict[str, Any]) -> int:
        return min(quantity(call.get("gas", BLOCK_GAS_LIMIT), "gas"), BLOCK_GAS_LIMIT)

    def call(
        self,
        call: dict[str, Any],
        tag: Any = "latest",
        overrides: Any = None,
        block_overrides: Any = None,
    ) -> str:
        """``eth_call`` on the pending block (next number, current time); state is discarded."""
        no_block_overrides(block_overrides)
        self._require_latest(tag)
        with self._overridden(overrides):
            outcome = self._dry_run(call, self._gas_cap(call), creation_output=True)
        if not outcome.ok:
            raise outcome.failure()
        return "0x" + outcome.output.hex()

    def estimate_gas(self, call: dict[str, Any], tag: Any = "latest", overrides: Any = None) -> str:
        """``eth_estimateGas``: the least gas limit (within 1.5%) with which the call succeeds."""
        self._require_latest(tag)
        with self._overridden(overrides):
            to = call.get("to")
            transfer = not data_bytes(call.get("data", call.get("input"))) and bool(to)
            transfer = transfer and not self._code(checksum(to))
            run = lambda gas: self._dry_run(call, gas)  # noqa: E731
            return hex(estimate_gas(run, self._gas_cap(call), transfer))

    def _admit(self, tx: Any, sender: str, max_fee: int) -> None:
        """Reject what geth rejects before execution, in its words."""
        problem = None
        if tx.chain_id is not None and tx.chain_id != self.chain_id:
            problem = f"invalid chain id for signer: have {tx.chain_id} want {self.chain_id}"
        elif tx.gas < tx.intrinsic_gas:
            problem = f"intrinsic gas too low: gas {tx.gas}, minimum needed {tx.intrinsic_gas}"
        elif tx.gas > BLOCK_GAS_LIMIT:
            problem = f"exceeds block gas limit: {tx.gas} > {BLOCK_GAS_LIMIT}"
        if problem is not None:
            raise RpcError(TRANSACTION_REJECTED, problem)
        expected = self.nonce(sender)
        if tx.nonce != expected:  # worded like the other backends, so the SDK resyncs
            message = f"Invalid transaction nonce: Expected {expected}, but got {tx.nonce}"
            raise nonce_error(message, sender) or RpcError(SERVER_ERROR, message)
        have, want = self.balance(sender), tx.gas * max_fee + tx.value
        if have < want:
            raise RpcError(
                TRANSACTION_REJECTED,
                f"insufficient funds for gas * price + value: have {have} want {want}",
            )

    def send_raw_transaction(self, raw: bytes) -> str:
        """Validate like geth, execute, charge gas, and mine the transaction in its own block."""
        if raw[:1] == b"\x04":
            raise RpcError(
                SERVER_ERROR,
                "transaction type not supported: type 4 (EIP-7702 set-code) needs Prague and the "
                "revm backend runs Cancun; use the eth-tester or anvil backend",
            )
        tx: Any = fast_decode(raw)  # the common kinds without py-evm (see .revm_tx)
        try:
            tx = tx or CancunTransactionBuilder.decode(raw)
            sender = checksum(tx.sender)
        except Exception as exc:  # rlp, signature and validation errors alike
            raise RpcError(SERVER_ERROR, f"invalid raw transaction: {exc}") from exc
        max_fee = tx.gas_price if tx.type_id is None else tx.max_fee_per_gas
        price = max_fee if tx.type_id is None else min(max_fee, tx.max_priority_fee_per_gas)
        self._admit(tx, sender, max_fee)
        number, timestamp = self.latest.number + 1, self.now()
        self._checkpoints.before_block(number)
        self._enter_block(number, timestamp)
        to = checksum(tx.to) if tx.to else None
        outcome = execute(self.evm, sender, to, tx.data, tx.value, tx.gas, price)
        if to is not None:
            self._bump_nonce(sender)
        if outcome.gas_used * price:
            self.evm.message_call(sender, FEE_SINK, value=outcome.gas_used * price)
        tx_hash = "0x" + keccak(raw).hex()
        self._raw[tx_hash] = raw
        block = self._mine([tx_hash], outcome.gas_used, timestamp)
        created = (
            None
            if to
            else checksum(generate_contract_address(to_canonical_address(sender), tx.nonce))
        )
        receipt = receipt_json(tx, tx_hash, sender, to, created, outcome, price, block)
        self._txs[tx_hash] = _Mined(tx, tx_hash, sender, block, receipt)
        return tx_hash

    # -- JSON-RPC --------------------------------------------------------------------------
    def block_json(self, block: Block, full: bool) -> dict[str, Any]:
        """A block as ``eth_getBlockByNumber`` returns it."""
        return block_json(block, [self._txs[h].json if full else h for h in block.tx_hashes])

    def get_block(self, tag: Any, full: bool = False) -> dict[str, Any] | None:
        """``eth_getBlockByNumber``: null past the head; ``pending`` is the empty next block."""
        if tag == "pending":
            latest = self.latest
            pending = block_json(Block(latest.number + 1, ZERO32, latest.hash, self.now(), []), [])
            pending["hash"] = None
            return pending
        number = self._number(tag)
        if not 0 <= number < len(self._blocks):
            return None
        return self.block_json(self._blocks[number], full)

    def request(self, method: str, params: list[Any]) -> Any:
        """Answer one JSON-RPC call; raises :class:`RpcError` with geth's code and wording."""
        handler = self._METHODS.get(method)
        if handler is None:
            raise RpcError(METHOD_NOT_FOUND, f"the method {method} does not exist/is not available")
        try:
            return handler(self, *params)
        except (TypeError, AttributeError):  # a value of the wrong JSON type reached the node
            raise RpcError(
                INVALID_PARAMS, f"invalid arguments for {method}: an argument has the wrong type"
            ) from None
        except (ValueError, KeyError) as exc:
            raise RpcError(INVALID_PARAMS, f"invalid argument for {method}: {exc}") from None

    _METHODS: dict[str, Any] = {
        "web3_clientVersion": lambda n: f"ogpu-sim/revm/pyrevm-{_PYREVM_VERSION}",
        "net_version": lambda n: str(n.chain_id),
        "net_listening": lambda n: True,
        "eth_syncing": lambda n: False,
        "eth_chainId": lambda n: hex(n.chain_id),
        "eth_blockNumber": lambda n: hex(n.latest.number),
        "eth_gasPrice": lambda n: hex(PRIORITY_FEE),
        "eth_maxPriorityFeePerGas": lambda n: hex(PRIORITY_FEE),
        "eth_feeHistory": lambda n, count, newest, pct=None: {
            "oldestBlock": hex(n._block(newest).number),
            "baseFeePerGas": ["0x0", "0x0"],
            "gasUsedRatio": [0.0],
            "reward": [[hex(PRIORITY_FEE)] * len(pct or [])],
        },
        "eth_getBalance": lambda n, a, tag="latest": n._require_latest(tag) or hex(n.balance(a)),
        "eth_getTransactionCount": lambda n, a, tag="latest": (
            n._require_latest(tag) or hex(n.nonce(a))
        ),
        "eth_getCode": lambda n, a, tag="latest": n._require_latest(tag) or n.code(a),
        "eth_getStorageAt": lambda n, a, slot, tag="latest": (
            n._require_latest(tag) or n.storage(a, quantity(slot, "slot"))
        ),
        "eth_call": lambda n, call, tag="latest", state=None, block=None: n.call(
            call, tag, state, block
        ),
        "eth_estimateGas": lambda n, call, tag="latest", state=None: n.estimate_gas(
            call, tag, state
        ),
        "eth_sendRawTransaction": lambda n, raw: n.send_raw_transaction(data_bytes(raw, "data")),
        "eth_getRawTransactionByHash": lambda n, h: "0x" + n._raw[h].hex() if h in n._raw else None,
        "eth_simulateV1": lambda n, payload, tag="latest": (
            n._require_latest(tag) or simulate_v1(n, payload)
        ),
        "eth_createAccessList": lambda n, *_: _no_access_list(),
        "eth_getTransactionByHash": lambda n, h: m.json if (m := n._txs.get(h)) else None,
        "eth_getTransactionReceipt": lambda n, h: m.receipt if (m := n._txs.get(h)) else None,
        "eth_getBlockByNumber": lambda n, tag, full=False: n.get_block(tag, full),
        "eth_getBlockByHash": lambda n, h, full=False: next(
            (n.block_json(b, full) for b in n._blocks if b.hash == h), None
        ),
        "eth_getLogs": lambda n, query: n.filters.logs(query),
        "eth_newFilter": lambda n, query: n.filters.new_log_filter(query),
        "eth_newBlockFilter": lambda n: n.filters.new_block_filter(),
        "eth_getFilterChanges": lambda n, fid: n.filters.changes(fid),
        "eth_getFilterLogs": lambda n, fid: n.filters.all_logs(fid),
        "eth_uninstallFilter": lambda n, fid: n.filters.uninstall(fid),
        "evm_snapshot": lambda n: n.snapshot(),
        "evm_revert": lambda n, sid: n.revert(sid) or True,
        "evm_increaseTime": lambda n, s: (
            n.advance_time(quantity(s, "seconds")) or hex(n.time_offset)
        ),
        "evm_mine": lambda n, *_: n.mine() or "0x0",
        "anvil_setBalance": lambda n, a, wei: n.set_balance(a, quantity(wei, "wei")),
        "hardhat_setBalance": lambda n, a, wei: n.set_balance(a, quantity(wei, "wei")),
    }
