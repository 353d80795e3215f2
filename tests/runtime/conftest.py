"""Shared set-up for the runtime tests: paths, the callback server, the Docker gate."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from ogpu_sim.runtime import CallbackServer, docker_available
from ogpu_sim.simulate.spec import SAMPLE_SOURCES

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = SAMPLE_SOURCES
BROKEN = Path(__file__).resolve().parent / "sources"
REAL = ROOT / "fixtures" / "real-sources"


@pytest.fixture(scope="session")
def callbacks() -> Iterator[CallbackServer]:
    """One callback server for every runtime test, as in a simulator."""
    with CallbackServer() as server:
        yield server


def require_docker() -> None:
    """Skip when no Docker engine answers; in CI (CI=true) that is a failure instead."""
    usable, reason = docker_available()
    if usable:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but Docker is not usable: {reason}", pytrace=False)
    pytest.skip(f"Docker not usable: {reason}")
