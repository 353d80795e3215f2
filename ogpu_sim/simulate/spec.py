"""The validated form of a scenario: frozen dataclasses and the choices their keys take.

:mod:`ogpu_sim.simulate.scenario` reads TOML into these; the runner plays them. See
docs/scenarios.md for every key, its type, unit and default.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ogpu_sim.simulate.limits import check_overrides, check_scale

"""Simulated provider behaviours the Simulator implements (``Simulator.add_provider``)."""
DELIVERY_METHODS = {
    "first_response": "FIRST_RESPONSE",
    "manual": "MANUAL_CONFIRMATION",
    "manual_confirmation": "MANUAL_CONFIRMATION",
}
"""Accepted spellings of a delivery method, mapped to the SDK's ``DeliveryMethod`` member name."""
DISTRIBUTIONS = ("fixed", "uniform", "exponential")
PAYLOAD_GENERATORS = ("constant", "random_ints", "choice")

SCENARIOS = Path(__file__).resolve().parent / "scenarios"
"""Scenarios shipped in the package (``default.toml``) and their sample sources."""
DEFAULT_SCENARIO = SCENARIOS / "default.toml"
"""The scenario ``ogpu-sim simulate`` runs when given none."""
SAMPLE_SOURCES = SCENARIOS / "sources"
"""The default scenario's sample sources (``multiply``, ``sentiment``), source folders."""


@dataclass(frozen=True)
class Distribution:
    """A random quantity in simulated seconds or OGPU: ``fixed``, ``uniform`` or ``exponential``."""

    kind: str
    value: float = 0.0
    low: float = 0.0
    high: float = 0.0
    mean: float = 0.0

    def sample(self, rng: random.Random) -> float:
        """Draw one value (exponential draws are shifted by ``low``, so ``min`` is a floor)."""
        if self.kind == "fixed":
            return self.value
        if self.kind == "uniform":
            return rng.uniform(self.low, self.high)
        return self.low + rng.expovariate(1.0 / self.mean)

    @property
    def minimum(self) -> float:
        """The smallest value the distribution can produce."""
        return self.value if self.kind == "fixed" else self.low


@dataclass(frozen=True)
class PayloadSpec:
    """How task inputs are generated for a source.

    ``constant`` sends ``data`` every time; ``random_ints`` draws each field of ``fields`` (a
    ``[low, high]`` pair) uniformly; ``choice`` picks one element of ``choices``.
    """

    generator: str = "constant"
    data: Mapping[str, Any] = field(default_factory=dict)
    fields: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    choices: tuple[Mapping[str, Any], ...] = ()

    def generate(self, rng: random.Random) -> dict[str, Any]:
        """Produce one task input ``data`` dict."""
        if self.generator == "random_ints":
            return {name: rng.randint(lo, hi) for name, (lo, hi) in self.fields.items()}
        if self.generator == "choice":
            return dict(self.choices[rng.randrange(len(self.choices))])
        return dict(self.data)


@dataclass(frozen=True)
class ClientSpec:
    """A client account: its Vault deposit (wei), its think time before confirming, and
    whether it reviews responses against the source's output model before confirming one."""

    name: str
    deposit: int
    think_time: Distribution
    review: bool = True


@dataclass(frozen=True)
class SourceSpec:
    """A source the scenario publishes, owned by one client."""

    name: str
    client: str
    environments: tuple[str, ...]
    delivery: str
    """The SDK ``DeliveryMethod`` member name: ``FIRST_RESPONSE`` or ``MANUAL_CONFIRMATION``."""
    min_payment: int
    max_expiry: int
    min_lockup: int
    function: str
    payload: PayloadSpec
    handler: Path | None = None
    share: float = 1.0


@dataclass(frozen=True)
class ProviderGroup:
    """``count`` providers serving one source, split over behaviours by ``behaviours`` weights."""

    source: str
    count: int
    environment: str
    behaviours: Mapping[str, float]
    stake: int

    def assignments(self) -> list[str]:
        """Each provider's behaviour: largest-remainder rounding of the weights, in key order.

        Deterministic, so the same scenario always builds the same providers.
        """
        total = sum(self.behaviours.values())
        quotas = [(name, self.count * weight / total) for name, weight in self.behaviours.items()]
        counts = {name: math.floor(q) for name, q in quotas}
        left = self.count - sum(counts.values())
        by_remainder = sorted(quotas, key=lambda item: item[1] - math.floor(item[1]), reverse=True)
        for name, _ in by_remainder[:left]:
            counts[name] += 1
        return [name for name in self.behaviours for _ in range(counts[name])]


@dataclass(frozen=True)
class WorkloadSpec:
    """The task stream: how many, how often (tasks per simulated second), paid and expiring how."""

    tasks: int
    arrival_rate: float
    payment: Distribution
    """Task payment in OGPU (converted to wei when a task is drawn)."""
    expiry: Distribution
    cancellation_rate: float


@dataclass(frozen=True)
class Scenario:
    """A validated scenario. Build one with :func:`load_scenario` or :func:`parse_scenario`."""

    name: str
    description: str
    seed: int
    time_compression: float
    """Simulated seconds per wall-clock second; 0 runs as fast as the chain allows."""
    clients: tuple[ClientSpec, ...]
    sources: tuple[SourceSpec, ...]
    providers: tuple[ProviderGroup, ...]
    workload: WorkloadSpec
    path: Path | None = None
    chain_fault_rate: float = 0.0
    """Share of ``eth_sendRawTransaction`` calls that fail transiently (a connection reset)."""

    def source(self, name: str) -> SourceSpec:
        """The source called ``name``."""
        return next(s for s in self.sources if s.name == name)

    def client(self, name: str) -> ClientSpec:
        """The client called ``name``."""
        return next(c for c in self.clients if c.name == name)

    def with_overrides(self, *, seed: int | None = None, tasks: int | None = None) -> Scenario:
        """A copy with the seed and/or task count replaced (the CLI's ``--seed``/``--tasks``)."""
        import dataclasses

        check_overrides(seed, tasks, None)  # a flag's mistake, not the file's
        workload = self.workload
        if tasks is not None:
            workload = dataclasses.replace(workload, tasks=tasks)
        changed = dataclasses.replace(
            self, seed=self.seed if seed is None else seed, workload=workload
        )
        check_scale(changed)
        return changed
