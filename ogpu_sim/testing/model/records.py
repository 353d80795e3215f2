"""The records the reference model keeps: one dataclass per protocol entity, and the Vault ledger.

Statuses and delivery methods are the SDK's own enums (``ogpu.types``), so a model value compares
with what the SDK decodes from the chain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

from ogpu.types import DeliveryMethod, ResponseStatus, SourceStatus, TaskStatus

from ...errors import ModelRevert

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
#: "The Order": ``Terminal.getIsAgentOf`` counts it as everyone's agent unless disabled.
DEFAULT_AGENT = "0x306Dc3fF30254675B209D916475094401aCC4a1E"
#: The Manager's roles by name (AccessControl ids are ``0x00`` and ``keccak256(name)``).
ROLES = ("DEFAULT_ADMIN_ROLE", "JUDGE", "CONTROLLER")
ALL_ENVIRONMENTS = 7  # CPU=1 | NVIDIA=2 | AMD=4
SINGLE_ENVIRONMENTS = (1, 2, 4)
TERMINAL_TASK_STATUSES = frozenset({TaskStatus.CANCELED, TaskStatus.EXPIRED, TaskStatus.FINALIZED})


class AttemptOutcome(IntEnum):
    """What a successful ``attempt`` did: recorded the attempt, or lazily expired the task."""

    ATTEMPTED = 0
    EXPIRED = 1


@dataclass(frozen=True)
class SourceParams:
    """The ten ``SourceParams`` fields in ABI order.

    ``None`` for the metadata URL or the update time means "what the chain stored": the SDK
    pins the metadata and reads the wall clock, so a caller may not know them; the machine
    learns them from the chain once the source exists.
    """

    client: str
    image_metadata_url: str | None = None
    image_environments: int = 1
    min_payment: int = 0
    min_available_lockup: int = 0
    max_expiry_duration: int = 3600
    privacy_enabled: bool = False
    optional_params_url: str = ""
    delivery_method: DeliveryMethod = DeliveryMethod.MANUAL_CONFIRMATION
    last_update_time: int | None = None

    def chosen(self) -> tuple[object, ...]:
        """The fields a caller chose: all but the metadata URL and the update time.

        The SDK derives those two from the wall clock (it pins metadata and stamps
        ``int(time.time())``), so a replayed example learns other values for the same
        experiment; the model's digest leaves them out.
        """
        return (
            self.client,
            self.image_environments,
            self.min_payment,
            self.min_available_lockup,
            self.max_expiry_duration,
            self.privacy_enabled,
            self.optional_params_url,
            self.delivery_method,
        )


@dataclass
class SourceState:
    """One published source: its params, status, registrants and tasks.

    ``registrants`` maps provider -> preferred environment; ``registrant_list`` is the Source's
    registrant array (swap-and-pop on unregister), so ``registrantId`` is an index + 1 into it.
    ``owner`` is the Ownable owner, the client the source was published for.
    """

    address: str
    params: SourceParams
    status: SourceStatus = SourceStatus.ACTIVE
    registrants: dict[str, int] = field(default_factory=dict)
    registrant_list: list[str] = field(default_factory=list)
    tasks: list[str] = field(default_factory=list)
    owner: str = ""

    @property
    def client(self) -> str:
        """The source's owner (``Source.getClient()``)."""
        return self.params.client


@dataclass
class TaskState:
    """One published task, including who pays for it (the Vault's task -> payer record).

    ``attempters`` and ``attempt_times`` are the Task's parallel arrays; ``escrow`` is what the
    Vault still holds for it; ``forced`` is set once the Nexus owner forced its status.
    """

    address: str
    source: str
    client: str
    config: str | None  # None: the URL the SDK pinned, learned from the chain
    expiry_time: int
    payment: int
    delivery_method: DeliveryMethod
    status: TaskStatus = TaskStatus.NEW
    attempters: list[str] = field(default_factory=list)
    responses: dict[str, str] = field(default_factory=dict)  # provider -> response address
    submitted_data: set[tuple[str, str]] = field(default_factory=set)
    winner: str | None = None
    escrow: int = 0
    attempt_times: list[int] = field(default_factory=list)
    forced: bool = False


@dataclass
class ResponseState:
    """One submitted response."""

    address: str
    task: str
    provider: str
    data: str
    payment: int
    status: ResponseStatus = ResponseStatus.SUBMITTED
    timestamp: int = 0


@dataclass
class Ledger:
    """An account's Vault ledger, one field per public Vault mapping."""

    balance: int = 0
    lockup: int = 0
    unbonding: int = 0
    unbonding_timestamp: int = 0
    frozen: int = 0
    earnings: int = 0
    sanction: int = 0
    whitelisted: bool = False

    def holdings(self) -> int:
        """Native tokens the Vault holds for this account (everything but earnings)."""
        return self.balance + self.lockup + self.unbonding + self.frozen + self.sanction


@dataclass(frozen=True)
class Payment:
    """One ``Vault.processPayment``: ``amount`` paid to ``provider`` for ``task``."""

    task: str
    provider: str
    amount: int


def require(condition: bool, reason: str, operation: str) -> None:
    """Raise :class:`ModelRevert` with the contract's revert string unless ``condition`` holds."""
    if not condition:
        raise ModelRevert(reason, operation)


__all__ = [
    "ALL_ENVIRONMENTS",
    "DEFAULT_AGENT",
    "ROLES",
    "SINGLE_ENVIRONMENTS",
    "TERMINAL_TASK_STATUSES",
    "ZERO_ADDRESS",
    "AttemptOutcome",
    "DeliveryMethod",
    "Ledger",
    "Payment",
    "ResponseState",
    "ResponseStatus",
    "SourceParams",
    "SourceState",
    "SourceStatus",
    "TaskState",
    "TaskStatus",
    "require",
]
