"""The :class:`~ogpu_sim.testing.LifecycleMachine`'s rules, one mixin per part of the protocol.

Each mixin derives from :class:`~ogpu_sim.testing.MachineCore` and acts through
:meth:`~ogpu_sim.testing.MachineCore.act`; a rule that several SDK functions can perform draws
which one (its ``via``), so every state-changing entry point of the SDK is exercised.
:data:`SDK_ENTRY_POINTS` lists them all.
"""

from __future__ import annotations

from .admin import ADMIN_ENTRY_POINTS, AdminRules
from .clock import ClockRules
from .sources import SOURCE_ENTRY_POINTS, SourceRules
from .tasks import TASK_ENTRY_POINTS, TaskRules
from .terminal import TERMINAL_ENTRY_POINTS, TerminalRules
from .vault import VAULT_ENTRY_POINTS, VaultRules

#: Every state-changing SDK function the rules call, as ``module.function`` or ``Class.method``.
SDK_ENTRY_POINTS: tuple[str, ...] = tuple(
    sorted({*VAULT_ENTRY_POINTS, *TERMINAL_ENTRY_POINTS, *SOURCE_ENTRY_POINTS, *TASK_ENTRY_POINTS})
)

#: Contract functions outside the SDK the rules call (the provider runtime's, the judge's, the
#: admin's and the Nexus owner's), as ``Contract.function``.
CONTRACT_ENTRY_POINTS: tuple[str, ...] = (
    "Nexus.submitResponse",
    "Terminal.setBaseData",
    "Terminal.setLiveData",
    *ADMIN_ENTRY_POINTS,
)

__all__ = [
    "CONTRACT_ENTRY_POINTS",
    "SDK_ENTRY_POINTS",
    "AdminRules",
    "ClockRules",
    "SourceRules",
    "TaskRules",
    "TerminalRules",
    "VaultRules",
]
