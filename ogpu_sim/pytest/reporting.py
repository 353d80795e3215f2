"""What the plugin reports about a test: the failure section and the ``--ogpu-report`` JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def failure_text(sim: Any, mark: Any) -> str:
    """The failure section: what happened during this test only (timeline, IPFS, handler logs).

    Args:
        sim: the session's simulator.
        mark: :meth:`ogpu_sim.Simulator.mark` taken when the test started.
    """
    entries = sim.timeline.since(mark.timeline)
    lines = ["protocol timeline (events and provider actions, oldest first):"]
    lines += [f"  {e.text()}" for e in entries] or ["  (nothing happened on chain)"]
    requests = sim.ipfs_requests(since=mark)[-20:]
    if requests:
        lines.append("IPFS requests during this test (last 20):")
        lines += [
            f"  {r.method} {r.route} -> {r.status} in {r.bytes}B out {r.bytes_sent}B "
            f"{r.cid or ''}".rstrip()
            for r in requests
        ]
    for name, logs in sim.handler_logs(tail=30, since=mark).items():
        lines.append(f"handler log {name} during this test (tail):")
        lines += [f"  {line}" for line in logs.splitlines()]
    return "\n".join(lines)


def report_entry(nodeid: str, outcome: str, entries: list[Any]) -> dict[str, Any]:
    """One test's record in the ``--ogpu-report`` JSON."""
    return {
        "test": nodeid,
        "outcome": outcome,
        "events": [
            {"kind": e.kind, "name": e.name, "args": e.args, "block": e.block, "emitter": e.emitter}
            for e in entries
        ],
    }


def write_report(path: str, tests: list[dict[str, Any]]) -> Path:
    """Write the ``--ogpu-report`` JSON of ``tests`` to ``path`` and return where it went.

    Under pytest-xdist only the controller writes, its workers' records merged into this one
    file (:func:`ogpu_sim.pytest.plugin.pytest_testnodedown`).

    Args:
        path: the report file the user named.
        tests: one :func:`report_entry` per test.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps({"tests": tests}, indent=2, sort_keys=True))
    return target
