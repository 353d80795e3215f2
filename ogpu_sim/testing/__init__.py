"""Property-based testing of OpenGPU code against ogpu-sim (hypothesis).

- :mod:`ogpu_sim.testing.strategies`: strategies for SDK inputs (source/task infos, environments,
  delivery methods, amounts, provider behaviours).
- :class:`LifecycleMachine`: a ``RuleBasedStateMachine`` that drives random protocol actions
  through the SDK against a :class:`~ogpu_sim.Simulator` and checks every step against the
  reference model in :mod:`ogpu_sim.testing.model`. Subclass it to add rules for your own
  client code.

Importing this package registers two hypothesis settings profiles:

- ``ogpu-ci``: bounded, deterministic, no example database — for test suites.
- ``ogpu-fuzz``: many long runs with the example database — for ``make fuzz``.
"""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, settings

from . import strategies
from .lifecycle import LifecycleMachine
from .machine import Actor, MachineCore, ModelMismatch
from .outcomes import HarnessError, RuleStatistics, revert_reason

CI_PROFILE = "ogpu-ci"
FUZZ_PROFILE = "ogpu-fuzz"

settings.register_profile(
    CI_PROFILE,
    max_examples=20,
    stateful_step_count=30,
    derandomize=True,
    database=None,
    # the explain phase traces every line the SDK and web3 run: minutes per failure
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    deadline=None,
    print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    FUZZ_PROFILE,
    max_examples=1000,
    stateful_step_count=60,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

__all__ = [
    "CI_PROFILE",
    "FUZZ_PROFILE",
    "Actor",
    "HarnessError",
    "LifecycleMachine",
    "MachineCore",
    "ModelMismatch",
    "RuleStatistics",
    "revert_reason",
    "strategies",
]
