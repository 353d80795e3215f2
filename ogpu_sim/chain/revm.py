"""The optional fast chain backend: an in-process EVM on revm (PyPI ``pyrevm``).

:class:`RevmNode` answers JSON-RPC like geth/anvil (one transaction per block, automine), so
web3 and the SDK run unchanged at ~1-2 ms per signed transaction, with microsecond snapshots.
pyrevm is a thin layer over revm's journal and leaves a node's duties to us. Its pitfalls and
how this module handles them:

* ``spec_id`` must be spelled ``"Cancun"``; other spellings silently mean the latest spec.
* ``message_call`` neither bumps the sender's nonce nor charges gas. Both happen here through
  journaled operations (a nonce bump is a reverting CREATE by the sender; gas is a value transfer
  to a fee sink) because ``set_balance``/``insert_account_info`` write outside revm's journal and
  a snapshot revert would not undo them. :meth:`RevmNode.set_balance` uses transfers too.
* ``commit()`` with no open checkpoint underflows the journal depth: it is never called. revm
  checkpoints are one-shot and nest by depth, so reverting to an older snapshot reverts the
  younger checkpoints first, then re-opens the target so its id stays valid.
* The journal is never finalized, so accounts and slots stay warm across transactions: gas used
  is lower than on a real chain (documented; estimates agree with execution here).
* BASEFEE reads 0 (pyrevm zeroes it), so blocks report a base fee of 0 and a transaction pays
  ``gas used x min(maxFee, priority fee)``; GASPRICE reads 0 inside a contract creation.
* Revert data arrives only as text in the exception; it is parsed back into bytes.
"""

from __future__ import annotations

import contextlib
import functools
import re
import time
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

from eth._utils.address import generate_contract_address
from eth.vm.forks.cancun.transactions import CancunTransactionBuilder
from eth_utils import keccak, to_canonical_address, to_checksum_address

from .base import (
    DEFAULT_CHAIN_ID,
    SnapshotLedger,
    check_blocks,
    check_seconds,
    check_wei,
)
from .jsonrpc import (
    METHOD_NOT_FOUND,
    SERVER_ERROR,
    TRANSACTION_REJECTED,
    RpcError,
    data_bytes,
    nonce_error,
    quantity,
    revert_error,
)
from .tester import InProcessChain, check_chain_id

try:
    import pyrevm
except ImportError as exc:  # create_chain turns this into a ConfigError naming the backend
    raise ImportError("backend 'revm' needs PyPI pyrevm (pip install pyrevm)") from exc

_PYREVM_VERSION = metadata.version("pyrevm")
_checksum = functools.lru_cache(maxsize=16_384)(to_checksum_address)
"""Checksumming costs ~100 us in eth_utils; a node sees the same few addresses again and again."""

SPEC_ID = "Cancun"
BLOCK_GAS_LIMIT = 30_000_000
PRIORITY_FEE = 10**9
ZERO_ADDRESS = "0x" + "00" * 20
FEE_SINK = _checksum("0x0000000000000000000000000000000000fee500")
_SINK_FUNDS = 2**200
_NONCE_BUMP_INITCODE = bytes.fromhex("60006000fd")  # PUSH1 0 PUSH1 0 REVERT: consumes a nonce only
_OUTCOME_TEXT = re.compile(
    r"^(?:Revert \{ gas_used: (?P<rgas>\d+), output: 0x(?P<out>[0-9a-fA-F]*) \}"
    r"|Halt \{ reason: (?P<reason>.+), gas_used: (?P<hgas>\d+) \})$"
)
_LATEST_TAGS = ("latest", "pending", "safe", "finalized")
_ZERO32 = "0x" + "00" * 32


@dataclass
class _Outcome:
    ok: bool
    gas_used: int
    output: bytes = b""
    logs: list[Any] = field(default_factory=list)
    address: str | None = None
    halt: str | None = None


@dataclass
class _Block:
    number: int
    hash: str
    parent_hash: str
    timestamp: int
    tx_hashes: list[str]
    gas_used: int = 0


@dataclass
class _Snapshot:
    checkpoint: Any
    blocks: int
    time_offset: int


def _hex(value: int) -> str:
    return hex(value)


