"""Gas estimation for the in-process eth-tester node: geth's answer over py-evm executions.

py-evm's own estimator bisects the whole range from intrinsic gas to the block gas limit (about
a dozen executions per estimate). This one runs the transaction once at the cap, traced
(:mod:`.tester_trace`), and answers geth's search (:mod:`.gas_search`) from that run when the
trace proves every probe's outcome, so the common estimate is ONE execution:

- the trace gives the threshold ``T``: with any gas from ``T`` the execution is the very same
  (same path, writes, logs, output, refunds and root consumption), since nothing it did depends
  on the gas it had (no child failed, ``GAS`` read only to forward it, every call and ``new``
  started its frame, each SSTORE's 2300-gas sentry and each child's 63/64 share met);
- a probe below ``T`` fails when only the root frame's own constraints are unmet (its
  consumption, its SSTORE sentries: it runs out of gas and the transaction fails); when a
  child's share is unmet (the child may fail and its caller carry on another way) the outcome
  is unknown. :func:`_one_run` explores both outcomes of each such probe (arithmetic only):
  when every branch gives the same answer, that is the answer the executions would give;
- validity (nonce, funds for the probe's gas) is checked per probe as py-evm checks it.

Otherwise (the trace cannot tell, the branches disagree, a priced call whose code may read its
fee) the search executes the probes it cannot decide, and runs once more at the answer, as
before. The traced run is shown to ``keep`` with its threshold: a send of the same transaction
with a gas limit in ``[T, cap]`` is that very execution (:mod:`.tester_reuse`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from eth.vm.spoof import SpoofTransaction
from eth_utils import ValidationError

from .gas_search import Measured, estimate
from .tester_reuse import frames_blind, journals_clean
from .tester_trace import child_need, threshold, traced_run

REFUND_QUOTIENT = 5
"""EIP-3529: a transaction is refunded at most a fifth of the gas it used."""
MAX_DOUBTS = 6
"""Unknown probes whose outcomes :func:`_one_run` explores (2**6 searches at most)."""


Keep = Callable[[Any, Any, int], None]
"""Called with a run's transaction, its successful computation and the least gas limit with
which that execution is proven the same (the run's own gas for a probe), before the revert."""


def _run(
    state: Any,
    tx: Any,
    gas: int,
    keep: Keep | None = None,
    *,
    traced: bool = False,
    **overrides: Any,
) -> Any:
    snapshot = state.snapshot()
    run = SpoofTransaction(tx, gas=gas, **overrides)
    clean = keep is not None and journals_clean(state)
    try:
        computation = state.apply_transaction(run)
        if clean and keep is not None and not computation.is_error:
            least = _least(computation, gas) if traced else gas
            if least is not None:
                keep(run, computation, least)
        return computation
    finally:
        state.revert(snapshot)


def _least(computation: Any, gas: int) -> int | None:
    """The least gas limit of a traced run's execution (its intrinsic gas plus its root's)."""
    root = threshold(computation)
    return None if root is None else gas - computation.msg.gas + root


def _one_run(measured: Measured, cap: int, decided: Callable[[int], bool | None]) -> int | None:
    """geth's answer when it is the same whatever the undecided probes give (None: it is not).

    Args:
        measured: the run at the cap.
        cap: the highest limit.
        decided: a probe's proven outcome, or None when unknown.
    """

    def search(assumed: tuple[bool, ...]) -> set[int]:
        doubts = iter(assumed)
        short = False  # a probe needed an assumption beyond ``assumed``

        def probe(gas: int) -> bool:
            nonlocal short
            known = decided(gas)
            if known is not None:
                return known
            assumption = next(doubts, None)
            if assumption is None:
                short = True
                return False  # any answer: this search's result is discarded
            return assumption

        answer = estimate(measured, cap, probe)
        if not short:
            return {answer}
        if len(assumed) >= MAX_DOUBTS:
            return {-1, -2}  # too many: not proven
        return search((*assumed, False)) | search((*assumed, True))

    answers = search(())
    return answers.pop() if len(answers) == 1 else None


def estimate_gas(state: Any, tx: Any, keep: Keep | None = None) -> int:
    """The gas ``tx`` needs in ``state``, as geth estimates it.

    Args:
        state: a py-evm state to execute in (every run is reverted).
        tx: a (spoofed) transaction whose ``gas`` is the cap.
        keep: shown the traced run at the cap (when its threshold is known) and every
            successful probe, each on a state whose journals were clean before it, before it
            is reverted (:mod:`.tester_reuse`).

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
    first, root = traced_run(state, lambda: _run(state, tx, cap, keep, traced=True, gas_price=0))
    if first.is_error:
        raise first.error
    consumed = cap - first.get_gas_remaining()
    refunded = min(first.get_gas_refund(), consumed // REFUND_QUOTIENT)
    measured = Measured(consumed - refunded, refunded)
    executor = state.get_transaction_executor()

    @cache  # the search's branches ask again
    def valid(gas: int) -> bool:
        try:
            executor.validate_transaction(SpoofTransaction(tx, gas=gas))
        except ValidationError:  # below the intrinsic gas, or funds short for this much
            return False
        return True

    def succeeds(gas: int) -> bool:
        try:
            return not _run(state, tx, gas, keep=keep).is_error
        except ValidationError:
            return False

    if root is not None:
        least = cap - first.msg.gas + root  # plus the intrinsic gas
        if _same_run(state, tx, cap, first):  # else the probes are not that run: execute
            children = cap - first.msg.gas + child_need(first)

            def decided(gas: int) -> bool | None:
                if not valid(gas):
                    return False
                if gas >= least:
                    return True
                return False if gas >= children else None

            answer = _one_run(measured, cap, decided)
            if answer is not None:
                return answer

            def probe(gas: int) -> bool:
                known = decided(gas)
                return succeeds(gas) if known is None else known

            return estimate(measured, cap, probe)  # executes only the unknown probes
    return estimate(measured, cap, succeeds)


def _same_run(state: Any, tx: Any, cap: int, first: Any) -> bool:
    """Whether the probes (at the call's gas price) execute as the costless run at the cap:
    no fee, or no executed code that can read it and a sender without code."""
    if not state.get_gas_price(SpoofTransaction(tx, gas=cap)):
        return True
    return frames_blind(first) and not state.get_code(tx.sender)
