"""CALL, CALLCODE, DELEGATECALL, STATICCALL (and SSTORE) for the lean loop: py-evm's, flattened.

py-evm's call opcodes (``eth.vm.logic.call`` with the Berlin access costs and the Prague
delegation lookup of ``eth.vm.forks.prague.logic``) go through a dozen methods per call: the
parameters, two memory expansions, the code lookup with its access cost, the EIP-150 gas
arithmetic, the balance and depth checks, then a ``Message`` whose constructor validates every
field. :func:`lean_opcodes` replaces, in a copy of a computation class's opcodes, each of the
four Prague call opcodes (exactly those classes, nothing a fork changed) by :class:`LeanCall`,
which does the same steps in the same order on the same objects (state reads and writes, gas
charges with py-evm's reasons and ``OutOfGas`` messages, the child run through the
computation's ``apply_child_computation``) and builds the child's ``Message`` without
re-validating fields that are valid by construction (canonical addresses, uint256 words).
Where the state tracks warm accounts as py-evm's classes do, an account's warmth is read and
marked in one step (:func:`.tester_storage.warmed`).
With too few stack items, or py-evm's debug2 logging on for the opcode or the computation,
py-evm's own opcode runs, so errors and logs are unchanged. SSTORE's replacement logic lives
with the other storage paths (:func:`.tester_storage.lean_sstore`); it stays a fixed-cost
opcode, so the gas tracer of :mod:`.tester_trace` wraps it as it wraps py-evm's.
``tests/chain/test_tester_evm.py`` runs calls both ways and compares how they end.
"""

from __future__ import annotations

from typing import Any

from eth._utils.state import code_is_delegation_designation
from eth.constants import GAS_CALLSTIPEND, GAS_CALLVALUE, GAS_NEWACCOUNT, STACK_DEPTH_LIMIT
from eth.exceptions import OutOfGas, WriteProtection
from eth.vm.computation import BaseComputation
from eth.vm.forks.berlin.constants import COLD_ACCOUNT_ACCESS_COST, WARM_STORAGE_READ_COST
from eth.vm.forks.london.opcodes import LONDON_OPCODES
from eth.vm.forks.prague.logic import (
    CallCodeEIP7702,
    CallEIP7702,
    DelegateCallEIP7702,
    StaticCallEIP7702,
)
from eth.vm.message import Message
from eth.vm.opcode import _FastOpcode
from eth.vm.opcode_values import CALL, CALLCODE, DELEGATECALL, SSTORE, STATICCALL
from eth.vm.stack import to_int

from .tester_storage import lean_sstore, plain_access, warmed

ADDRESS_MASK = (1 << 160) - 1
_LONDON_SSTORE = LONDON_OPCODES[SSTORE].logic_fn
_KINDS: dict[Any, int] = {
    CallEIP7702: CALL,
    CallCodeEIP7702: CALLCODE,
    DelegateCallEIP7702: DELEGATECALL,
    StaticCallEIP7702: STATICCALL,
}
_POPPED = {CALL: 7, CALLCODE: 7, DELEGATECALL: 6, STATICCALL: 6}


def _word(item: Any) -> int:
    if type(item) is int:
        return item
    return int.from_bytes(item, "big") if type(item) is bytes else to_int(item)


def _child_message(
    gas: int,
    to: bytes,
    sender: bytes,
    value: int,
    data: bytes,
    code: bytes,
    depth: int,
    code_address: bytes | None,
    should_transfer_value: bool,
    is_static: bool,
    is_delegation: bool,
) -> Any:
    """``Message(...)`` as ``prepare_child_message`` builds it, without the field checks (every
    field here is valid by construction: uint256 words, 20-byte addresses, bytes)."""
    message: Any = Message.__new__(Message)
    message.gas = gas
    message.to = to
    message.sender = sender
    message.value = value
    message.data = data
    message.depth = depth
    message.code = code
    message._code_address = code_address
    message._storage_address = None
    message.should_transfer_value = should_transfer_value
    message.is_static = is_static
    message._is_delegation = is_delegation
    message.refund = 0
    return message


