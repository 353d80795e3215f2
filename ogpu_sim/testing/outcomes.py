"""Turning what the chain did into comparable outcomes, and counting them per rule.

A chain action ends in success or in a revert whose reason must equal the model's prediction.
Through the SDK a revert arrives as a typed ``ogpu`` error (``TaskExpiredError`` ...) or, for a
reason the SDK does not map, as ``TxRevertError`` carrying a garbled text that contains the
reason; raw web3 calls raise ``ContractLogicError("execution reverted: <reason>")``.
:func:`revert_reason` recovers the exact reason string from all of them.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from ogpu.types import errors as sdk_errors

from ..errors import (
    HarnessError,  # noqa: F401
)

#: SDK typed error -> the revert string it is decoded from (docs/protocol.md, revert reasons).
SDK_ERROR_REASONS: dict[type[Exception], str] = {
    sdk_errors.NotSourceOwnerError: "NotOwner",
    sdk_errors.NotTaskOwnerError: "NotOwner",
    sdk_errors.NotMasterError: "NotMaster",
    sdk_errors.NotProviderError: "NotProvider",
    sdk_errors.TaskExpiredError: "Expired",
    sdk_errors.ResponseAlreadyConfirmedError: "AlreadyConfirmed",
    sdk_errors.TaskAlreadyFinalizedError: "AlreadyFinalized",
    sdk_errors.InsufficientBalanceError: "InsufficientBalance",
    sdk_errors.InsufficientLockupError: "InsufficientLockup",
    sdk_errors.UnbondingPeriodNotElapsedError: "UnbondingNotElapsed",
    sdk_errors.NotEligibleError: "NotEligible",
    sdk_errors.SourceInactiveError: "SourceInactive",
}

#: Reasons the SDK does not map; they arrive inside ``TxRevertError.reason``.
UNMAPPED_REASONS = (
    "UnknownSource",
    "UnknownTask",
    "UnknownResponse",
    "InvalidEnvironment",
    "InvalidAddress",
    "InvalidAmount",
    "InvalidPayment",
    "AlreadyPaired",
    "AlreadyAttempted",
    "AlreadySubmitted",
    "AlreadyFrozen",
    "NotAttempted",
    "NotRegistered",
    "NotController",
    "NotNexus",
    "NotAdmin",
    "NotJudge",
    "ProviderCannotSetAgent",
    "ExpiryTooLong",
    "PaymentTooLow",
    "ZeroAmount",
    "NothingToClaim",
    "NothingUnbonding",
    "InsufficientEscrow",
    "InsufficientSanction",
    "TransferFailed",
)

_REVERTED = re.compile(r"reverted:?\s*([A-Za-z][A-Za-z0-9_]*)")


def revert_reason(error: BaseException) -> str | None:
    """The contract's revert string behind ``error``, or None if ``error`` is not a revert.

    Args:
        error: what an SDK call or a raw web3 transaction raised.
    """
    for kind, reason in SDK_ERROR_REASONS.items():
        if isinstance(error, kind):
            return reason
    if isinstance(error, sdk_errors.TxRevertError):
        text = str(getattr(error, "reason", "") or error)
    elif type(error).__name__ in ("ContractLogicError", "ContractCustomError", "TransactionFailed"):
        text = str(error)
    else:
        return None
    matches = [reason for reason in UNMAPPED_REASONS if reason in text]
    if matches:
        return max(matches, key=len)
    found = _REVERTED.search(text)
    return found.group(1) if found else text


@dataclass
class RuleStatistics:
    """Per-rule counts of calls, successes and reverts by reason."""

    calls: Counter[str] = field(default_factory=Counter)
    successes: Counter[str] = field(default_factory=Counter)
    reverts: defaultdict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))

    def record(self, rule: str, reason: str | None) -> None:
        """Count one call of ``rule`` that succeeded (``reason is None``) or reverted."""
        self.calls[rule] += 1
        if reason is None:
            self.successes[rule] += 1
        else:
            self.reverts[rule][reason] += 1

    def merge(self, other: RuleStatistics) -> None:
        """Add ``other``'s counts to these."""
        self.calls.update(other.calls)
        self.successes.update(other.successes)
        for rule, counter in other.reverts.items():
            self.reverts[rule].update(counter)

    def clear(self) -> None:
        """Forget every count."""
        self.calls.clear()
        self.successes.clear()
        self.reverts.clear()

    def rows(self) -> list[tuple[str, int, int, str]]:
        """(rule, calls, successes, "reason xN, ...") per rule, most called first."""
        return [
            (
                rule,
                calls,
                self.successes[rule],
                ", ".join(f"{r} x{n}" for r, n in self.reverts[rule].most_common()),
            )
            for rule, calls in self.calls.most_common()
        ]

    def render(self, title: str = "LifecycleMachine rule statistics") -> str:
        """A plain-text table of :meth:`rows` (what the pytest summary prints)."""
        rows = self.rows()
        if not rows:
            return f"{title}: no rule was called"
        width = max(len(r[0]) for r in rows)
        lines = [title, f"{'rule'.ljust(width)}  calls     ok  reverts by reason"]
        for rule, calls, ok, reverts in rows:
            lines.append(f"{rule.ljust(width)}  {calls:5d}  {ok:5d}  {reverts}")
        return "\n".join(lines)
