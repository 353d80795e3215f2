"""SLOAD for the lean interpreter loop: py-evm's ``sload_eip2929`` without its call layers.

An eth-tester lifecycle runs a few hundred SLOADs, each through about a dozen py-evm calls
(the opcode, the state, the account database with its validations, the account's storage
database, two journals, the read cache, the RLP decoding of the value). The loop of
:mod:`.tester_evm` does what they do, in the same order, on the same objects: it marks the
slot warm in the account database's access journal (:func:`slot_fee`), charges the cold or
warm cost with py-evm's ``OutOfGas`` message, then reads the value through the same journals
and the same read cache (:func:`stored`), so later reads and writes find them as py-evm
leaves them; decoded values are memoized on their encoding. It is used only where every
object is py-evm's own class (:func:`plain_storage`), so a state whose access tracking is
replaced (the access-list tracer of :mod:`.tester_calls`) runs py-evm's logic.
``tests/chain/test_tester_evm.py`` runs calls both ways and compares how they end.

:func:`lean_sstore` is py-evm's London SSTORE (EIP-2200's sentry, EIP-2929's cold slot,
EIP-3529's refunds: ``ensure_no_static(sstore_eip3529)``) with the same reads, charges, refunds
and writes in the same order, the values read and written without the account database's
validations, and the gas reason (a formatted string naming the slot and its values) built
only where py-evm's gas meter would show it: an ``OutOfGas`` or its debug2 log.
``tests/chain/test_tester_frames.py`` compares it with py-evm's on every branch of the rules.

:func:`code` is py-evm's ``AccountDB.get_code`` without the copy of the access log py-evm
makes on every read (``keys_read`` is a fresh frozenset of every trie node the block read,
asked only whether the code's hash is in it): the same reads, the same bookkeeping.
:func:`touch` skips EIP-161's write-back of an account the block already wrote.
"""

from __future__ import annotations

from typing import Any, cast

import rlp
from eth.constants import EMPTY_SHA3
from eth.db.accesslog import KeyAccessLoggerAtomicDB
from eth.db.account import IS_PRESENT_VALUE, AccountDB
from eth.db.cache import CacheDB
from eth.db.journal import DELETE_WRAPPED, REVERT_TO_WRAPPED, Journal, JournalDB
from eth.db.storage import AccountStorageDB
from eth.exceptions import OutOfGas, WriteProtection
from eth.vm.forks.berlin.constants import COLD_SLOAD_COST, WARM_STORAGE_READ_COST
from eth.vm.forks.london.storage import GAS_SCHEDULE_EIP3529
from eth.vm.gas_meter import GasMeter
from eth.vm.interrupt import MissingBytecode, MissingStorageTrieNode
from eth.vm.state import BaseState
from eth_typing import Address
from eth_utils import encode_hex

MAX_VALUES = 100_000
"""Decoded storage values kept at most; the memo starts over when full."""

_values: dict[bytes, int] = {}
_STATE_METHODS = ("get_storage", "is_storage_warm", "mark_storage_warm")
_OWN_NAMES = frozenset(
    ("get_storage", "is_storage_warm", "mark_storage_warm", "_get_address_store")
)
_plain_kinds: dict[type, bool] = {}
_CODE_NAMES = frozenset(("get_code", "get_code_hash", "_get_account"))


def _plain_db(state: Any) -> Any:
    """``state``'s account database if it and its access journal are py-evm's own, else None."""
    db = getattr(state, "_account_db", None)
    if type(db) is not AccountDB or type(db._journal_accessed_state) is not JournalDB:
        return None
    return db


def _plain_kind(kind: type, known: dict[type, bool], methods: tuple[str, ...]) -> bool:
    """Whether state class ``kind`` keeps py-evm's ``methods`` (remembered in ``known``)."""
    plain = known.get(kind)
    if plain is None:
        plain = known[kind] = all(
            getattr(kind, name) is getattr(BaseState, name) for name in methods
        )
    return plain


def plain_storage(state: Any) -> bool:
    """Whether ``state`` reads storage and tracks warm slots exactly as py-evm's classes do."""
    db = _plain_db(state)
    if db is None or not _plain_kind(type(state), _plain_kinds, _STATE_METHODS):
        return False
    return _OWN_NAMES.isdisjoint(vars(state)) and _OWN_NAMES.isdisjoint(vars(db))


_ACCESS_METHODS = ("is_address_warm", "mark_address_warm")
_ACCESS_NAMES = frozenset(_ACCESS_METHODS)
_plain_access_kinds: dict[type, bool] = {}