class LeanCall:
    """One of py-evm's four Prague call opcodes, its ``__call__`` flattened (same behaviour)."""

    def __init__(self, opcode: Any) -> None:
        self.opcode = opcode
        self.kind = _KINDS[type(opcode).__mro__[1]]
        self.mnemonic = opcode.mnemonic
        self.gas_cost = opcode.gas_cost
        self.logger = opcode.logger  # logging keeps one logger per name: py-evm's own

    def _load_fee(self, computation: Any, address: bytes) -> None:
        """``BaseCallEIP2929.consume_account_load_gas`` (without its debug2 log: off here)."""
        state = computation.state
        if plain_access(state):  # py-evm's two state calls in one
            fee = WARM_STORAGE_READ_COST if warmed(state, address) else COLD_ACCOUNT_ACCESS_COST
        elif state.is_address_warm(address):
            fee = WARM_STORAGE_READ_COST
        else:
            state.mark_address_warm(address)
            fee = COLD_ACCOUNT_ACCESS_COST
        computation.consume_gas(
            fee, reason=f"{self.mnemonic} charges implicit account load for reading code"
        )

    def __call__(self, computation: Any) -> None:
        kind = self.kind
        values = computation._stack.values
        if (
            len(values) < _POPPED[kind]
            or self.logger.show_debug2
            or computation.logger.show_debug2
            or type(computation).prepare_child_message is not BaseComputation.prepare_child_message
        ):
            self.opcode(computation=computation)
            return
        computation.consume_gas(self.gas_cost, reason=self.mnemonic)
        msg = computation.msg
        state = computation.state
        # get_call_params: the items in py-evm's pop order
        gas = _word(values.pop())
        target = (_word(values.pop()) & ADDRESS_MASK).to_bytes(20, "big")
        value = _word(values.pop()) if kind in (CALL, CALLCODE) else 0
        in_start, in_size, out_start, out_size = (_word(values.pop()) for _ in range(4))
        code_address: bytes | None = None
        should_transfer_value = kind in (CALL, CALLCODE)
        is_static = msg.is_static
        sender = msg.storage_address
        if kind == CALL:
            to = target
            if is_static and value != 0:
                raise WriteProtection("Cannot modify state while inside of a STATICCALL context")
        elif kind == STATICCALL:
            to, is_static = target, True
        else:
            to, code_address = msg.storage_address, target
            if kind == DELEGATECALL:
                sender, value = msg.sender, msg.value
        computation.extend_memory(in_start, in_size)
        computation.extend_memory(out_start, out_size)
        call_data = computation.memory_read_bytes(in_start, in_size)
        # get_code_at_address (EIP-2929 access cost, EIP-7702 delegation)
        code_source = code_address if code_address else to
        self._load_fee(computation, code_source)
        code = state.get_code(code_source)
        delegation = None
        if code_is_delegation_designation(code):
            delegation = code[3:]  # 20 bytes: force_bytes_to_address changes nothing
            self._load_fee(computation, delegation)
            code = state.get_code(delegation)
        # compute_msg_gas (EIP-150's 63/64, EIP-161's new-account fee)
        if kind == DELEGATECALL:
            extra = 0
        elif kind == CALLCODE:
            extra = GAS_CALLVALUE if value else 0
        else:
            dead = not state.account_exists(to) or state.account_is_empty(to)
            extra = (GAS_CALLVALUE if value else 0) + (GAS_NEWACCOUNT if dead and value else 0)
        remaining = computation.get_gas_remaining()
        if remaining < extra:
            raise OutOfGas(
                f"Out of gas: Needed {extra} - Remaining {remaining} - Reason: {self.mnemonic}"
            )
        available = remaining - extra
        gas = min(gas, available - available // 64)
        child_gas = gas + (GAS_CALLSTIPEND if value and kind != DELEGATECALL else 0)
        computation.consume_gas(gas + extra, reason=self.mnemonic)
        # pre-call checks
        balance = state.get_balance(msg.storage_address)
        if (should_transfer_value and balance < value) or msg.depth + 1 > STACK_DEPTH_LIMIT:
            computation.return_data = b""
            computation.return_gas(child_gas)
            computation.stack_push_int(0)
            return
        child_msg = _child_message(
            child_gas,
            to,
            sender,
            value,
            call_data,
            code,
            msg.depth + 1,
            delegation or code_address,
            should_transfer_value,
            is_static,
            delegation is not None,
        )
        child = computation.apply_child_computation(child_msg)
        computation.stack_push_int(0 if child.is_error else 1)
        if not child.should_erase_return_data:
            output = child.output
            size = min(out_size, len(output))
            computation.memory_write(out_start, size, output[:size])
        if child.should_return_gas:
            computation.return_gas(child.get_gas_remaining())


def lean_opcodes(opcodes: dict[int, Any]) -> dict[int, Any]:
    """``opcodes`` with each of py-evm's Prague call opcodes replaced by its :class:`LeanCall`
    and py-evm's London SSTORE by one running :func:`.tester_storage.lean_sstore` (``opcodes``
    itself when it has none of them)."""
    lean: dict[int, Any] = {
        value: LeanCall(opcode)
        for value, opcode in opcodes.items()
        if len(type(opcode).__mro__) > 1 and type(opcode).__mro__[1] in _KINDS
    }
    sstore = opcodes.get(SSTORE)
    if type(sstore) is _FastOpcode and sstore.logic_fn is _LONDON_SSTORE:
        lean[SSTORE] = _FastOpcode(lean_sstore(sstore.logic_fn), sstore.mnemonic, sstore.gas_cost)
    return {**opcodes, **lean} if lean else opcodes


__all__ = ["LeanCall", "lean_opcodes"]
