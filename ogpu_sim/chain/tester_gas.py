"""Gas estimation for the in-process eth-tester node: geth's answer over py-evm executions.

py-evm's own estimator bisects the whole range from intrinsic gas to the block gas limit (about
a dozen executions per estimate). This one runs the transaction once at the cap to measure it,
traced (:mod:`.tester_trace`: the least gas with which the same execution succeeds, the 63/64
rule of nested calls and ``new`` included), answers every probe of geth's search from that
threshold (:mod:`.gas_search`), and runs once more at the answer to confirm it. When the trace
cannot tell (a child call failed, code read ``gasleft()``) or the confirming run fails, the
search executes the probes it cannot decide, as before. Every answer is confirmed by a real
execution, so an estimate cannot fail on chain in the same state; the node keeps the
confirming run for a send of the same transaction (:mod:`.tester_reuse`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eth.vm.spoof import SpoofTransaction
from eth_utils import ValidationError

from .gas_search import Measured, estimate
from .tester_reuse import journals_clean
from .tester_trace import traced_run

REFUND_QUOTIENT = 5
"""EIP-3529: a transaction is refunded at most a fifth of the gas it used."""


Keep = Callable[[Any, Any], None]
"""Called with a probe's transaction and its successful computation, before the revert."""


def _run(state: Any, tx: Any, gas: int, keep: Keep | None = None, **overrides: Any) -> Any:
    snapshot = state.snapshot()
    run = SpoofTransaction(tx, gas=gas, **overrides)
    clean = keep is not None and journals_clean(state)
    try:
        computation = state.apply_transaction(run)
        if clean and keep is not None and not computation.is_error:
            keep(run, computation)
        return computation
    finally:
        state.revert(snapshot)


def estimate_gas(state: Any, tx: Any, keep: Keep | None = None) -> int:
    """The gas ``tx`` needs in ``state``, as geth estimates it.

    Args:
        state: a py-evm state to execute in (every run is reverted).
        tx: a (spoofed) transaction whose ``gas`` is the cap.
        keep: shown every successful probe (not the traced run at the cap) on a state whose
            journals were clean before it, before it is reverted (:mod:`.tester_reuse`).

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
    first, root = traced_run(state, lambda: _run(state, tx, cap, gas_price=0))
    if first.is_error:
        raise first.error
    consumed = cap - first.get_gas_remaining()
    refunded = min(first.get_gas_refund(), consumed // REFUND_QUOTIENT)
    measured = Measured(consumed - refunded, refunded)

    def succeeds(gas: int) -> bool:
        try:
            return not _run(state, tx, gas, keep=keep).is_error
        except ValidationError:  # below the intrinsic (or calldata floor) gas
            return False

    if root is not None:
        threshold = cap - first.msg.gas + root  # plus the intrinsic gas
        answer = estimate(measured, cap, lambda gas: gas >= threshold)
        if succeeds(answer):
            return answer
    return estimate(measured, cap, succeeds)
