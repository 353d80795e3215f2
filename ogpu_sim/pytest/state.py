"""What the plugin's hooks and fixtures share within one pytest session.

The configuration read in ``pytest_configure``, the node ids of the scopes that use the
simulator, each test's starting mark, the running simulator and the report's records. One
module holds them so that :mod:`.plugin` (the hooks) and :mod:`.fixtures` read the same ones.
"""

from __future__ import annotations

from typing import Any

import pytest

from ogpu_sim.pytest.options import PluginConfig

CONFIG = pytest.StashKey[PluginConfig]()
"""The session's validated options (``config.stash``)."""
USERS = pytest.StashKey[set[str]]()
"""Node ids of every item and collector whose tests take ``ogpu_sim`` (``session.stash``)."""
MARK = pytest.StashKey[Any]()
"""The :meth:`~ogpu_sim.Simulator.mark` a test started at (``item.stash``)."""
EXAMPLE = pytest.StashKey[tuple[str, list[Any]]]()
"""A hypothesis test's last failing example: its failure section and timeline entries, taken
before its snapshot was reverted (``item.stash``)."""
RUNNING: dict[str, Any] = {}
"""``"sim"``: the session's simulator while the ``ogpu_sim`` fixture is up."""
REPORT: list[dict[str, Any]] = []
"""The ``--ogpu-report`` records of the tests run so far."""