_LACK_OF_FUNDS = re.compile(r"LackOfFundForMaxFee \{ fee: (\d+), balance: (\d+) \}")


def _rejected(text: str) -> RpcError:
    """An EVM validation error (the call never ran), worded like geth where geth has words."""
    funds = _LACK_OF_FUNDS.search(text)
    if funds is not None:
        return RpcError(
            SERVER_ERROR,
            f"insufficient funds for gas * price + value: have {funds[2]} want {funds[1]}",
        )
    return RpcError(SERVER_ERROR, f"transaction rejected by the EVM: {text}")


def _no_keys() -> None:
    raise RpcError(
        SERVER_ERROR,
        "eth_sendTransaction: this node holds no keys; sign locally and "
        "send with eth_sendRawTransaction",
    )


def _topic_matches(want: str | list[str] | None, topics: list[str], index: int) -> bool:
    if want is None:
        return True
    if index >= len(topics):
        return False
    options = [want] if isinstance(want, str) else want
    return topics[index].lower() in {o.lower() for o in options}


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
        self.time_offset = 0
        self._blocks: list[_Block] = []
        self._txs: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
        self._ledger: SnapshotLedger[_Snapshot] = SnapshotLedger()
        self._filters: dict[str, tuple[dict[str, Any] | None, int]] = {}
        self._filter_count = 0
        self._mine([], 0)

    # -- time and blocks -------------------------------------------------------------------
    def now(self) -> int:
        """The timestamp the next block will carry: wall clock + offset, after its parent's."""
        return max(self._blocks[-1].timestamp + 1, int(self.clock()) + self.time_offset)

    @property
    def latest(self) -> _Block:
        """The newest block."""
        return self._blocks[-1]

    def _mine(self, tx_hashes: list[str], gas_used: int, timestamp: int | None = None) -> _Block:
        parent = self._blocks[-1].hash if self._blocks else _ZERO32
        number = len(self._blocks)
        if timestamp is None:
            timestamp = self.now() if self._blocks else int(self.clock())
        seed = f"{self.chain_id}:{number}:{parent}:{timestamp}:{','.join(tx_hashes)}".encode()
        block = _Block(number, "0x" + keccak(seed).hex(), parent, timestamp, tx_hashes, gas_used)
        self._blocks.append(block)
        return block

    def mine(self, blocks: int = 1) -> None:
        """Append ``blocks`` empty blocks at the current time."""
        for _ in range(check_blocks(blocks)):
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
        if tag in _LATEST_TAGS or tag is None:
            return self.latest.number
        return 0 if tag == "earliest" else int(tag, 16) if isinstance(tag, str) else int(tag)

    def _block(self, tag: Any) -> _Block:
        number = self._number(tag)
        if not 0 <= number < len(self._blocks):
            raise RpcError(SERVER_ERROR, f"block {tag} not found (latest is {self.latest.number})")
        return self._blocks[number]

    def _require_latest(self, tag: Any) -> None:
        if tag is not None and self._block(tag) is not self.latest:
            raise RpcError(SERVER_ERROR, f"state at block {tag} is not kept; only 'latest' is")

    # -- snapshots -------------------------------------------------------------------------
    def snapshot(self) -> str:
        """Open a snapshot; its id stays valid across reverts to it."""
        return self._ledger.add(_Snapshot(self.evm.snapshot(), len(self._blocks), self.time_offset))

    def revert(self, snapshot_id: str) -> None:
        """Return to a snapshot, invalidating every younger one.

        Raises:
            SnapshotError: the id is unknown or was invalidated.
        """
        target = self._ledger.get(snapshot_id)
        ids = [sid for sid, _state in self._ledger.items()]
        for younger in reversed(ids[ids.index(snapshot_id) :]):  # one-shot checkpoints, by depth
            self.evm.revert(self._ledger.get(younger).checkpoint)
        self._ledger.reverted_to(snapshot_id)
        for block in self._blocks[target.blocks :]:
            for tx_hash in block.tx_hashes:
                del self._txs[tx_hash]
        del self._blocks[target.blocks :]
        self.time_offset = target.time_offset
        target.checkpoint = self.evm.snapshot()

    # -- accounts --------------------------------------------------------------------------
    def nonce(self, address: str) -> int:
        """The account's nonce (its next transaction's nonce, for an externally owned one)."""
        return int(self.evm.basic(address).nonce)

    def balance(self, address: str) -> int:
        """The account's balance in wei."""
        return int(self.evm.get_balance(address))

    def set_balance(self, address: str, wei: int) -> None:
        """Set a balance through journaled transfers, so snapshots undo it.

        Contracts are set directly (a transfer would run their code); a revert does not undo that.
        """
        check_wei(wei)
        if self.evm.get_code(address):
            self.evm.set_balance(address, wei)
            return
        diff = wei - self.balance(address)
        if diff > 0:
            self.evm.message_call(FEE_SINK, address, value=diff)
        elif diff < 0:
            self.evm.message_call(address, FEE_SINK, value=-diff)

    def code(self, address: str) -> str:
        """The account's code as 0x-hex (``0x`` for accounts without code)."""
        return "0x" + (self.evm.get_code(address) or b"").hex()

    def storage(self, address: str, slot: int) -> str:
        """One storage slot as a 32-byte 0x-hex word."""
        return "0x" + int(self.evm.storage(address, slot)).to_bytes(32, "big").hex()

    def _bump_nonce(self, address: str) -> None:
        with contextlib.suppress(RuntimeError):  # reverts by design; the nonce bump stays
            self.evm.deploy(address, _NONCE_BUMP_INITCODE)

    # -- execution -------------------------------------------------------------------------
    def _execute(
        self, sender: str, to: str | None, data: bytes, value: int, gas: int, gas_price: int
    ) -> _Outcome:
        evm: Any = self.evm
        try:
            if to is None:
                address = evm.deploy(sender, data, value=value, gas=gas)
                return _Outcome(True, evm.result.gas_used, b"", evm.result.logs, address=address)
            output = evm.message_call(sender, to, data, value=value, gas=gas, gas_price=gas_price)
            return _Outcome(True, evm.result.gas_used, bytes(output), evm.result.logs)
        except RuntimeError as exc:
            match = _OUTCOME_TEXT.match(str(exc))
            if match is None:
                raise _rejected(str(exc)) from exc
            if match["reason"] is not None:
                return _Outcome(False, int(match["hgas"]), halt=match["reason"])
            return _Outcome(False, int(match["rgas"]), bytes.fromhex(match["out"]))

    def _dry_run(self, call: dict[str, Any], gas: int) -> _Outcome:
        cp = self.evm.snapshot()
        try:
            self._enter_block(self.latest.number + 1, self.now())
            return self._execute(
                call.get("from") or ZERO_ADDRESS,
                call.get("to"),
                data_bytes(call.get("data", call.get("input"))),
                quantity(call.get("value", 0), "value"),
                gas,
                quantity(call.get("gasPrice", 0), "gasPrice"),
            )
        finally:
            self.evm.revert(cp)

    def _gas_cap(self, call: dict[str, Any]) -> int:
        return min(quantity(call.get("gas", BLOCK_GAS_LIMIT), "gas"), BLOCK_GAS_LIMIT)

    def _succeeds(self, call: dict[str, Any], gas: int) -> bool:
        try:
            return self._dry_run(call, gas).ok
        except RpcError:  # e.g. a limit below the intrinsic gas
            return False

    @staticmethod
    def _failure(outcome: _Outcome) -> RpcError:
        if outcome.halt is not None:
            return RpcError(SERVER_ERROR, f"execution halted: {outcome.halt}")
        return revert_error(outcome.output)

    def call(self, call: dict[str, Any], tag: Any = "latest") -> str:
        """``eth_call`` on the pending block (next number, current time); state is discarded."""
        self._require_latest(tag)
        outcome = self._dry_run(call, self._gas_cap(call))
        if not outcome.ok:
            raise self._failure(outcome)
        return "0x" + outcome.output.hex()

    def estimate_gas(self, call: dict[str, Any], tag: Any = "latest") -> str:
        """``eth_estimateGas``: the least gas limit (within 1.5%) with which the call succeeds.

        Searches like geth, so creations that forward 63/64 of their gas to a child are covered,
        but brackets the answer with a few guesses above the gas used first (the used gas, geth's
        optimistic 64/63 margin, +25%, x2): most calls need 2 executions, nested creations ~6.
        """
        self._require_latest(tag)
        cap = self._gas_cap(call)
        outcome = self._dry_run(call, cap)
        if not outcome.ok:
            if outcome.halt is not None:
                raise RpcError(SERVER_ERROR, f"gas required exceeds allowance ({cap})")
            raise self._failure(outcome)
        used = outcome.gas_used
        low, high = used - 1, cap
        for guess in (used, (used + 2300) * 64 // 63, used * 5 // 4, used * 2):
            if guess >= cap:
                break
            if self._succeeds(call, guess):
                high = guess
                break
            low = guess
        if high == used:
            return _hex(used)
        while high - low > 1 and (high - low) * 1000 > high * 15:
            middle = (low + high) // 2
            if self._succeeds(call, middle):
                high = middle
            else:
                low = middle
        return _hex(high)

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
        try:
            tx = CancunTransactionBuilder.decode(raw)
            sender = _checksum(tx.sender)
        except Exception as exc:  # rlp, signature and validation errors alike
            raise RpcError(SERVER_ERROR, f"invalid raw transaction: {exc}") from exc
        max_fee = tx.gas_price if tx.type_id is None else tx.max_fee_per_gas
        price = max_fee if tx.type_id is None else min(max_fee, tx.max_priority_fee_per_gas)
        self._admit(tx, sender, max_fee)
        number, timestamp = self.latest.number + 1, self.now()
        self._enter_block(number, timestamp)
        to = _checksum(tx.to) if tx.to else None
        outcome = self._execute(sender, to, tx.data, tx.value, tx.gas, price)
        if to is not None:
            self._bump_nonce(sender)
        if outcome.gas_used * price:
            self.evm.message_call(sender, FEE_SINK, value=outcome.gas_used * price)
        tx_hash = "0x" + keccak(raw).hex()
        block = self._mine([tx_hash], outcome.gas_used, timestamp)
        created = (
            None
            if to
            else _checksum(generate_contract_address(to_canonical_address(sender), tx.nonce))
        )
        self._txs[tx_hash] = (
            self._tx_json(tx, tx_hash, sender, block),
            self._receipt_json(tx, tx_hash, sender, to, created, outcome, price, block),
        )
        return tx_hash

    # -- JSON shapes -----------------------------------------------------------------------
    @staticmethod
    def _tx_json(tx: Any, tx_hash: str, sender: str, block: _Block) -> dict[str, Any]:
        typed = tx.type_id is not None
        body = {
            "hash": tx_hash,
            "nonce": _hex(tx.nonce),
            "blockHash": block.hash,
            "blockNumber": _hex(block.number),
            "transactionIndex": "0x0",
            "from": sender,
            "to": _checksum(tx.to) if tx.to else None,
            "value": _hex(tx.value),
            "gas": _hex(tx.gas),
            "input": "0x" + tx.data.hex(),
            "r": _hex(tx.r),
            "s": _hex(tx.s),
            "type": _hex(tx.type_id or 0),
            "gasPrice": _hex(tx.max_fee_per_gas if typed else tx.gas_price),
            "v": _hex(tx.y_parity if typed else tx.v),
        }
        if tx.chain_id is not None:
            body["chainId"] = _hex(tx.chain_id)
        if typed:
            body["accessList"] = [
                {
                    "address": _checksum(a),
                    "storageKeys": [_ZERO32[:2] + k.to_bytes(32, "big").hex() for k in keys],
                }
                for a, keys in tx.access_list
            ]
            body["yParity"] = _hex(tx.y_parity)
            if tx.type_id == 2:
                body["maxFeePerGas"] = _hex(tx.max_fee_per_gas)
                body["maxPriorityFeePerGas"] = _hex(tx.max_priority_fee_per_gas)
        return body

    @staticmethod
    def _receipt_json(
        tx: Any,
        tx_hash: str,
        sender: str,
        to: str | None,
        created: str | None,
        outcome: _Outcome,
        price: int,
        block: _Block,
    ) -> dict[str, Any]:
        logs = [
            {
                "address": _checksum(log.address),
                "topics": list(log.topics),
                "data": "0x" + log.data[1].hex(),
                "blockNumber": _hex(block.number),
                "blockHash": block.hash,
                "transactionHash": tx_hash,
                "transactionIndex": "0x0",
                "logIndex": _hex(index),
                "removed": False,
            }
            for index, log in enumerate(outcome.logs if outcome.ok else [])
        ]
        return {
            "transactionHash": tx_hash,
            "transactionIndex": "0x0",
            "blockHash": block.hash,
            "blockNumber": _hex(block.number),
            "from": sender,
            "to": to,
            "cumulativeGasUsed": _hex(outcome.gas_used),
            "gasUsed": _hex(outcome.gas_used),
            "effectiveGasPrice": _hex(price),
            "contractAddress": created,
            "logs": logs,
            "logsBloom": "0x" + "00" * 256,
            "status": "0x1" if outcome.ok else "0x0",
            "type": _hex(tx.type_id or 0),
        }

    def block_json(self, block: _Block, full: bool) -> dict[str, Any]:
        """A block as ``eth_getBlockByNumber`` returns it."""
        txs = [self._txs[h][0] if full else h for h in block.tx_hashes]
        return {
            "number": _hex(block.number),
            "hash": block.hash,
            "parentHash": block.parent_hash,
            "timestamp": _hex(block.timestamp),
            "gasLimit": _hex(BLOCK_GAS_LIMIT),
            "gasUsed": _hex(block.gas_used),
            "baseFeePerGas": "0x0",
            "miner": ZERO_ADDRESS,
            "difficulty": "0x0",
            "totalDifficulty": "0x0",
            "nonce": "0x0000000000000000",
            "extraData": "0x",
            "logsBloom": "0x" + "00" * 256,
            "size": "0x220",
            "mixHash": "0x" + block.number.to_bytes(32, "big").hex(),  # = PREVRANDAO
            "sha3Uncles": "0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347",
            "stateRoot": _ZERO32,
            "transactionsRoot": _ZERO32,
            "receiptsRoot": _ZERO32,
            "transactions": txs,
            "uncles": [],
            "withdrawals": [],
        }

    def get_logs(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        """``eth_getLogs`` over a block range or one block hash, by address and topics."""
        if "blockHash" in query:
            blocks = [b for b in self._blocks if b.hash == query["blockHash"]]
        else:
            first = self._number(query.get("fromBlock", "latest"))
            blocks = self._blocks[first : self._number(query.get("toBlock", "latest")) + 1]
        addresses = query.get("address") or []
        wanted = {a.lower() for a in ([addresses] if isinstance(addresses, str) else addresses)}
        topics = query.get("topics") or []
        found = []
        for block in blocks:
            for tx_hash in block.tx_hashes:
                for log in self._txs[tx_hash][1]["logs"]:
                    if wanted and log["address"].lower() not in wanted:
                        continue
                    if all(_topic_matches(want, log["topics"], i) for i, want in enumerate(topics)):
                        found.append(log)
        return found

    def new_filter(self, query: dict[str, Any] | None) -> str:
        """``eth_newFilter`` / ``eth_newBlockFilter`` (``query`` None): changes start at the next
        block, or at ``fromBlock`` for a log filter that names one."""
        start = self.latest.number + 1
        if query is not None and query.get("fromBlock") not in (None, *_LATEST_TAGS):
            start = self._block(query["fromBlock"]).number
        self._filter_count += 1
        self._filters[hex(self._filter_count)] = (query, start)
        return hex(self._filter_count)

    def filter_changes(self, filter_id: str) -> list[Any]:
        """``eth_getFilterChanges``: logs (or block hashes) since the filter's last poll."""
        if filter_id not in self._filters:
            raise RpcError(SERVER_ERROR, "filter not found")
        query, start = self._filters[filter_id]
        start = min(start, self.latest.number + 1)  # a revert may have dropped those blocks
        self._filters[filter_id] = (query, self.latest.number + 1)
        if query is None:
            return [b.hash for b in self._blocks[start:]]
        return self.get_logs({**query, "fromBlock": _hex(start), "toBlock": "latest"})

    def request(self, method: str, params: list[Any]) -> Any:
        """Answer one JSON-RPC call; raises :class:`RpcError` with geth's code and wording."""
        handler = self._METHODS.get(method)
        if handler is None:
            raise RpcError(METHOD_NOT_FOUND, f"the method {method} does not exist/is not available")
        return handler(self, *params)

    _METHODS: dict[str, Any] = {
        "web3_clientVersion": lambda n: f"ogpu-sim/revm/pyrevm-{_PYREVM_VERSION}",
        "net_version": lambda n: str(n.chain_id),
        "net_listening": lambda n: True,
        "eth_syncing": lambda n: False,
        "eth_accounts": lambda n: [],
        "eth_chainId": lambda n: _hex(n.chain_id),
        "eth_blockNumber": lambda n: _hex(n.latest.number),
        "eth_gasPrice": lambda n: _hex(PRIORITY_FEE),
        "eth_maxPriorityFeePerGas": lambda n: _hex(PRIORITY_FEE),
        "eth_feeHistory": lambda n, count, newest, pct=None: {
            "oldestBlock": _hex(n._block(newest).number),
            "baseFeePerGas": ["0x0", "0x0"],
            "gasUsedRatio": [0.0],
            "reward": [[_hex(PRIORITY_FEE)] * len(pct or [])],
        },
        "eth_getBalance": lambda n, a, tag="latest": n._require_latest(tag) or _hex(n.balance(a)),
        "eth_getTransactionCount": lambda n, a, tag="latest": (
            n._require_latest(tag) or _hex(n.nonce(a))
        ),
        "eth_getCode": lambda n, a, tag="latest": n._require_latest(tag) or n.code(a),
        "eth_getStorageAt": lambda n, a, slot, tag="latest": (
            n._require_latest(tag) or n.storage(a, quantity(slot, "slot"))
        ),
        "eth_call": lambda n, call, tag="latest", *_: n.call(call, tag),
        "eth_estimateGas": lambda n, call, tag="latest", *_: n.estimate_gas(call, tag),
        "eth_sendRawTransaction": lambda n, raw: n.send_raw_transaction(bytes.fromhex(raw[2:])),
        "eth_sendTransaction": lambda n, *_: _no_keys(),
        "eth_getTransactionByHash": lambda n, h: n._txs.get(h, (None,))[0],
        "eth_getTransactionReceipt": lambda n, h: n._txs.get(h, (None, None))[1],
        "eth_getBlockByNumber": lambda n, tag, full=False: n.block_json(n._block(tag), full),
        "eth_getBlockByHash": lambda n, h, full=False: next(
            (n.block_json(b, full) for b in n._blocks if b.hash == h), None
        ),
        "eth_getLogs": lambda n, query: n.get_logs(query),
        "eth_newFilter": lambda n, query: n.new_filter(query),
        "eth_newBlockFilter": lambda n: n.new_filter(None),
        "eth_getFilterChanges": lambda n, fid: n.filter_changes(fid),
        "eth_getFilterLogs": lambda n, fid: n.get_logs(n._filters[fid][0] or {}),
        "eth_uninstallFilter": lambda n, fid: n._filters.pop(fid, None) is not None,
        "evm_snapshot": lambda n: n.snapshot(),
        "evm_revert": lambda n, sid: n.revert(sid) or True,
        "evm_increaseTime": lambda n, s: (
            n.advance_time(quantity(s, "seconds")) or _hex(n.time_offset)
        ),
        "evm_mine": lambda n, *_: n.mine() or "0x0",
        "anvil_setBalance": lambda n, a, wei: n.set_balance(a, quantity(wei, "wei")),
        "hardhat_setBalance": lambda n, a, wei: n.set_balance(a, quantity(wei, "wei")),
    }


class RevmChain(InProcessChain):
    """The fast in-process chain: a :class:`RevmNode` behind web3, served over HTTP on demand.

    Args:
        chain_id: the chain id (default: the OGPU testnet's, like the other backends).
    """

    def __init__(self, chain_id: int = DEFAULT_CHAIN_ID) -> None:
        chain_id = check_chain_id(chain_id)
        super().__init__(RevmNode(chain_id), chain_id)

    def set_balance(self, address: str, wei: int) -> None:
        """Give ``address`` exactly ``wei`` (undone by a revert for accounts without code)."""
        super().set_balance(_checksum(address), wei)
