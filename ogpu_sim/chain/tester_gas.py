"""Gas estimation for the in-process node: geth's algorithm over full py-evm executions.

py-evm's own estimator bisects the whole range from intrinsic gas to the block gas limit (about
a dozen executions per estimate). Like geth, this one executes once with the cap, takes the gas
that run consumed (before refunds) as a floor no smaller gas can pass, tries that amount and then
an optimistic ``(consumed + stipend) * 64 / 63`` (enough for nested calls and ``new`` under
the 63/64 rule), and bisects only what is left, to within geth's 1.5%. Every probe is a real
execution, so an estimate that passes here cannot fail on chain in the same state.
"""

from __future__ import annotations

from typing import Any

from eth.vm.spoof import SpoofTransaction

CALL_STIPEND = 2300
ERROR_RATIO = 0.015
"""Stop bisecting when the remaining range is this fraction of the answer (geth's value)."""


def _run(state: Any, tx: Any, gas: int, **overrides: Any) -> Any:
    snapshot = state.snapshot()
    try:
        return state.apply_transaction(SpoofTransaction(tx, gas=gas, **overrides))
    finally:
        state.revert(snapshot)


def estimate_gas(state: Any, tx: Any) -> int:
    """The gas ``tx`` needs in ``state``.

    Args:
        state: a py-evm state to execute in (every run is reverted).
        tx: a (spoofed) transaction whose ``gas`` is the cap.

    Returns:
        A gas limit with which the transaction succeeds.

    Raises:
        eth.exceptions.VMError: the transaction fails even with the cap (e.g. ``Revert``).
        eth_utils.ValidationError: the transaction is invalid (nonce, funds, ...).
    """
    cap = int(tx.gas)
    if not tx.data and tx.to and not state.get_code(tx.to):
        # A plain transfer (geth's shortcut): validity is all there is to check.
        minimum = SpoofTransaction(tx, gas=tx.intrinsic_gas)
        state.validate_transaction(minimum)
        return int(tx.intrinsic_gas)
    first = _run(state, tx, cap, gas_price=0)
    if first.is_error:
        raise first.error
    consumed = cap - first.get_gas_remaining()

    def succeeds(gas: int) -> bool:
        return not _run(state, tx, gas).is_error

    if succeeds(consumed):
        return consumed
    low, high = consumed, cap
    optimistic = min((consumed + CALL_STIPEND) * 64 // 63, cap)
    if succeeds(optimistic):
        high = optimistic
    else:
        low = optimistic
    while high - low > 1 and (high - low) / high > ERROR_RATIO:
        middle = (low + high) // 2
        if succeeds(middle):
            high = middle
        else:
            low = middle
    return high
