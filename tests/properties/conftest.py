"""One Simulator for the property tests, and the machine's rule statistics in the summary.

The CI-profile run records its statistics table as a user property of its test, which
pytest-xdist carries from the worker to the controller, where the summary prints it.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from typing import Any

import pytest

#: revm is the fast in-process backend; eth-tester is the default everywhere else.
BACKEND = os.environ.get(
    "OGPU_SIM_PROPERTY_BACKEND",
    "revm" if importlib.util.find_spec("pyrevm") else "eth-tester",
)


@pytest.fixture(scope="session")
def property_sim() -> Iterator[Any]:
    """A Simulator shared by the property tests (each run isolates itself)."""
    from ogpu_sim import Simulator

    with Simulator.start(backend=BACKEND, runtime="inline") as sim:
        yield sim


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print what the LifecycleMachine exercised: calls, successes, reverts by reason."""
    for outcome in ("passed", "failed"):
        for report in terminalreporter.stats.get(outcome, []):
            for key, value in getattr(report, "user_properties", ()):
                if key == "rule statistics":
                    terminalreporter.write_sep("-", "LifecycleMachine rule statistics")
                    terminalreporter.write_line(value)
