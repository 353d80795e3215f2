"""A sent transaction applied from its estimate's run, when that run was provably the same.

web3's ``build_transaction`` estimates the call ``{from, to, data, value, nonce}`` and signs
exactly that with the estimate as its gas; the ``ogpu`` SDK sends it right away. The
estimate (:mod:`.tester_gas`) executed the very message the send will execute, on the same
pre-state and in the same pending block: in the common case once, traced, at the cap (gas
price 0), whose threshold proves the execution the same for any gas limit from it up to the
cap (:mod:`.tester_trace`); otherwise in its last successful probe, at the send's gas. Only
the fee differs (the estimate's base fee is 0, its gas price 0 or the call's priority fee),
and the gas limit. :func:`capture` keeps what that run did: its computation (output, logs,
gas, refunds, children, self-destructs) and the final change of each of py-evm's write
journals (accounts, code, each account's storage), in the journals' own order. The node keeps
one such run, the last estimate's.

:func:`applicable` decides conservatively whether the send is provably the same execution:
the very pending header object (so the same parent, state root, number, timestamp, coinbase,
mix hash, gas limit and blob fee) on the same chain; the same sender, nonce, recipient, value,
data and intrinsic gas, and a gas limit within the recorded run's proven range; no access
list, blobs or authorizations; and no executed frame whose code holds a reachable GASPRICE,
BASEFEE, BLOBBASEFEE, BALANCE, SELFBALANCE or BLOBHASH (:func:`fee_blind`, a static scan), the
only opcodes whose answer the fee can change.

:func:`replay` then runs py-evm's own executor steps but the execution:
``validate_transaction``, the message building (gas prepaid, nonce incremented), the recorded
journal changes written into the same journals (the sender's balance moved by the difference
of the two prepaid fees, the one value the fee changes), the root's gas left moved by the
difference of the two gas limits (the same consumption: children's gas differs, which no
state holds), ``finalize_computation`` (refunds, the coinbase's fee, EIP-161 clearing, the
EIP-7623 floor) and Cancun's transient-storage clear. A sender with code, an executor whose
steps :mod:`.tester_view` does not know, a storage wipe, journals not clean before the run, a
state override: each keeps py-evm's execution. ``tests/chain/test_tester_reuse.py`` and
``test_tester_reuse_sdk.py`` run twin chains (reuse on and off) and compare every database
key and value, receipt and block hash.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import rlp
from eth.db.account import Account
from eth.db.journal import DELETE_WRAPPED, REVERT_TO_WRAPPED

from .tester_view import build_message, known_executor, unfinalized

GASPRICE, BASEFEE, BLOBBASEFEE, BALANCE, SELFBALANCE, BLOBHASH = (
    0x3A,
    0x48,
    0x4A,
    0x31,
    0x47,
    0x49,
)
FEE_OPCODES = frozenset((GASPRICE, BASEFEE, BLOBBASEFEE, BALANCE, SELFBALANCE, BLOBHASH))
"""Opcodes whose answer may differ between the costless estimate and the paid send."""
PUSH1, PUSH32, JUMPDEST = 0x60, 0x7F, 0x5B
HALTS = frozenset((0x00, 0x56, 0xF3, 0xFD, 0xFE, 0xFF))
"""STOP, JUMP, RETURN, REVERT, INVALID, SELFDESTRUCT: the next instruction runs only as a
jump's destination."""
MAX_CODES = 4096
"""Codes whose scan is kept; the memo starts over when full."""

_scans: dict[bytes, bool] = {}


@dataclass(frozen=True)
class Recorded:
    """A run of an estimate: what it executed and the writes it made.

    Attributes:
        chain: the py-evm chain the estimate ran on.
        header: the pending header object the estimate executed in.
        sender, nonce, to, value, data, gas, intrinsic_gas: the executed transaction's fields.
        least: the least gas limit with which the execution is proven the same (``gas`` for
            a confirming run; the traced threshold for the estimate's run at the cap).
        prepaid: the gas fee the run's message building took from the sender (the estimate's
            gas price times the gas: zero unless the call named a priority fee).
        computation: the executed (not finalized) computation.
        accounts: the account journal's final changes, in its order.
        code: the code journal's final changes, in its order.
        storage: per account (in the order its store was created), its storage changes.
    """

    chain: Any
    header: Any
    sender: bytes
    nonce: int
    to: bytes
    value: int
    data: bytes
    gas: int
    least: int
    intrinsic_gas: int
    prepaid: int
    computation: Any
    accounts: tuple[tuple[bytes, Any], ...]
    code: tuple[tuple[bytes, Any], ...]
    storage: tuple[tuple[bytes, tuple[tuple[bytes, Any], ...]], ...]


def _changes(journal_db: Any) -> dict[bytes, Any]:
    return journal_db._journal._current_values  # type: ignore[no-any-return]


def journals_clean(state: Any) -> bool:
    """Whether ``state``'s write journals hold no change (true of a fresh or reverted state)."""
    db = state._account_db
    if _changes(db._journaltrie) or _changes(db._journaldb):
        return False
    return not any(
        _changes(store._journal_storage) or _changes(store._clear_count)
        for store in db._account_stores.values()
    )


