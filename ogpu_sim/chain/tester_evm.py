"""A leaner py-evm interpreter loop for the eth-tester node: same results, less per opcode.

py-evm interprets the EVM in Python, so most of an eth-tester lifecycle is spent per opcode.
:func:`lean_computation` derives, from a fork's computation class, one that differs only in
how it gets there:

- the opcode loop charges a fixed-cost opcode's gas on the gas meter directly (py-evm goes
  through ``_FastOpcode.__call__``, ``computation.consume_gas`` and ``GasMeter.consume_gas``),
  with py-evm's own ``OutOfGas`` message, and runs py-evm's PUSHes inline (the same bytes
  pushed); other opcodes run as before;
- which code positions are valid jump destinations is a function of the code alone, so it is
  remembered per code (py-evm works it out again in every call frame);
- the stack pops and pushes without a generator and a validation call per item;
- a memory access within the memory already allocated skips the expansion arithmetic
  (it costs nothing and grows nothing, as in py-evm).

With py-evm's debug2 logging on, the loop is py-evm's own, so the log is unchanged.
:func:`~ogpu_sim.chain.tester_node.TesterNode` installs the class in its chain's VMs only.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from eth.constants import UINT_256_MAX
from eth.exceptions import FullStack, Halt, OutOfGas
from eth.vm.code_stream import CodeStream
from eth.vm.computation import NO_RESULT
from eth.vm.logic import stack as stack_logic
from eth.vm.logic.invalid import InvalidOpcode
from eth.vm.opcode import _FastOpcode
from eth.vm.stack import Stack, to_int

MAX_CODES = 4096
"""Codes whose jump-destination analysis is kept; the memo starts over when full."""

_positions: dict[bytes, tuple[set[int], set[int]]] = {}
_PUSHES = {getattr(stack_logic, f"push{size}"): size for size in range(33)}
"""py-evm's PUSH0..PUSH32 logic functions and how many code bytes each pushes."""
_push_tables: dict[int, tuple[Any, dict[int, int]]] = {}


def _push_sizes(opcodes: dict[int, Any]) -> dict[int, int]:
    """The opcodes of ``opcodes`` that are py-evm's own fixed-cost PUSHes, with their sizes."""
    known = _push_tables.get(id(opcodes))
    if known is None or known[0] is not opcodes:
        sizes = {
            value: _PUSHES[opcode.logic_fn]
            for value, opcode in opcodes.items()
            if type(opcode) is _FastOpcode and opcode.logic_fn in _PUSHES
        }
        known = _push_tables[id(opcodes)] = (opcodes, sizes)
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
        return item if isinstance(item, int) else to_int(item)

    def pop_ints(self, num_items: int) -> tuple[int, ...]:
        values = self.values
        if not 0 < num_items <= len(values):
            return super().pop_ints(num_items)
        items = values[-num_items:]
        del values[-num_items:]
        items.reverse()
        return tuple([item if isinstance(item, int) else to_int(item) for item in items])

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
        pushes = _push_sizes(opcodes)
        meter = computation._gas_meter
        code = computation.code
        values = computation._stack.values
        for opcode in code:
            try:
                opcode_fn = opcodes[opcode]
            except KeyError:
                opcode_fn = InvalidOpcode(opcode)
            try:
                if type(opcode_fn) is _FastOpcode:
                    cost = opcode_fn.gas_cost
                    if cost > meter.gas_remaining:
                        raise OutOfGas(
                            f"Out of gas: Needed {cost} - Remaining {meter.gas_remaining} "
                            f"- Reason: {opcode_fn.mnemonic}"
                        )
                    meter.gas_remaining -= cost
                    size = pushes.get(opcode)
                    if size is None:
                        opcode_fn.logic_fn(computation)
                        continue
                    raw = code.read(size)  # py-evm's push_XX, inlined
                    if len(raw) != size:
                        raw = raw.ljust(size, b"\x00")
                    if len(values) > 1023:
                        raise FullStack("Stack limit reached")
                    values.append(raw)
                else:
                    opcode_fn(computation=computation)
            except Halt:
                break
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
        return _apply_computation(cls, *args, **kwargs)

    return type(
        f"Lean{base.__name__}",
        (base,),
        {
            "__init__": __init__,
            "extend_memory": extend_memory,
            "apply_computation": classmethod(apply_computation),
        },
    )


__all__ = ["MAX_CODES", "lean_computation"]
