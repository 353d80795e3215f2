"""One Simulator for the property tests, and the machine's rule statistics in the summary."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from typing import Any

import pytest

from ogpu_sim.testing import LifecycleMachine

#: revm is the fast in-process backend; eth-tester is the default everywhere else.
BACKEND = os.environ.get(
    "OGPU_SIM_PROPERTY_BACKEND",
    "revm" if importlib.util.find_spec("pyrevm") else "eth-tester",
)


@pytest.fixture(scope="session")
def property_sim() -> Iterator[Any]:
    """A Simulator shared by the property tests (each example isolates itself by snapshot)."""
    from ogpu_sim import Simulator

    with Simulator.start(backend=BACKEND, runtime="inline") as sim:
        yield sim


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print what the LifecycleMachine exercised: calls, successes, reverts by reason."""
    stats = LifecycleMachine.statistics
    if stats.calls:
        terminalreporter.write_sep("-", "LifecycleMachine rule statistics (our contracts)")
        terminalreporter.write_line(stats.render(title=f"backend {BACKEND}"))
