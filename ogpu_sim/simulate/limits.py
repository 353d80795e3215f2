"""The bounds every scenario is held to, so a typo cannot make a run eat the machine.

:mod:`ogpu_sim.simulate.scenario` checks each key against these before anything is planned,
and :meth:`ogpu_sim.simulate.spec.Scenario.with_overrides` holds ``--seed``/``--tasks`` to
them too: a task count that would plan for an hour, a provider count that would take gigabytes,
a ``time_compression`` that would sleep for years, an amount no simulated account holds. Each
error names the key and the bound.
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation, localcontext
from typing import TYPE_CHECKING, Any

from ogpu_sim.accounts import DEFAULT_NATIVE_BALANCE
from ogpu_sim.errors import ScenarioError

if TYPE_CHECKING:
    from pathlib import Path

    from ogpu_sim.simulate.spec import Scenario

MAX_TASKS = 100_000
"""Most tasks one scenario may publish (each is planned up front and costs chain time)."""
MAX_PROVIDERS = 1_000
"""Most simulated providers over all provider groups (each is an account, a stake, a thread)."""
MAX_SIMULATED_SECONDS = 10 * 365 * 86_400
"""Longest simulated span (arrivals plus the longest expiry) and longest single duration."""
MIN_EXPIRY = 1
"""Shortest expiry a task may be drawn with, in simulated seconds (every value and ``min`` of
``workload.expiry``; an exponential one needs a ``min``)."""
MAX_WALL_SECONDS = 24 * 3_600
"""Longest wall-clock time a ``time_compression`` may stretch the simulated span to."""
MIN_TIME_COMPRESSION = 0.001
"""Smallest non-zero ``time_compression`` (0 means: as fast as the chain allows)."""
NATIVE_BALANCE = DEFAULT_NATIVE_BALANCE
"""Wei every simulated account starts with: no amount in a scenario can exceed it."""
GAS_RESERVE = 100 * 10**18
"""Wei of the native balance a deposit or stake must leave for gas."""
MAX_LOCKED = NATIVE_BALANCE - GAS_RESERVE
"""Largest deposit or stake: what a simulated account starts with, less the gas reserve."""
MAX_WEIGHT = 1e9
"""Largest behaviour weight or source share (only ratios matter)."""
MAX_WEI = 2**256 - 1
"""Largest amount a contract can hold in a ``uint256``."""
UNITS = {"ogpu": 10**18, "ether": 10**18, "gwei": 10**9, "wei": 1}
"""Units an amount may carry (``"5 gwei"``); a bare number is OGPU."""


def amount_in_wei(value: Any, limit: int = NATIVE_BALANCE) -> int:
    """An amount in OGPU (``0.05``, ``"0.05 OGPU"``) or with a unit (``"5 gwei"``), in wei.

    Args:
        value: what the scenario file says.
        limit: the most wei allowed: :data:`NATIVE_BALANCE`, or :data:`MAX_LOCKED` for what an
            account locks (a deposit, a stake).

    Raises:
        ValueError: the problem in words (not an amount, unknown unit, not whole wei, over
            ``limit``), checked before any arithmetic on the number.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f'must be an amount like 0.05 or "5 gwei", got {value!r}')
    number, _, unit = str(value).strip().partition(" ")
    unit = unit.strip().lower() or "ogpu"
    if unit not in UNITS:
        raise ValueError(f"unknown unit {unit!r}; use one of {', '.join(UNITS)}")
    try:
        parsed = Decimal(number)
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None
    if not parsed.is_finite():  # inf, nan: TOML literals, and 1e400 parses as inf
        raise ValueError(f"must be a finite number, got {value!r}")
    whole = f"must be a non-negative whole number of wei of at most 2**256 - 1, got {value!r}"
    if abs(parsed.adjusted()) > 100:  # 1e999999999 never multiplies
        raise ValueError(whole)
    with localcontext(prec=200):
        wei = parsed * UNITS[unit]
    if wei < 0:
        raise ValueError(
            f'must be 0 OGPU or more (or an amount with a unit, "5 gwei"), got {value!r}'
        )
    if wei != wei.to_integral_value():
        raise ValueError(
            f"must come to a whole number of wei (1 wei = 1e-18 OGPU, the smallest amount), "
            f"got {value!r}"
        )
    if wei > MAX_WEI:
        raise ValueError(whole)
    if wei > limit:
        held = f"a simulated account starts with {NATIVE_BALANCE / 10**18:g} OGPU"
        if limit < NATIVE_BALANCE:
            held += f" and keeps {(NATIVE_BALANCE - limit) / 10**18:g} for gas"
        raise ValueError(f"must be at most {limit / 10**18:g} OGPU ({held}), got {value!r}")
    return int(wei)