def plain_access(state: Any) -> bool:
    """Whether ``state`` tracks warm accounts (EIP-2929) exactly as py-evm's classes do."""
    db = _plain_db(state)
    if db is None or not _plain_kind(type(state), _plain_access_kinds, _ACCESS_METHODS):
        return False
    return _ACCESS_NAMES.isdisjoint(vars(state)) and _ACCESS_NAMES.isdisjoint(vars(db))


def warmed(state: Any, address: bytes) -> bool:
    """``state.is_address_warm(address)``, marking it warm where it was not (py-evm's
    ``mark_address_warm``), for a state of :func:`plain_access`: whether it was warm."""
    accessed = state._account_db._journal_accessed_state
    if journal_has(accessed, address) or address in state.computation_class.get_precompiles():
        return True
    accessed[address] = IS_PRESENT_VALUE  # not in it: mark_address_warm's write
    return False


def _decoded(encoded: bytes) -> int:
    value = _values.get(encoded)
    if value is None:
        value = rlp.decode(encoded, sedes=rlp.sedes.big_endian_int)  # raises: nothing kept
        if len(_values) >= MAX_VALUES:
            _values.clear()
        _values[encoded] = value
    return value


def _journal_read(db: Any, key: bytes) -> bytes:
    """``db[key]`` through py-evm's ``JournalDB`` layers (their ``__getitem__``, unrolled)."""
    while type(db) is JournalDB:
        journal = db._journal
        if type(journal) is not Journal:
            found: bytes = db[key]
            return found
        value = journal._current_values.get(
            key, REVERT_TO_WRAPPED if journal._ignore_wrapped_db else None
        )
        if value is DELETE_WRAPPED or value is REVERT_TO_WRAPPED:
            raise KeyError(key)
        if value is not None:
            return cast(bytes, value)
        db = db._wrapped_db
    if type(db) is CacheDB:  # CacheDB.__getitem__, the same calls on its LRU
        cached = db._cached_values
        if key not in cached:
            cached[key] = db._db[key]
        read: bytes = cached[key]
        return read
    last: bytes = db[key]
    return last


def journal_has(db: Any, key: bytes) -> bool:
    """``key in db`` through py-evm's ``JournalDB`` layers (their ``_exists``, unrolled)."""
    while type(db) is JournalDB:
        journal = db._journal
        if type(journal) is not Journal:
            return key in db
        value = journal._current_values.get(
            key, REVERT_TO_WRAPPED if journal._ignore_wrapped_db else None
        )
        if value is REVERT_TO_WRAPPED or value is DELETE_WRAPPED:
            return False
        if value is not None:
            return True
        db = db._wrapped_db
    return key in db


