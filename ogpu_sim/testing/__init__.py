"""Property-based testing of OpenGPU code against ogpu-sim (hypothesis).

- :mod:`ogpu_sim.testing.strategies`: strategies for SDK inputs (source/task infos, environments,
  delivery methods, amounts, provider behaviours).
- :class:`LifecycleMachine`: a ``RuleBasedStateMachine`` that drives random protocol actions
  through the SDK against a :class:`~ogpu_sim.Simulator` and checks every step against the
  reference model in :mod:`ogpu_sim.testing.model`. Subclass it to add rules for your own
  client code.

Importing this package registers three hypothesis settings profiles:

- ``ogpu-ci``: bounded, deterministic, no example database — for test suites (on revm every
  rule is called and succeeds in at least a fifth of its calls; every mutant in the project's
  suite is caught).
- ``ogpu-smoke``: a few short examples — for a slow backend such as the eth-tester default.
- ``ogpu-fuzz``: many long runs with the example database — for ``make fuzz``.
"""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, settings

from . import strategies
from .cast import Actor
from .lifecycle import LifecycleMachine
from .machine import MachineCore, ModelMismatch
from .outcomes import HarnessError, RuleStatistics, revert_reason
from .rules import SDK_ENTRY_POINTS

CI_PROFILE = "ogpu-ci"
FUZZ_PROFILE = "ogpu-fuzz"
SMOKE_PROFILE = "ogpu-smoke"

# the explain phase traces every line the SDK and web3 run: minutes per failure
_PHASES = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink]
_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]


def _register_bounded(name: str, examples: int, steps: int) -> None:
    """A deterministic profile without an example database, for test suites."""
    settings.register_profile(
        name,
        max_examples=examples,
        stateful_step_count=steps,
        derandomize=True,
        database=None,
        phases=_PHASES,
        deadline=None,
        print_blob=False,
        suppress_health_check=_QUIET,
    )


_register_bounded(CI_PROFILE, examples=200, steps=15)
_register_bounded(SMOKE_PROFILE, examples=3, steps=6)
settings.register_profile(
    FUZZ_PROFILE,
    max_examples=1000,
    stateful_step_count=60,
    deadline=None,
    print_blob=True,
    suppress_health_check=_QUIET,
)

__all__ = [
    "CI_PROFILE",
    "FUZZ_PROFILE",
    "SDK_ENTRY_POINTS",
    "SMOKE_PROFILE",
    "Actor",
    "HarnessError",
    "LifecycleMachine",
    "MachineCore",
    "ModelMismatch",
    "RuleStatistics",
    "revert_reason",
    "strategies",
]
