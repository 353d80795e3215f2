"""Running one call on a pyrevm ``EVM`` and reading back what happened, for :mod:`.revm_node`.

pyrevm reports a reverted or halted execution only as exception text, and a call the EVM
refused to run (fees the sender cannot pay, gas below the intrinsic cost) as other text:
:func:`execute` turns both into an :class:`Outcome` or a geth-worded :class:`RpcError`.
:func:`estimate_gas` is geth's gas search over such executions.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eth_utils import to_checksum_address

from .jsonrpc import SERVER_ERROR, RpcError, revert_error

checksum = functools.lru_cache(maxsize=16_384)(to_checksum_address)
"""Checksumming costs ~100 us in eth_utils; a node sees the same few addresses again and again."""

SPEC_ID = "Cancun"
"""pyrevm's spelling of the Cancun spec; other spellings silently mean the latest spec."""
BLOCK_GAS_LIMIT = 30_000_000
PRIORITY_FEE = 10**9
ZERO_ADDRESS = "0x" + "00" * 20
FEE_SINK = checksum("0x0000000000000000000000000000000000fee500")
"""Where gas fees go: never a user account, so balances stay what tests expect."""

_OUTCOME_TEXT = re.compile(
    r"^(?:Revert \{ gas_used: (?P<rgas>\d+), output: 0x(?P<out>[0-9a-fA-F]*) \}"
    r"|Halt \{ reason: (?P<reason>.+), gas_used: (?P<hgas>\d+) \})$"
)
_LACK_OF_FUNDS = re.compile(r"LackOfFundForMaxFee \{ fee: (\d+), balance: (\d+) \}")
_INTRINSIC = re.compile(r"Initial gas spend is (\d+) but gas limit is (\d+)")


@dataclass
class Outcome:
    """What one execution did: success, gas used, return data or revert data, logs."""

    ok: bool
    gas_used: int
    output: bytes = b""
    logs: list[Any] = field(default_factory=list)
    address: str | None = None
    halt: str | None = None

    def failure(self) -> RpcError:
        """The JSON-RPC error of a failed execution, worded like geth."""
        if self.halt is not None:
            return RpcError(SERVER_ERROR, f"execution halted: {self.halt}")
        return revert_error(self.output)


def rejected(text: str) -> RpcError:
    """An EVM validation error (the call never ran), worded like geth where geth has words."""
    funds = _LACK_OF_FUNDS.search(text)
    if funds is not None:
        return RpcError(
            SERVER_ERROR,
            f"insufficient funds for gas * price + value: have {funds[2]} want {funds[1]}",
        )
    intrinsic = _INTRINSIC.search(text)
    if intrinsic is not None:
        return RpcError(
            SERVER_ERROR,
            f"intrinsic gas too low: gas {intrinsic[2]}, minimum needed {intrinsic[1]}",
        )
    return RpcError(SERVER_ERROR, f"transaction rejected by the EVM: {text}")


def execute(
    evm: Any, sender: str, to: str | None, data: bytes, value: int, gas: int, gas_price: int
) -> Outcome:
    """Run a call (``to``) or a creation (``to`` None) in the EVM's current block.

    Raises:
        RpcError: the EVM refused to run it (see :func:`rejected`).
    """
    try:
        if to is None:
            address = evm.deploy(sender, data, value=value, gas=gas)
            return Outcome(True, evm.result.gas_used, b"", evm.result.logs, address=address)
        output = evm.message_call(sender, to, data, value=value, gas=gas, gas_price=gas_price)
        return Outcome(True, evm.result.gas_used, bytes(output), evm.result.logs)
    except RuntimeError as exc:
        match = _OUTCOME_TEXT.match(str(exc))
        if match is None:
            raise rejected(str(exc)) from exc
        if match["reason"] is not None:
            return Outcome(False, int(match["hgas"]), halt=match["reason"])
        return Outcome(False, int(match["rgas"]), bytes.fromhex(match["out"]))


def estimate_gas(run: Callable[[int], Outcome], cap: int) -> int:
    """The least gas limit (within 1.5%) with which ``run`` succeeds.

    Searches like geth, so creations that forward 63/64 of their gas to a child are covered,
    but brackets the answer with a few guesses above the gas used first (the used gas, geth's
    optimistic 64/63 margin, +25%, x2): most calls need 2 executions, nested creations ~6.

    Args:
        run: executes the call with a gas limit, discarding its state.
        cap: the highest limit allowed.

    Raises:
        RpcError: the call fails even with ``cap``.
    """
    outcome = run(cap)
    if not outcome.ok:
        if outcome.halt is not None:
            raise RpcError(SERVER_ERROR, f"gas required exceeds allowance ({cap})")
        raise outcome.failure()

    def succeeds(gas: int) -> bool:
        try:
            return run(gas).ok
        except RpcError:  # e.g. a limit below the intrinsic gas
            return False

    used = outcome.gas_used
    low, high = used - 1, cap
    for guess in (used, (used + 2300) * 64 // 63, used * 5 // 4, used * 2):
        if guess >= cap:
            break
        if succeeds(guess):
            high = guess
            break
        low = guess
    if high == used:
        return used
    while high - low > 1 and (high - low) * 1000 > high * 15:
        middle = (low + high) // 2
        if succeeds(middle):
            high = middle
        else:
            low = middle
    return high
