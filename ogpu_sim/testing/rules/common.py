"""What every rule module shares: amounts, boundary strategies, timing choices, raw sends."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from .. import strategies as ost
from ..machine import memoized
from ..sending import send as lean_send

OGPU = ost.OGPU
#: Amounts a rule moves: round values, edges and anything up to 2 OGPU.
SMALL = ost.amounts(2 * OGPU)
#: When a provider acts relative to the task's expiry: now, in its last valid second, or in the
#: first second past it.
EXPIRY_TIMING = st.sampled_from(["now", "at expiry", "now", "at expiry", "one second late"])
#: When an unbonding is claimed: as soon as it matures (now, if it has), or a second too early.
MATURITY_TIMING = st.sampled_from(["at maturity", "at maturity", "at maturity", "one second early"])


def _near(limit: int) -> st.SearchStrategy[int]:
    return st.one_of(st.just(limit), st.just(limit + 1), st.integers(0, max(limit, 0)))


def near(limit: int) -> st.SearchStrategy[int]:
    """An amount at, just past, or below ``limit`` (where guards flip); built once per limit."""
    return memoized(_near, limit)


def send(contract: Any, function: str, args: tuple[Any, ...], signer: Any, value: int = 0) -> None:
    """A contract call the SDK does not wrap, sent as the SDK's own ``TxExecutor`` sends it
    (:func:`ogpu_sim.testing.sending.send`: the same transaction, the lean way).

    Sending as ``TxExecutor`` keeps the SDK's nonce cache right for accounts that also sign
    SDK calls, and reverts arrive as the same typed errors.
    """
    lean_send(contract, function, args, signer, value)
