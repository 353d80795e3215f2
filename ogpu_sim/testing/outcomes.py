"""Turning what the chain did into comparable outcomes, and counting them per rule.

A chain action ends in success or in a revert whose reason must equal the model's prediction.
Through the SDK a revert arrives as a typed ``ogpu`` error (``TaskExpiredError`` ...) or, for a
reason the SDK does not map, as ``TxRevertError`` carrying a garbled text that contains the
reason; raw web3 calls raise ``ContractLogicError("execution reverted: <reason>")``; the
OpenZeppelin parts (Ownable, AccessControl) revert with custom errors, which arrive as their
ABI-encoded data. :func:`revert_reason` recovers the exact reason string (or the custom error's
name) from all of them.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from eth_utils import function_signature_to_4byte_selector
from ogpu.types import errors as sdk_errors

from ..errors import (
    HarnessError,  # noqa: F401
)

#: OpenZeppelin custom errors the contracts can revert with, by their 4-byte selector.
CUSTOM_ERRORS: dict[str, str] = {
    function_signature_to_4byte_selector(signature).hex(): signature.split("(")[0]
    for signature in (
        "OwnableUnauthorizedAccount(address)",
        "OwnableInvalidOwner(address)",
        "AccessControlUnauthorizedAccount(address,bytes32)",
        "AccessControlBadConfirmation()",
    )
}

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
    "NotResponded",
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
#: custom-error data as the whole reason (SDK) or as the error's message (web3)
_CUSTOM = re.compile(r"^\W*0x([0-9a-fA-F]{8})")


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
    custom = _CUSTOM.search(text)
    if custom and custom.group(1).lower() in CUSTOM_ERRORS:
        return CUSTOM_ERRORS[custom.group(1).lower()]
    matches = [reason for reason in UNMAPPED_REASONS if reason in text]
    if matches:
        return max(matches, key=len)
    found = _REVERTED.search(text)
    return found.group(1) if found else text


@dataclass
class RuleStatistics:
    """Per-rule counts of calls, successes and reverts by reason, and per entry point.

    A rule may reach the chain through several SDK functions (``vault.lock``,
    ``Provider.stake``, ``Master.stake``) or contract functions (``Vault.waive``);
    ``record(..., via=...)`` counts those too, so a run shows that every entry point was
    exercised.

    Hypothesis replays the beginning of earlier examples when it mutates them, so one
    experiment (the same call on the same state) is often run several times. A call recorded
    with a ``fingerprint`` of the path that led to it counts once more in ``distinct`` only
    the first time: the distinct counts are the independent experiments.
    """

    calls: Counter[str] = field(default_factory=Counter)
    successes: Counter[str] = field(default_factory=Counter)
    reverts: defaultdict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    distinct: Counter[str] = field(default_factory=Counter)
    distinct_successes: Counter[str] = field(default_factory=Counter)
    via_calls: Counter[str] = field(default_factory=Counter)
    via_successes: Counter[str] = field(default_factory=Counter)
    seen: set[int] = field(default_factory=set, repr=False)

    def record(
        self,
        rule: str,
        reason: str | None,
        via: str | None = None,
        fingerprint: int | None = None,
    ) -> None:
        """Count one call of ``rule`` (through entry point ``via``) that succeeded
        (``reason is None``) or reverted with ``reason``; ``fingerprint`` identifies the
        experiment (the call and everything before it in its example)."""
        self.calls[rule] += 1
        if reason is None:
            self.successes[rule] += 1
        else:
            self.reverts[rule][reason] += 1
        if via is not None:
            self.via_calls[via] += 1
            if reason is None:
                self.via_successes[via] += 1
        if fingerprint is None or fingerprint not in self.seen:
            if fingerprint is not None:
                self.seen.add(fingerprint)
            self.distinct[rule] += 1
            if reason is None:
                self.distinct_successes[rule] += 1

    def merge(self, other: RuleStatistics) -> None:
        """Add ``other``'s counts to these."""
        for mine, theirs in (
            (self.calls, other.calls),
            (self.successes, other.successes),
            (self.distinct, other.distinct),
            (self.distinct_successes, other.distinct_successes),
            (self.via_calls, other.via_calls),
            (self.via_successes, other.via_successes),
        ):
            mine.update(theirs)
        for rule, counter in other.reverts.items():
            self.reverts[rule].update(counter)
        self.seen |= other.seen

    def clear(self) -> None:
        """Forget every count."""
        for counter in (
            self.calls,
            self.successes,
            self.distinct,
            self.distinct_successes,
            self.via_calls,
            self.via_successes,
        ):
            counter.clear()
        self.reverts.clear()
        self.seen.clear()

    def success_rate(self, rule: str, distinct: bool = False) -> float:
        """Successful calls of ``rule`` over its calls (0.0 if it was never called);
        ``distinct``: over its distinct experiments."""
        calls = (self.distinct if distinct else self.calls)[rule]
        ok = (self.distinct_successes if distinct else self.successes)[rule]
        return ok / calls if calls else 0.0

    def below(self, rules: list[str], rate: float, distinct: bool = False) -> list[str]:
        """The ``rules`` never called or succeeding in less than ``rate`` of their calls."""
        return [rule for rule in rules if self.success_rate(rule, distinct) < rate]

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
        """A plain-text table of :meth:`rows` with the distinct experiments, then the entry
        points (what the pytest summary prints)."""
        rows = self.rows()
        if not rows:
            return f"{title}: no rule was called"
        width = max(len(r[0]) for r in rows)
        head = f"{'rule'.ljust(width)}  calls     ok    ok%  distinct    ok%  reverts by reason"
        lines = [title, head]
        for rule, calls, ok, reverts in rows:
            distinct = self.distinct[rule]
            lines.append(
                f"{rule.ljust(width)}  {calls:5d}  {ok:5d}  {100 * ok / calls:4.0f}%  "
                f"{distinct:8d}  {100 * self.success_rate(rule, True):4.0f}%  {reverts}"
            )
        if self.via_calls:
            width = max(len(v) for v in self.via_calls)
            lines += ["", f"{'entry point'.ljust(width)}  calls     ok"]
            for via, calls in sorted(self.via_calls.items()):
                lines.append(f"{via.ljust(width)}  {calls:5d}  {self.via_successes[via]:5d}")
        return "\n".join(lines)
