"""The workload of a ``simulate`` run, drawn from the scenario's seed before anything runs.

Same scenario and seed, same plan: arrival times, sources, payments, expiries, payloads, which
tasks the client cancels, think times and which response a MANUAL client picks.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ogpu_sim.simulate.spec import Scenario, SourceSpec


@dataclass(frozen=True)
class PlannedTask:
    """One task of the plan, drawn from the seed before anything runs."""

    index: int
    at: float
    source: SourceSpec
    payment: int
    duration: int
    data: dict[str, Any]
    cancel: bool
    think: float
    pick: float
    """Which submitted response a MANUAL client confirms (a fraction of the response list)."""


def pause_before(at: float, compression: float, elapsed: float) -> float:
    """Wall seconds to wait so simulated time ``at`` runs at most ``compression`` times faster
    than the wall clock (``elapsed`` wall seconds so far); 0 when running flat out."""
    if compression <= 0:
        return 0.0
    return max(0.0, at / compression - elapsed)


def plan(scenario: Scenario) -> list[PlannedTask]:
    """Draw the workload from the scenario's seed (same scenario and seed, same plan)."""
    rng = random.Random(scenario.seed)
    work, weights = scenario.workload, [s.share for s in scenario.sources]
    clients = {c.name: c for c in scenario.clients}
    tasks, at = [], 0.0
    for index in range(work.tasks):
        at += rng.expovariate(work.arrival_rate)
        source = rng.choices(scenario.sources, weights)[0]
        ogpu = Decimal(str(round(work.payment.sample(rng), 6)))
        payment = max(int(ogpu * 10**18), source.min_payment)
        duration = min(max(1, round(work.expiry.sample(rng))), source.max_expiry)
        data = source.payload.generate(rng)
        cancel = rng.random() < work.cancellation_rate
        think = clients[source.client].think_time.sample(rng)
        pick = rng.random()
        tasks.append(PlannedTask(index, at, source, payment, duration, data, cancel, think, pick))
    return tasks
