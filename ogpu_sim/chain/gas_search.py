"""geth's gas estimate from a measuring run and arithmetic: the probes it cannot decide run.

geth (``eth/gasestimator``) runs the call at the cap, then at an optimistic
``(used + refunded + 2300) * 64 / 63``, then bisects, skewed low, until the range is within
1.5%: four to six executions. Each of those probes asks one question, "does the call succeed
with this much gas?", and for a call that does not branch on ``gasleft()`` the answer is a
threshold: it fails below the gas the unconstrained run consumed before refunds (the same code
path runs out of gas) and succeeds from the least gas that is enough. :func:`estimate` runs the
call once more at that consumption; when it succeeds the threshold is known and every probe of
geth's search is answered without executing, so the result is geth's own. When it fails (a
call forwarding 63/64 of its gas to a child that needs it, as a nested ``new`` does) the search
executes the probes it cannot decide, exactly as geth would. The eth-tester node answers the
probes from its traced run instead (:mod:`.tester_gas`), so its common estimate executes once.

With ``exact=False`` (the revm node, whose journal keeps slots warm and dirty across
transactions, so cheap ``SSTORE``s often meet the 2300-gas stipend check and the threshold sits
above the consumption) the confirming run is at geth's optimistic limit instead, and that limit
is the answer when it succeeds: two executions, at most ~1.6% + 2300 gas above geth's refined
answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

CALL_STIPEND = 2300
TRANSFER_GAS = 21_000
ERROR_RATIO = 0.015
"""geth's ``estimateGasErrorRatio``: stop when the range is within this fraction of the answer."""


@dataclass(frozen=True)
class Measured:
    """What the run at the cap consumed.

    Attributes:
        used: gas used after refunds (geth's ``UsedGas``).
        refunded: gas refunded (geth's ``RefundedGas``).
    """

    used: int
    refunded: int

    @property
    def consumed(self) -> int:
        """Gas consumed before refunds: no smaller limit lets the same path finish."""
        return self.used + self.refunded


def estimate(
    measured: Measured,
    cap: int,
    succeeds: Callable[[int], bool],
    *,
    exact: bool = True,
    transfer: bool = False,
) -> int:
    """geth's estimate for a call that succeeded at ``cap`` consuming ``measured``.

    Args:
        measured: the run at the cap.
        cap: the highest limit (the call's gas or the block gas limit).
        succeeds: executes the call with a gas limit (state discarded); True when it succeeds.
        exact: confirm at the consumption and answer geth's refined estimate; False confirms at
            geth's optimistic limit and answers it when it succeeds.
        transfer: the call is a plain value transfer (no data, no code at ``to``): answered
            21000 when that succeeds, geth's shortcut.

    Returns:
        The gas limit geth's ``eth_estimateGas`` answers (or its optimistic limit).
    """
    fails_up_to = measured.consumed - 1  # every limit up to here fails
    ok_from = cap  # every limit from here succeeds

    def probe(gas: int) -> bool:
        nonlocal fails_up_to, ok_from
        if gas <= fails_up_to:
            return False
        if gas >= ok_from:
            return True
        if succeeds(gas):
            ok_from = gas
            return True
        fails_up_to = gas
        return False

    if transfer and probe(TRANSFER_GAS):
        return TRANSFER_GAS
    low, high = measured.used - 1, cap
    optimistic = (measured.consumed + CALL_STIPEND) * 64 // 63
    if not exact and optimistic < high and probe(optimistic):
        return optimistic
    probe(measured.consumed)  # the confirming run: usually decides every probe below
    if optimistic < high:
        if probe(optimistic):
            high = optimistic
        else:
            low = optimistic
    while low + 1 < high:
        if (high - low) / high < ERROR_RATIO:
            break
        middle = (high + low) // 2
        if middle > low * 2:
            middle = low * 2
        if probe(middle):
            high = middle
        else:
            low = middle
    return high


__all__ = ["CALL_STIPEND", "ERROR_RATIO", "TRANSFER_GAS", "Measured", "estimate"]