def in_ogpu(wei: int) -> str:
    """``wei`` as an exact OGPU figure for messages: ``500000000000000000`` -> ``0.5 OGPU``."""
    with localcontext(prec=200):
        text = format((Decimal(wei) / UNITS["ogpu"]).normalize(), "f")
    return f"{text} OGPU"


def check_overrides(seed: int | None, tasks: int | None, path: Path | None) -> None:
    """Hold the command line's ``--seed`` and ``--tasks`` to the file's bounds.

    Raises:
        ScenarioError: naming ``--seed`` (negative or not an integer) or ``--tasks`` (outside
            1..:data:`MAX_TASKS`).
    """
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise ScenarioError("--seed", f"must be an integer >= 0, got {seed!r}", path)
    if tasks is not None and (
        isinstance(tasks, bool) or not isinstance(tasks, int) or not 1 <= tasks <= MAX_TASKS
    ):
        raise ScenarioError(
            "--tasks", f"must be an integer from 1 to {MAX_TASKS}, got {tasks!r}", path
        )


def check_scale(scenario: Scenario) -> None:
    """Refuse a scenario whose size or duration, taken as a whole, is beyond the bounds.

    The simulated span is the expected arrival time of the last task (``tasks /
    arrival_rate``) plus the longest expiry; at ``time_compression`` c > 0 the run takes about
    span / c wall seconds.

    Raises:
        ScenarioError: naming ``time_compression`` (between 0 and :data:`MIN_TIME_COMPRESSION`,
            or stretching the run past :data:`MAX_WALL_SECONDS`), ``providers`` (more than
            :data:`MAX_PROVIDERS` in all) or ``workload.arrival_rate`` (a span over
            :data:`MAX_SIMULATED_SECONDS`), with the value that would fit.
    """
    compression = scenario.time_compression
    if 0 < compression < MIN_TIME_COMPRESSION:
        raise ScenarioError(
            "time_compression",
            f"must be 0 (as fast as the chain allows) or at least {MIN_TIME_COMPRESSION:g}, "
            f"got {compression:g}",
            scenario.path,
        )
    total = sum(group.count for group in scenario.providers)
    if total > MAX_PROVIDERS:
        raise ScenarioError(
            "providers",
            f"{total} providers in all; at most {MAX_PROVIDERS} are allowed",
            scenario.path,
        )
    work = scenario.workload
    longest = max(s.max_expiry for s in scenario.sources)
    if work.expiry.kind != "exponential":
        longest = min(longest, math.ceil(max(work.expiry.value, work.expiry.high)))
    room = MAX_SIMULATED_SECONDS - longest
    arrivals = work.tasks / work.arrival_rate
    if arrivals > room:
        raise ScenarioError(
            "workload.arrival_rate",
            f"{work.tasks} tasks at {work.arrival_rate:g} per second arrive over about "
            f"{arrivals:.3g} simulated seconds, past the limit of {MAX_SIMULATED_SECONDS} "
            f"(10 years, with the longest expiry); use at least {work.tasks / room:.3g}",
            scenario.path,
        )
    span = arrivals + longest
    if compression > 0 and span / compression > MAX_WALL_SECONDS:
        raise ScenarioError(
            "time_compression",
            f"at {compression:g} simulated seconds per wall second the run's ~{span:.3g} "
            f"simulated seconds take ~{span / compression:.3g} wall seconds, past the limit of "
            f"{MAX_WALL_SECONDS} (24 h); use at least {span / MAX_WALL_SECONDS:.3g}, or 0 to run "
            "as fast as the chain allows",
            scenario.path,
        )


MAX_CHAIN_FAULT_RATE = 0.5
"""The highest ``chain_fault_rate``: above it the SDK's retries would give up too often for a
run to mean anything."""
