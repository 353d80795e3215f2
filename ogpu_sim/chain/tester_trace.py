"""The least gas with which a py-evm execution succeeds, read from one traced run.

A call that does not branch on the gas it has follows the same path with any gas limit that is
enough, so the least such limit is a maximum over what the run consumed at a few points. Per
call frame (started with ``g``, having consumed ``k`` so far at a point):

- the frame's own consumption at its end (children's usage, memory expansion, a creation's
  code deposit, precompiles' and SELFDESTRUCT's costs included): ``g >= consumed``;
- every ``SSTORE`` needs more than the 2300-gas stipend left: ``g >= k + 2301``;
- every child call or ``new`` (CREATE, CREATE2) gets at most 63/64 of what is left after the
  opcode's charges (EIP-150), plus the 2300 stipend of a value transfer, and needs its own
  threshold (recursively): ``g >= k + least r with r - r // 64 >= need - stipend``.

In py-evm those are the only points where an execution reads the gas it has (``GAS``, the
63/64 share of CALL and CREATE, EIP-2200's sentry, running out), so from the threshold up the
execution is the very same: path, writes, logs, output, refund counter and the root's
consumption (children get more gas, which nothing else reads). The transaction's threshold is
its intrinsic gas plus its root frame's. :func:`traced_run` runs one execution with a
computation class that records these points and answers ``None`` when the model does not hold:
a child call failed (a caught failure changes the path with less gas), code read ``GAS`` other
than to forward it to a call (Solidity's ``gasleft()``), or a call or creation started no frame
(py-evm's CREATE address collision keeps the 63/64 it charged, so the frame's consumption
depends on its gas). :func:`child_need` is the most a frame's children need of it: below it a
child runs short and may fail while its caller carries on another way, so only above it is a
shortfall sure to end the frame out of gas (:mod:`.tester_gas`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

CALL_STIPEND = 2300
SSTORE_SENTRY = 2300  # EIP-2200: SSTORE needs more than this left
CALL, CALLCODE, DELEGATECALL, STATICCALL, CREATE, CREATE2 = 0xF1, 0xF2, 0xF4, 0xFA, 0xF0, 0xF5
SSTORE, GAS = 0x55, 0x5A
_CALLS = (CALL, CALLCODE, DELEGATECALL, STATICCALL)


def least_available(need: int) -> int:
    """The least ``r`` whose 63/64 (``r - r // 64``) is at least ``need``."""
    if need <= 0:
        return 0
    r = need + need // 63
    while r - r // 64 < need:
        r += 1
    while r > 0 and (r - 1) - (r - 1) // 64 >= need:
        r -= 1
    return r


class _Marked:
    """An opcode that notes itself on the frame before running (what apply_child sees)."""

    def __init__(self, opcode: Any, value: int) -> None:
        self.opcode, self.value = opcode, value
        self.mnemonic = getattr(opcode, "mnemonic", hex(value))

    def __call__(self, computation: Any) -> Any:
        computation._ogpu_op = self.value
        computation._ogpu_started = False
        result = self.opcode(computation=computation)
        if not computation._ogpu_started:
            # No frame started: py-evm's CREATE collision keeps the 63/64 it charged, so the
            # frame's consumption would depend on its gas; funds and depth failures too (safe).
            computation._ogpu_unknown = True
        return result


class _SStore(_Marked):
    def __call__(self, computation: Any) -> Any:
        spent = computation.msg.gas - computation.get_gas_remaining()
        _need(computation, spent + SSTORE_SENTRY + 1)
        return self.opcode(computation=computation)


class _Gas(_Marked):
    def __call__(self, computation: Any) -> Any:
        result = self.opcode(computation=computation)
        code = computation.code
        try:
            forwarded = code[code.program_counter] in _CALLS
        except IndexError:
            forwarded = False
        if not forwarded:
            computation._ogpu_unknown = True
        return result


def _need(computation: Any, gas: int) -> None:
    computation._ogpu_need = max(getattr(computation, "_ogpu_need", 0), gas)


def child_need(computation: Any) -> int:
    """The most start gas any child call or creation of a finished traced frame needs of it
    (0: none): below it a child runs short, so the frame's path may change."""
    return getattr(computation, "_ogpu_children", 0)  # type: ignore[no-any-return]


def threshold(computation: Any) -> int | None:
    """The least start gas of a finished traced frame, or None when the model does not hold."""
    if getattr(computation, "_ogpu_unknown", False) or computation.is_error:
        return None
    consumed = computation.msg.gas - computation.get_gas_remaining()
    return max(consumed, getattr(computation, "_ogpu_need", 0))


@cache
def _traced_class(base: Any) -> Any:
    opcodes = dict(base.opcodes)
    for value in (*_CALLS, CREATE, CREATE2):
        if value in opcodes:
            opcodes[value] = _Marked(opcodes[value], value)
    opcodes[SSTORE] = _SStore(opcodes[SSTORE], SSTORE)
    opcodes[GAS] = _Gas(opcodes[GAS], GAS)

    def apply_child_computation(self: Any, child_msg: Any) -> Any:
        left = self.get_gas_remaining()  # after the opcode charged what it forwards
        op = getattr(self, "_ogpu_op", None)
        self._ogpu_started = True
        child = base.apply_child_computation(self, child_msg)
        stipend = CALL_STIPEND if op in (CALL, CALLCODE) and child_msg.value else 0
        forwarded = child_msg.gas - stipend
        spent = self.msg.gas - (left + forwarded)
        need = threshold(child)
        if need is None:
            self._ogpu_unknown = True
        else:
            gas = spent + least_available(need - stipend)
            _need(self, gas)
            self._ogpu_children = max(child_need(self), gas)
        return child

    return type(
        f"Traced{base.__name__}",
        (base,),
        {"opcodes": opcodes, "apply_child_computation": apply_child_computation},
    )


def traced_run(state: Any, run: Callable[[], Any]) -> tuple[Any, int | None]:
    """``run()`` (one ``state.apply_transaction``) traced: its computation and the least gas its
    root frame can start with to succeed the same way (None: unknown). The transaction's least
    gas limit is that plus its intrinsic gas (the limit minus the root frame's gas); the
    computation answers :func:`threshold` and :func:`child_need` afterwards."""
    own = vars(state).get("computation_class")
    state.computation_class = _traced_class(state.computation_class)
    try:
        computation = run()
    finally:
        if own is None:
            del state.computation_class
        else:
            state.computation_class = own
    return computation, threshold(computation)


__all__ = ["child_need", "least_available", "threshold", "traced_run"]