def stored(db: Any, address: bytes, slot: int) -> int:
    """``AccountDB.get_storage(address, slot)`` for a canonical address and a uint256 slot."""
    store = db._account_stores.get(address)
    if store is None:
        store = db._get_address_store(address)
    if type(store) is not AccountStorageDB:
        value: int = store.get(slot, True)
        return value
    store._accessed_slots.add(slot)
    try:
        encoded = _journal_read(
            store._journal_storage, slot.to_bytes((slot.bit_length() + 7) // 8 or 1, "big")
        )
    except MissingStorageTrieNode:
        raise
    except KeyError:
        return 0
    return 0 if encoded == b"" else _decoded(encoded)


def slot_fee(computation: Any, slot: int) -> int:
    """The access cost of ``slot`` in ``computation``'s storage, marking the slot warm (EIP-2929,
    py-evm's ``_mark_storage_warm``): cold the first time in a transaction, warm after."""
    db = computation.state._account_db
    tracker = computation.msg.storage_address + slot.to_bytes(
        (slot.bit_length() + 7) // 8 or 1, "big"
    )
    accessed = db._journal_accessed_state
    if journal_has(accessed, tracker):
        return WARM_STORAGE_READ_COST
    accessed[tracker] = IS_PRESENT_VALUE
    return COLD_SLOAD_COST


def code(state: Any, address: bytes) -> bytes:
    """``state.get_code(address)`` (py-evm's ``BaseState.get_code``), read as
    ``AccountDB.get_code`` reads it where the account database is py-evm's own."""
    db: Any = state._account_db
    raw: Any = getattr(db, "_raw_store_db", None)
    if (
        type(db) is not AccountDB
        or type(raw) is not KeyAccessLoggerAtomicDB
        or not _CODE_NAMES.isdisjoint(vars(db))
        or type(address) is not bytes
        or len(address) != 20
    ):
        found: bytes = db.get_code(address)  # validates and raises as py-evm does
        return found
    account = Address(address)
    code_hash = db._get_account(account).code_hash
    if code_hash == EMPTY_SHA3:
        return b""
    try:
        read: bytes = db._journaldb[code_hash]
        return read
    except KeyError:
        raise MissingBytecode(code_hash) from KeyError
    finally:
        if code_hash in raw._keys_read:
            db._accessed_bytecodes.add(account)


_TOUCH_NAMES = frozenset(("touch_account", "_get_account", "_set_account"))


def touch(state: Any, address: Any) -> None:
    """``state.touch_account(address)`` (EIP-161's touch, every frame's), which writes the
    account back as it is: an account already written since the block's last state root
    has its value in the account journal, so writing it again changes nothing (a revert
    would restore that same value); any other account takes py-evm's own write."""
    db: Any = state._account_db
    if type(db) is AccountDB and _TOUCH_NAMES.isdisjoint(vars(db)):
        accounts: Any = db._journaltrie
        journal = getattr(accounts, "_journal", None)
        if (
            type(accounts) is JournalDB
            and type(journal) is Journal
            and type(journal._current_values.get(address)) is bytes
        ):
            db._accessed_accounts.add(address)
            return
    db.touch_account(address)


SSTORE_SENTRY = 2300
"""EIP-2200: an SSTORE fails with this much gas left or less."""
_SET, _RESET, _CLEARS = (
    GAS_SCHEDULE_EIP3529.sstore_set_gas,
    GAS_SCHEDULE_EIP3529.sstore_reset_gas,
    GAS_SCHEDULE_EIP3529.sstore_clears_schedule,
)
_NOOP = GAS_SCHEDULE_EIP3529.sload_gas


def lean_sstore(original: Any) -> Any:
    """The logic of an SSTORE opcode whose py-evm logic is ``original`` (London's): it runs
    ``original`` itself where storage or gas is not py-evm's own, too few stack items are
    there, or debug2 logging is on."""

    def sstore(computation: Any) -> None:
        meter = computation._gas_meter
        values = computation._stack.values
        state = computation.state
        if (
            len(values) < 2
            or type(meter) is not GasMeter
            or meter.logger.show_debug2
            or computation.logger.show_debug2
            or not plain_storage(state)
        ):
            original(computation)
            return
        if computation.msg.is_static:
            raise WriteProtection("Cannot modify state while inside of a STATICCALL context")
        left = computation.get_gas_remaining()
        if left <= SSTORE_SENTRY:
            raise OutOfGas(
                "Net-metered SSTORE always fails below 2300 gas, per EIP-2200",
                left,
            )
        slot, value = computation._stack.pop_ints(2)
        db = state._account_db
        address = computation.msg.storage_address
        current = stored(db, address, slot)
        store = db._account_stores.get(address)
        if store is None:
            store = db._get_address_store(address)
        original_value = store.get(slot, False)
        refund = 0
        if current == value:
            cost = _NOOP
        elif original_value == current:
            if original_value == 0:
                cost = _SET
            else:
                cost = _RESET
                if value == 0:
                    refund += _CLEARS
        else:
            cost = _NOOP
            if original_value != 0:
                if current == 0:
                    refund -= _CLEARS
                if value == 0:
                    refund += _CLEARS
            if original_value == value:
                refund += (_SET if original_value == 0 else _RESET) - _NOOP
        if cost > meter.gas_remaining:
            computation.consume_gas(  # raises py-evm's OutOfGas, its reason included
                cost,
                reason=(
                    f"SSTORE: {encode_hex(address)}[{slot}] -> {value} "
                    f"(current: {current} / original: {original_value})"
                ),
            )
        meter.gas_remaining -= cost
        if refund:
            computation.refund_gas(refund)
        store = db._account_stores.get(address)  # set_storage: its own store lookup
        if store is None:
            store = db._get_address_store(address)
        db._dirty_accounts.add(address)
        store.set(slot, value)
        tracker = address + slot.to_bytes((slot.bit_length() + 7) // 8 or 1, "big")
        accessed = db._journal_accessed_state
        if not journal_has(accessed, tracker):  # _mark_storage_warm: cold, charged after the write
            accessed[tracker] = IS_PRESENT_VALUE
            computation.consume_gas(COLD_SLOAD_COST, reason="Implicit SLOAD during SSTORE")

    return sstore


def state_methods(state_class: type) -> dict[str, Any]:
    """The state methods to install in a subclass of ``state_class``: :func:`code` and
    :func:`touch` where ``state_class`` reads code and touches accounts as py-evm's
    ``BaseState`` does."""
    methods: dict[str, Any] = {}
    if getattr(state_class, "get_code", None) is BaseState.get_code:
        methods["get_code"] = code
    if getattr(state_class, "touch_account", None) is BaseState.touch_account:
        methods["touch_account"] = touch
    return methods


__all__ = [
    "MAX_VALUES",
    "SSTORE_SENTRY",
    "code",
    "journal_has",
    "lean_sstore",
    "plain_access",
    "plain_storage",
    "slot_fee",
    "state_methods",
    "stored",
    "touch",
    "warmed",
]
