"""A leaner py-evm interpreter loop for the eth-tester node: same results, less per opcode.

py-evm interprets the EVM in Python, so most of an eth-tester lifecycle is spent per opcode.
:func:`lean_computation` derives, from a fork's computation class, one that differs only in
how it gets there:

- the opcode loop reads the code itself (no generator), charges a fixed-cost opcode's gas on
  the gas meter directly (py-evm goes through ``_FastOpcode.__call__``,
  ``computation.consume_gas`` and ``GasMeter.consume_gas``) with py-evm's own ``OutOfGas``
  message, and runs inline the fixed-cost opcodes whose py-evm logic is simple (PUSH, DUP,
  SWAP, POP, JUMPDEST, the common arithmetic, comparison and bitwise operations, JUMP, JUMPI,
  MSTORE and MLOAD with py-evm's memory expansion fee, CALLDATALOAD: see ``_INLINE_LOGIC``),
  with the same items, results, gas and errors (where py-evm's function would raise for too
  few stack items, it runs); other opcodes run as before;
- which code positions are valid jump destinations is a function of the code alone, so it is
  remembered per code (py-evm works it out again in every call frame);
- the program counter and the gas left are locals of the loop, written back before py-evm's
  logic (or an error) can see them and read again after it;
- the stack pops and pushes without a generator and a validation call per item;
- a memory access within the memory already allocated skips the expansion arithmetic
  (it costs nothing and grows nothing, as in py-evm);
- a frame that ran answers its SELFDESTRUCT beneficiaries (its own and its descendants')
  once: py-evm's EIP-161 collection asks every frame, and each frame asks its descendants.

With py-evm's debug2 logging on, the loop is py-evm's own, so the log is unchanged. The loop
follows ``BaseComputation.apply_computation`` of the py-evm version pyproject.toml pins;
``tests/chain/test_tester_evm.py`` runs calls both ways and compares how they end. (About
390 lines: the loop must stay one function to be fast, and its tables stay beside it.)
:func:`~ogpu_sim.chain.tester_node.TesterNode` installs the class in its chain's VMs only.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from eth._utils.numeric import ceil32
from eth.constants import UINT_255_MAX, UINT_256_CEILING, UINT_256_MAX
from eth.exceptions import (
    FullStack,
    Halt,
    InsufficientStack,
    InvalidInstruction,
    InvalidJumpDestination,
    OutOfGas,
)
from eth.vm.code_stream import CodeStream
from eth.vm.computation import NO_RESULT, memory_gas_cost
from eth.vm.forks.berlin import logic as berlin_logic
from eth.vm.logic import arithmetic, comparison, context, duplication, flow, memory, swap
from eth.vm.logic import stack as stack_logic
from eth.vm.logic.invalid import InvalidOpcode
from eth.vm.opcode import _FastOpcode
from eth.vm.opcode_values import JUMPDEST as JUMPDEST_OPCODE
from eth.vm.opcode_values import STOP
from eth.vm.stack import Stack, to_bytes, to_int

from .tester_storage import plain_storage, slot_fee, stored

MAX_CODES = 4096
"""Codes whose jump-destination analysis is kept; the memo starts over when full."""

_positions: dict[bytes, tuple[set[int], set[int]]] = {}
PUSH, DUP, SWAP, POP, JUMPDEST, BINARY, UNARY, JUMP, JUMPI, MSTORE, MLOAD, CALLDATALOAD = range(12)
SLOAD = 12
ADD, SUB, AND, OR, XOR, LT, GT, EQ, SLT, SGT, SHL, SHR, ISZERO, NOT = range(14)
_INLINE_LOGIC: dict[Any, tuple[int, int]] = {
    **{getattr(stack_logic, f"push{n}"): (PUSH, n) for n in range(33)},
    **{getattr(duplication, f"dup{n}"): (DUP, n) for n in range(1, 17)},
    **{getattr(swap, f"swap{n}"): (SWAP, n) for n in range(1, 17)},
    stack_logic.pop: (POP, 1),
    flow.jumpdest: (JUMPDEST, 0),
    arithmetic.add: (BINARY, ADD),
    arithmetic.sub: (BINARY, SUB),
    comparison.and_op: (BINARY, AND),
    comparison.or_op: (BINARY, OR),
    comparison.xor: (BINARY, XOR),
    comparison.lt: (BINARY, LT),
    comparison.gt: (BINARY, GT),
    comparison.eq: (BINARY, EQ),
    comparison.slt: (BINARY, SLT),
    comparison.sgt: (BINARY, SGT),
    arithmetic.shl: (BINARY, SHL),
    arithmetic.shr: (BINARY, SHR),
    comparison.iszero: (UNARY, ISZERO),
    comparison.not_op: (UNARY, NOT),
    flow.jump: (JUMP, 0),
    flow.jumpi: (JUMPI, 0),
    memory.mstore: (MSTORE, 0),
    memory.mload: (MLOAD, 0),
    context.calldataload: (CALLDATALOAD, 0),
    berlin_logic.sload_eip2929: (SLOAD, 0),
}
"""py-evm's logic the loop runs inline (PUSH0..32, DUP1..16, SWAP1..16, POP, JUMPDEST, the
common arithmetic, comparison and bitwise operations, JUMP, JUMPI, MSTORE and MLOAD (memory
expansion charged as py-evm's ``extend_memory`` charges it), CALLDATALOAD), keyed by py-evm's
function so a fork that changes one is left alone. Where py-evm's function would raise for
too few stack items, the loop calls it instead."""
OTHER = -1
"""The kind of a fixed-cost opcode the loop does not inline (its py-evm logic runs)."""
_tables: dict[int, tuple[Any, list[tuple[Any, int, int, int]]]] = {}


def _opcode_table(opcodes: dict[int, Any]) -> list[tuple[Any, int, int, int]]:
    """Per opcode value, what the loop does: ``(function, fixed gas or -1, kind, n)``.

    A fixed-cost opcode's function is its py-evm logic (the loop charges the gas), any other
    opcode's is the opcode itself (it charges its own); ``None`` for an undefined opcode.
    """
    known = _tables.get(id(opcodes))
    if known is None or known[0] is not opcodes:
        table: list[tuple[Any, int, int, int]] = []
        for value in range(256):
            opcode = opcodes.get(value)
            if type(opcode) is _FastOpcode:
                kind, n = _INLINE_LOGIC.get(opcode.logic_fn, (OTHER, 0))
                table.append((opcode.logic_fn, opcode.gas_cost, kind, n))
            else:
                table.append((opcode, -1, OTHER, 0))
        known = _tables[id(opcodes)] = (opcodes, table)
    return known[1]


class _AnalysedCode(CodeStream):
    """A code stream sharing its valid/invalid position sets with every stream of the same code.

    The sets only ever gain positions whose validity py-evm itself decided from the bytes.
    """

    __slots__ = ()

    def __init__(self, code_bytes: bytes) -> None:
        super().__init__(code_bytes)
        known = _positions.get(code_bytes)
        if known is None:
            if len(_positions) >= MAX_CODES:
                _positions.clear()
            known = _positions[code_bytes] = (self.valid_positions, self.invalid_positions)
        self.valid_positions, self.invalid_positions = known


class _LeanStack(Stack):
    """py-evm's stack with the common pops and pushes inlined (same errors otherwise)."""

    __slots__ = ()

    def push_int(self, value: int) -> None:
        values = self.values
        if len(values) < 1024 and 0 <= value <= UINT_256_MAX:
            values.append(value)
        else:
            super().push_int(value)  # raises FullStack or ValidationError as py-evm does

    def push_bytes(self, value: bytes) -> None:
        values = self.values
        if len(values) < 1024 and len(value) <= 32:
            values.append(value)
        else:
            super().push_bytes(value)

    def pop1_int(self) -> int:
        values = self.values
        if not values:
            return super().pop1_int()  # raises InsufficientStack as py-evm does
        item = values.pop()
        if type(item) is int:
            return item
        return int.from_bytes(item, "big") if type(item) is bytes else to_int(item)

    def pop_ints(self, num_items: int) -> tuple[int, ...]:
        values = self.values
        if not 0 < num_items <= len(values):
            return super().pop_ints(num_items)
        items = values[-num_items:]
        del values[-num_items:]
        items.reverse()
        return tuple(
            [
                item
                if type(item) is int
                else (int.from_bytes(item, "big") if type(item) is bytes else to_int(item))
                for item in items
            ]
        )

    def dup(self, position: int) -> None:
        values = self.values
        if 0 < position <= len(values) < 1024:
            values.append(values[-position])
        else:
            super().dup(position)


def _apply_computation(
    cls: Any,
    state: Any,
    message: Any,
    transaction_context: Any,
    parent_computation: Any = None,
) -> Any:
    """py-evm's ``BaseComputation.apply_computation`` with fixed gas charged in the loop."""
    with cls(state, message, transaction_context) as computation:
        if computation.is_origin_computation:
            computation.contracts_created = []
            if message.is_create:
                cls.consume_initcode_gas_cost(computation)
        if parent_computation is not None:
            computation.contracts_created = parent_computation.contracts_created
        if message.is_create:
            computation.contracts_created.append(message.storage_address)
        precompile = computation.precompiles.get(message.code_address, NO_RESULT)
        if precompile is not NO_RESULT:
            if not message.is_delegation:
                precompile(computation)
            return computation
        opcodes = computation.opcodes
        table = _opcode_table(opcodes)
        meter = computation._gas_meter
        code = computation.code
        values = computation._stack.values
        raw_code = code._raw_code_bytes
        length = len(raw_code)
        # The program counter and the gas left live in locals while inlined opcodes run;
        # they are written back before anything else can see them (py-evm's logic, an
        # error raised here) and read again after py-evm's logic ran.
        pc = code.program_counter
        gas = meter.gas_remaining
        ended = False
        plain = None  # whether SLOAD can run inline (tester_storage), once needed
        try:
            while not ended:  # CodeStream.__iter__, inlined: the code, then one STOP
                if pc < length:
                    opcode = raw_code[pc]
                    pc += 1
                else:
                    opcode, ended = STOP, True
                logic, cost, kind, n = table[opcode]
                if cost < 0:  # an opcode charging its own gas (or undefined)
                    code.program_counter, meter.gas_remaining = pc, gas
                    if logic is None:
                        InvalidOpcode(opcode)(computation=computation)
                    else:
                        logic(computation=computation)
                    pc, gas = code.program_counter, meter.gas_remaining
                    continue
                # a _FastOpcode: its gas, then its logic (inline or py-evm's)
                if cost > gas:
                    code.program_counter, meter.gas_remaining = pc, gas
                    raise OutOfGas(
                        f"Out of gas: Needed {cost} - Remaining {gas} "
                        f"- Reason: {opcodes[opcode].mnemonic}"
                    )
                gas -= cost
                if kind == PUSH:  # py-evm's logic and errors, inlined
                    raw = raw_code[pc : pc + n]
                    pc += n
                    if len(raw) != n:
                        raw = raw.ljust(n, b"\x00")
                    if len(values) > 1023:
                        code.program_counter, meter.gas_remaining = pc, gas
                        raise FullStack("Stack limit reached")
                    values.append(raw)
                elif kind == BINARY and len(values) > 1:
                    a = values.pop()
                    b = values[-1]
                    if type(a) is not int:
                        a = int.from_bytes(a, "big") if type(a) is bytes else to_int(a)
                    if type(b) is not int:
                        b = int.from_bytes(b, "big") if type(b) is bytes else to_int(b)
                    if n == ADD:
                        values[-1] = (a + b) & UINT_256_MAX
                    elif n == AND:
                        values[-1] = a & b
                    elif n == SUB:
                        values[-1] = (a - b) & UINT_256_MAX
                    elif n == SHL:
                        values[-1] = 0 if a >= 256 else (b << a) & UINT_256_MAX
                    elif n == GT:
                        values[-1] = 1 if a > b else 0
                    elif n == EQ:
                        values[-1] = 1 if a == b else 0
                    elif n == LT:
                        values[-1] = 1 if a < b else 0
                    elif n == SHR:
                        values[-1] = 0 if a >= 256 else b >> a
                    elif n == OR:
                        values[-1] = a | b
                    elif n == XOR:
                        values[-1] = a ^ b
                    else:  # SLT, SGT: unsigned_to_signed, compare
                        if a > UINT_255_MAX:
                            a -= UINT_256_CEILING
                        if b > UINT_255_MAX:
                            b -= UINT_256_CEILING
                        values[-1] = (1 if a < b else 0) if n == SLT else (1 if a > b else 0)
                elif kind == DUP:
                    if len(values) > 1023:
                        code.program_counter, meter.gas_remaining = pc, gas
                        raise FullStack("Stack limit reached")
                    if n > len(values):
                        code.program_counter, meter.gas_remaining = pc, gas
                        raise InsufficientStack(f"Insufficient stack items for DUP{n}")
                    values.append(values[-n])
                elif kind == SWAP:
                    if n >= len(values):
                        code.program_counter, meter.gas_remaining = pc, gas
                        raise InsufficientStack(f"Insufficient stack items for SWAP{n}")
                    values[-1], values[-n - 1] = values[-n - 1], values[-1]
                elif kind in (JUMP, JUMPI):
                    if len(values) < (2 if kind == JUMPI else 1):
                        code.program_counter, meter.gas_remaining = pc, gas
                        logic(computation)  # raises InsufficientStack
                        pc, gas = code.program_counter, meter.gas_remaining
                        continue
                    dest = values.pop()
                    if type(dest) is not int:
                        dest = int.from_bytes(dest, "big") if type(dest) is bytes else to_int(dest)
                    if kind == JUMPI:
                        check = values.pop()
                        if not (
                            check
                            if type(check) is int
                            else int.from_bytes(check, "big")
                            if type(check) is bytes
                            else to_int(check)
                        ):
                            continue
                    pc = dest
                    if dest >= length or raw_code[dest] != JUMPDEST_OPCODE:
                        code.program_counter, meter.gas_remaining = pc, gas
                        raise InvalidJumpDestination("Invalid Jump Destination")
                    if dest not in code.valid_positions and not code.is_valid_opcode(dest):
                        code.program_counter, meter.gas_remaining = pc, gas
                        raise InvalidInstruction("Jump resulted in invalid instruction")
                elif (kind == MSTORE and len(values) > 1) or (kind == MLOAD and values):
                    start = values[-1]
                    if type(start) is not int:
                        start = (
                            int.from_bytes(start, "big") if type(start) is bytes else to_int(start)
                        )
                    held = computation._memory._bytes
                    if start + 32 > len(held):  # extend_memory(start, 32), inlined
                        before = ceil32(len(held))
                        after = ceil32(start + 32)
                        fee = memory_gas_cost(after) - memory_gas_cost(before)
                        if fee > 0:
                            if fee > gas:
                                code.program_counter, meter.gas_remaining = pc, gas
                                raise OutOfGas(
                                    f"Out of gas: Needed {fee} - Remaining {gas} - Reason: "
                                    f"Expanding memory {before} -> {after}"
                                )
                            gas -= fee
                        computation._memory.extend(start, 32)
                        held = computation._memory._bytes
                    if kind == MLOAD:
                        values[-1] = bytes(held[start : start + 32])
                        continue
                    values.pop()
                    word = values.pop()
                    held[start : start + 32] = (
                        word.to_bytes(32, "big")
                        if type(word) is int
                        else to_bytes(word).rjust(32, b"\x00")[-32:]
                    )
                elif kind == POP and values:
                    values.pop()
                elif kind == UNARY and values:
                    a = values[-1]
                    if type(a) is not int:
                        a = int.from_bytes(a, "big") if type(a) is bytes else to_int(a)
                    values[-1] = (1 if a == 0 else 0) if n == ISZERO else UINT_256_MAX - a
                elif kind == CALLDATALOAD and values:
                    start = values[-1]
                    if type(start) is not int:
                        start = (
                            int.from_bytes(start, "big") if type(start) is bytes else to_int(start)
                        )
                    data = computation.msg.data_as_bytes[start : start + 32]
                    values[-1] = data.ljust(32, b"\x00").lstrip(b"\x00")
                elif kind == SLOAD and values:
                    if plain is None:
                        plain = plain_storage(computation.state)
                    if not plain:  # storage or access tracking not py-evm's own: its logic
                        code.program_counter, meter.gas_remaining = pc, gas
                        logic(computation)
                        pc, gas = code.program_counter, meter.gas_remaining
                        continue
                    slot = values.pop()
                    if type(slot) is not int:
                        slot = int.from_bytes(slot, "big") if type(slot) is bytes else to_int(slot)
                    fee = slot_fee(computation, slot)
                    if fee > gas:
                        code.program_counter, meter.gas_remaining = pc, gas
                        raise OutOfGas(
                            f"Out of gas: Needed {fee} - Remaining {gas} - Reason: SLOAD"
                        )
                    gas -= fee
                    code.program_counter, meter.gas_remaining = pc, gas  # for a storage error
                    value = stored(
                        computation.state._account_db, computation.msg.storage_address, slot
                    )
                    if 0 <= value <= UINT_256_MAX:
                        values.append(value)
                    else:
                        computation._stack.push_int(value)  # raises as py-evm's push does
                elif kind != JUMPDEST:
                    # not inlined (OTHER), or too few stack items: py-evm's logic runs (and
                    # raises InsufficientStack where it would)
                    code.program_counter, meter.gas_remaining = pc, gas
                    logic(computation)
                    pc, gas = code.program_counter, meter.gas_remaining
            code.program_counter, meter.gas_remaining = pc, gas
        except Halt:
            pass
    return computation


@cache
def lean_computation(base: Any) -> Any:
    """``base`` (a py-evm computation class) with the lean loop, stack and code analysis."""

    def __init__(self: Any, state: Any, message: Any, transaction_context: Any) -> None:
        base.__init__(self, state, message, transaction_context)
        self.code = _AnalysedCode(message.code)
        self._stack = _LeanStack()

    def extend_memory(self: Any, start_position: int, size: int) -> None:
        # Memory already covering the range costs nothing and does not grow (py-evm's rule).
        if (
            type(start_position) is int
            and type(size) is int
            and start_position >= 0
            and size > 0
            and start_position + size <= len(self._memory)
            and not self.logger.show_debug2
        ):
            return
        base.extend_memory(self, start_position, size)

    def apply_computation(cls: Any, *args: Any, **kwargs: Any) -> Any:
        if cls.logger.show_debug2:  # py-evm's loop logs every opcode: keep its log
            return base.apply_computation.__func__(cls, *args, **kwargs)
        computation = _apply_computation(cls, *args, **kwargs)
        computation._ogpu_ran = True
        return computation

    def get_self_destruct_beneficiaries(self: Any) -> Any:
        # Asked of every frame of a finished transaction, each asking all its descendants
        # again (py-evm's EIP-161 collection): a frame that ran answers once, a fresh list.
        known = self.__dict__.get("_ogpu_beneficiaries")
        if known is None:
            known = base.get_self_destruct_beneficiaries(self)
            if not self.__dict__.get("_ogpu_ran"):
                return known
            self._ogpu_beneficiaries = known
        return list(known)

    return type(
        f"Lean{base.__name__}",
        (base,),
        {
            "__init__": __init__,
            "extend_memory": extend_memory,
            "apply_computation": classmethod(apply_computation),
            "get_self_destruct_beneficiaries": get_self_destruct_beneficiaries,
        },
    )


__all__ = ["MAX_CODES", "lean_computation"]
