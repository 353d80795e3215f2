"""Assertion helpers for lifecycle tests (``from ogpu_sim.assertions import assert_task_status``).

Defined in :mod:`ogpu_sim.pytest.assertions`; re-exported here under their public name.
"""

from ogpu_sim.pytest.assertions import (
    assert_task_status,
    assert_vault,
    assert_winner,
    task_timeline,
)

__all__ = ["assert_task_status", "assert_vault", "assert_winner", "task_timeline"]
