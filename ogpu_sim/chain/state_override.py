"""State overrides of ``eth_call`` / ``eth_estimateGas`` (geth's third argument), parsed once.

``{address: {"balance", "nonce", "code", "state", "stateDiff"}}``: each node applies the parsed
:class:`AccountOverride` list to the throw-away state a call runs on. Anything a node cannot
honour is refused with an error naming it, never ignored: an answer computed without the
override the caller asked for would be silently wrong.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from eth_utils import is_address, to_canonical_address, to_checksum_address

from .jsonrpc import INVALID_PARAMS, RpcError, data_bytes, quantity

FIELDS = ("balance", "nonce", "code", "state", "stateDiff")
"""The override fields geth and anvil accept (``movePrecompileToAddress`` is not supported)."""

_WORD = 2**256


@dataclass(frozen=True)
class AccountOverride:
    """What to pretend about one account for the duration of one call."""

    address: str
    balance: int | None = None
    nonce: int | None = None
    code: bytes | None = None
    state: dict[int, int] | None = None
    """Replaces the whole storage: slots not listed read zero."""
    state_diff: dict[int, int] | None = None
    """Replaces only the listed slots."""


def _slots(value: Any, where: str) -> dict[int, int]:
    if not isinstance(value, dict):
        raise RpcError(INVALID_PARAMS, f"invalid argument 2: {where} must be an object")
    slots: dict[int, int] = {}
    for slot, word in value.items():
        key, val = quantity(slot, f"{where} slot"), quantity(word, f"{where} value")
        if not (0 <= key < _WORD and 0 <= val < _WORD):
            raise RpcError(INVALID_PARAMS, f"invalid argument 2: {where} {slot}: not 32 bytes")
        slots[key] = val
    return slots


def parse_state_overrides(value: Any) -> list[AccountOverride]:
    """Parse the state-override argument (``None`` or ``{}``: no overrides).

    Raises:
        RpcError: -32602 naming the address and field that is malformed or not supported.
    """
    if value is None:
        return []
    if not isinstance(value, dict):
        raise RpcError(INVALID_PARAMS, "invalid argument 2: state overrides must be an object")
    overrides = []
    for address, fields in value.items():
        if not isinstance(address, str) or not is_address(address):
            raise RpcError(INVALID_PARAMS, f"invalid argument 2: {address!r} is not an address")
        account = to_checksum_address(address)
        if not isinstance(fields, dict):
            raise RpcError(INVALID_PARAMS, f"invalid argument 2: override of {account}: object")
        unknown = sorted(set(fields) - set(FIELDS))
        if unknown:
            raise RpcError(
                INVALID_PARAMS,
                f"invalid argument 2: override field {unknown[0]!r} of {account} is not "
                f"supported (supported: {', '.join(FIELDS)})",
            )
        if fields.get("state") is not None and fields.get("stateDiff") is not None:
            raise RpcError(
                INVALID_PARAMS,
                f"invalid argument 2: account {account} has both 'state' and 'stateDiff'",
            )
        balance = fields.get("balance")
        nonce = fields.get("nonce")
        code = fields.get("code")
        state = fields.get("state")
        diff = fields.get("stateDiff")
        overrides.append(
            AccountOverride(
                address=account,
                balance=None if balance is None else quantity(balance, f"{account} balance"),
                nonce=None if nonce is None else quantity(nonce, f"{account} nonce"),
                code=None if code is None else data_bytes(code, f"{account} code"),
                state=None if state is None else _slots(state, f"{account} state"),
                state_diff=None if diff is None else _slots(diff, f"{account} stateDiff"),
            )
        )
    return overrides


def no_block_overrides(value: Any) -> None:
    """Refuse ``eth_call``'s fourth argument (block overrides) unless it is empty.

    Raises:
        RpcError: -32602: these nodes do not override block fields.
    """
    if value:
        raise RpcError(
            INVALID_PARAMS,
            "invalid argument 3: block overrides are not supported by this node "
            f"(asked to override {', '.join(sorted(value)) if isinstance(value, dict) else value})",
        )


def apply_to_py_evm(state: Any, overrides: list[AccountOverride]) -> None:
    """Write ``overrides`` into a throw-away py-evm state (the eth-tester node's calls)."""
    for override in overrides:
        address = to_canonical_address(override.address)
        if override.balance is not None:
            state.set_balance(address, override.balance)
        if override.nonce is not None:
            state.set_nonce(address, override.nonce)
        if override.code is not None:
            state.set_code(address, override.code)
        if override.state is not None:
            state.delete_storage(address)
        for slot, value in (override.state or override.state_diff or {}).items():
            state.set_storage(address, slot, value)


@contextlib.contextmanager
def revm_overridden(evm: Any, overrides: list[AccountOverride]) -> Iterator[None]:
    """Apply ``overrides`` to a pyrevm ``EVM`` for one call, then put the accounts back.

    pyrevm writes account info and storage outside its journal, so a checkpoint revert would
    keep them: the original values are written back instead.

    Raises:
        RpcError: -32602 for a ``state`` override (replacing all of an account's storage needs
            the list of its slots, which pyrevm does not give).
    """
    import pyrevm

    for override in overrides:
        if override.state is not None:
            raise RpcError(
                INVALID_PARAMS,
                f"invalid argument 2: a 'state' override (all storage of {override.address}) "
                "is not supported by the revm backend, which cannot list an account's storage; "
                "override the slots you need with 'stateDiff'",
            )
    saved: list[tuple[str, Any, int, dict[int, int]]] = []
    try:
        for override in overrides:
            address = override.address
            info, balance = evm.basic(address), int(evm.get_balance(address))
            slots = override.state_diff or {}
            originals = {slot: int(evm.storage(address, slot)) for slot in slots}
            saved.append((address, info, balance, originals))
            if override.nonce is not None or override.code is not None:
                code = override.code if override.code is not None else info.code
                nonce = override.nonce if override.nonce is not None else info.nonce
                # a new AccountInfo resets the balance: it is set again below
                evm.insert_account_info(address, pyrevm.AccountInfo(nonce=nonce, code=code or None))
            evm.set_balance(address, balance if override.balance is None else override.balance)
            for slot, value in slots.items():
                evm.insert_account_storage(address, slot, value)
        yield
    finally:
        for address, info, balance, originals in reversed(saved):
            evm.insert_account_info(address, info)
            evm.set_balance(address, balance)
            for slot, value in originals.items():
                evm.insert_account_storage(address, slot, value)
