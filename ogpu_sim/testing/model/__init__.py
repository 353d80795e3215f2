"""A pure-Python reference model of the OpenGPU protocol (docs/protocol.md).

The model is the oracle the hypothesis :class:`~ogpu_sim.testing.LifecycleMachine` compares the
chain against. It holds sources, tasks, responses, the Terminal's pairing and agent tables and the
Vault ledger, and exposes one method per protocol write. Each method either applies all of its
effects or raises :class:`ModelRevert` with the exact revert string the contract uses, checking
conditions in the contract's order (so the same typed SDK error results). Every check runs before
any effect, so a revert leaves the model untouched.

The model knows nothing about web3: addresses are plain strings (the caller decides their
spelling, normally checksum addresses), block time is an explicit ``now`` argument, and the
addresses of contracts the chain creates (sources, tasks, responses) are passed in by the caller
once the chain has made them (a synthetic ``model:<kind>:<n>`` address is used otherwise).

One module per contract family: :mod:`.terminal`, :mod:`.sources`, :mod:`.tasks`, :mod:`.vault`;
the tables they share are in :mod:`.state`, the records in :mod:`.records`.
"""

from __future__ import annotations

from ...errors import ModelRevert
from .records import (
    ALL_ENVIRONMENTS,
    DEFAULT_AGENT,
    ROLES,
    SINGLE_ENVIRONMENTS,
    TERMINAL_TASK_STATUSES,
    ZERO_ADDRESS,
    AttemptOutcome,
    DeliveryMethod,
    Ledger,
    Payment,
    ResponseState,
    ResponseStatus,
    SourceParams,
    SourceState,
    SourceStatus,
    TaskState,
    TaskStatus,
)
from .sources import SourceModel
from .tasks import TaskModel
from .terminal import TerminalModel
from .vault import VaultModel


class ProtocolModel(TerminalModel, SourceModel, TaskModel, VaultModel):
    """The whole protocol: every write of every contract, on one set of tables.

    Each write takes the sender first and raises :class:`ModelRevert` (nothing changed) or
    applies all its effects; see :class:`~.state.ModelState` for the tables.

    Args:
        admin: the deployer; holds DEFAULT_ADMIN_ROLE and JUDGE in the Manager.
        unbonding_period: ``Vault.UNBONDING_PERIOD`` in seconds.
        min_lockup_per_source: ``Vault.MIN_LOCKUP_PER_SOURCE`` in wei.
        strict_publish: if True only the source's client (or its agent) may publish tasks
            (``NotOwner`` otherwise); if False anyone may, paying themselves.
    """


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
    "ModelRevert",
    "Payment",
    "ProtocolModel",
    "ResponseState",
    "ResponseStatus",
    "SourceParams",
    "SourceState",
    "SourceStatus",
    "TaskState",
    "TaskStatus",
]
