"""Running one call on a pyrevm ``EVM`` and reading back what happened, for :mod:`.revm_node`.

pyrevm reports a reverted or halted execution only as exception text, and a call the EVM
refused to run (fees the sender cannot pay, gas below the intrinsic cost) as other text:
:func:`execute` turns both into an :class:`Outcome` or a geth-worded :class:`RpcError`.
:func:`estimate_gas` is geth's gas estimate over such executions (:mod:`.gas_search`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eth_hash.auto import keccak

from .gas_search import Measured, estimate
from .jsonrpc import SERVER_ERROR, RpcError, checksum, revert_error

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
    refunded: int = 0

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
    evm: Any,
    sender: str,
    to: str | None,
    data: bytes,
    value: int,
    gas: int,
    gas_price: int,
    creation_output: bool = False,
) -> Outcome:
    """Run a call (``to``) or a creation (``to`` None) in the EVM's current block.

    Args:
        creation_output: a creation's output is the code it deployed (what ``eth_call``
            without ``to`` answers); read only when asked, as it costs hashing.

    Raises:
        RpcError: the EVM refused to run it (see :func:`rejected`).
    """
    try:
        if to is None:
            address = evm.deploy(sender, data, value=value, gas=gas)
            result = evm.result
            return Outcome(
                True,
                result.gas_used,
                deployed_code(evm, address) if creation_output else b"",
                result.logs,
                address=address,
                refunded=result.gas_refunded,
            )
        output = evm.message_call(sender, to, data, value=value, gas=gas, gas_price=gas_price)
        result = evm.result
        return Outcome(
            True, result.gas_used, bytes(output), result.logs, refunded=result.gas_refunded
        )
    except RuntimeError as exc:
        match = _OUTCOME_TEXT.match(str(exc))
        if match is None:
            raise rejected(str(exc)) from exc
        if match["reason"] is not None:
            return Outcome(False, int(match["hgas"]), halt=match["reason"])
        return Outcome(False, int(match["rgas"]), bytes.fromhex(match["out"]))


def deployed_code(evm: Any, address: str) -> bytes:
    """The code at ``address`` exactly as deployed.

    pyrevm hands out analysed code, padded with zero bytes; the account's code hash is of the
    code as deployed, so the padding is the longest run of trailing zeros whose removal gives
    that hash.
    """
    info = evm.basic(address)
    code, wanted = bytes(info.code or b""), bytes(info.code_hash)
    stripped = code.rstrip(b"\x00")
    for end in range(len(stripped), len(code) + 1):
        if keccak(code[:end]) == wanted:
            return code[:end]
    return code


def estimate_gas(run: Callable[[int], Outcome], cap: int, transfer: bool = False) -> int:
    """geth's optimistic limit: the run at ``cap`` measures, a run at the limit confirms.

    Args:
        run: executes the call with a gas limit, discarding its state.
        cap: the highest limit allowed.
        transfer: the call is a plain value transfer (answered 21000 when that is enough).

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

    measured = Measured(outcome.gas_used, outcome.refunded)
    return estimate(measured, cap, succeeds, exact=False, transfer=transfer)