def capture(
    chain: Any, header: Any, state: Any, tx: Any, computation: Any, least: int | None = None
) -> Recorded | None:
    """What the successful run ``computation`` of ``tx`` wrote into ``state`` (None: unknown).

    Call it right after the run, before the state is reverted, on a state whose journals were
    clean before the run (:func:`journals_clean`); only a run that stopped before py-evm's
    finalization (:func:`.tester_view.unfinalized`) is kept.
    """
    if computation.is_error or getattr(tx, "access_list", ()) or not unfinalized(state):
        return None
    db = state._account_db
    storage = []
    for address, store in db._account_stores.items():
        if _changes(store._clear_count):  # a storage wipe: not replayed
            return None
        items = tuple(_changes(store._journal_storage).items())
        if items:
            storage.append((address, items))
    return Recorded(
        chain=chain,
        header=header,
        sender=tx.sender,
        nonce=tx.nonce,
        to=tx.to,
        value=tx.value,
        data=tx.data,
        gas=tx.gas,
        least=tx.gas if least is None else least,
        intrinsic_gas=tx.intrinsic_gas,
        prepaid=tx.gas * state.get_gas_price(tx),
        computation=computation,
        accounts=tuple(_changes(db._journaltrie).items()),
        code=tuple(_changes(db._journaldb).items()),
        storage=tuple(storage),
    )


def fee_blind(code: bytes) -> bool:
    """Whether no reachable instruction of ``code`` is one of :data:`FEE_OPCODES`.

    The sweep decodes instructions as the EVM does (PUSH data skipped); after an instruction
    that never falls through (STOP, JUMP, RETURN, REVERT, INVALID, SELFDESTRUCT) the next bytes
    run only from a JUMPDEST, so those before the next JUMPDEST (a contract's metadata, a
    creation's constructor arguments) are not read as instructions.
    """
    known = _scans.get(code)
    if known is not None:
        return known
    position, length, blind, reachable = 0, len(code), True, True
    while position < length:
        opcode = code[position]
        if opcode == JUMPDEST:
            reachable = True
        elif reachable and opcode in FEE_OPCODES:
            blind = False
            break
        elif opcode in HALTS:
            reachable = False
        position += opcode - PUSH1 + 2 if PUSH1 <= opcode <= PUSH32 else 1
    if len(_scans) >= MAX_CODES:
        _scans.clear()
    _scans[code] = blind
    return blind


def frames_blind(computation: Any) -> bool:
    """Whether no frame ``computation`` executed (it and its descendants) is fee-aware."""
    pending = [computation]
    while pending:
        frame = pending.pop()
        if not fee_blind(bytes(frame.msg.code)):
            return False
        pending.extend(frame.children)
    return True


def applicable(recorded: Recorded | None, chain: Any, tx: Any) -> bool:
    """Whether sending ``tx`` on ``chain`` now is provably ``recorded``'s execution (but for
    the sender's code and the executor's class, which :func:`replay` checks).

    Args:
        recorded: the last estimate's kept run, if any.
        chain: the node's py-evm chain, its pending header refreshed for the send.
        tx: the decoded signed transaction.
    """
    return (
        recorded is not None
        and recorded.chain is chain
        and recorded.header is chain.header
        and getattr(tx, "type_id", None) in (None, 1, 2)
        and not getattr(tx, "access_list", ())
        and tx.sender == recorded.sender
        and tx.nonce == recorded.nonce
        and tx.to == recorded.to
        and tx.value == recorded.value
        and tx.data == recorded.data
        and recorded.least <= tx.gas <= recorded.gas
        and tx.intrinsic_gas == recorded.intrinsic_gas
        and frames_blind(recorded.computation)
    )


def _mirror(journal_db: Any, items: tuple[tuple[bytes, Any], ...]) -> None:
    journal = journal_db._journal
    for key, value in items:
        if value is DELETE_WRAPPED:
            journal.delete_wrapped(key)
        elif value is REVERT_TO_WRAPPED:
            journal.delete_local(key)
        else:
            journal[key] = value


def replay(state: Any, tx: Any, recorded: Recorded) -> Any:
    """``state.apply_transaction(tx)`` with ``recorded``'s execution instead of executing.

    A sender with code (an EIP-7702 delegation) or an executor whose steps
    :mod:`.tester_view` does not know executes as py-evm does.

    Raises:
        eth_utils.ValidationError: as py-evm's ``validate_transaction`` raises it.
    """
    executor = state.get_transaction_executor()
    if not known_executor(type(executor)) or state.get_code(tx.sender):
        return type(state).apply_transaction(state, tx)
    executor.validate_transaction(tx)
    fee = tx.gas * state.get_gas_price(tx) - recorded.prepaid
    build_message(executor, tx)
    db = state._account_db
    accounts = []
    for address, value in recorded.accounts:
        if address == tx.sender and isinstance(value, bytes) and fee:
            account = rlp.decode(value, sedes=Account)
            value = rlp.encode(account.copy(balance=account.balance - fee), sedes=Account)
        accounts.append((address, value))
    _mirror(db._journaltrie, tuple(accounts))
    for address, _value in accounts:
        if address in db._account_cache:
            del db._account_cache[address]
    _mirror(db._journaldb, recorded.code)
    for address, items in recorded.storage:
        store = db._get_address_store(address)
        db._dirty_accounts.add(address)
        _mirror(store._journal_storage, items)
    computation = recorded.computation
    if tx.gas != recorded.gas:  # the same consumption out of the send's own limit
        meter = computation._gas_meter
        meter.start_gas -= recorded.gas - tx.gas
        meter.gas_remaining -= recorded.gas - tx.gas
    computation = executor.finalize_computation(tx, computation)
    state.clear_transient_storage()
    return computation


__all__ = [
    "FEE_OPCODES",
    "Recorded",
    "applicable",
    "capture",
    "fee_blind",
    "frames_blind",
    "journals_clean",
    "replay",
]
