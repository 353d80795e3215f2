"""``ogpu-sim node`` under SIGTERM, SIGINT and SIGKILL: nothing left running, listening or
written where it should not be, and a killed node's file is refused as stale, then replaced."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path
from urllib.parse import urlparse

import pytest

from ogpu_sim.cli.main import main

from .conftest import Tally
from .processes import (
    PYTHON,
    descendants,
    leftovers,
    listening_ports,
    python_env,
    start,
    stop,
    wait_until,
)

pytestmark = pytest.mark.xdist_group("reliability-node")


def start_node(tmp_path: Path, info: Path) -> tuple[subprocess.Popen[bytes], dict]:
    """A node writing ``info``; returns it and the file's content once it serves."""
    log = tmp_path / f"node-{len(list(tmp_path.glob('node-*.log')))}.log"
    process = start(
        [PYTHON, "-m", "ogpu_sim.cli", "node", "--info", str(info)],
        python_env(tmp_path / "tmp"),
        log,
    )

    def ready() -> bool:  # the banner's last line comes after the file is written
        return b"connection file" in log.read_bytes() or process.poll() is not None

    if not wait_until(ready, timeout=90):
        stop(process)
        raise AssertionError(f"node did not start:\n{log.read_text()}")
    assert process.poll() is None, log.read_text()
    return process, json.loads(info.read_text())


def ports_of(info: dict) -> set[int]:
    return {int(urlparse(info[key]).port or 0) for key in ("rpc_url", "ipfs_url")}


@pytest.mark.parametrize(
    ("sig", "code"), [(signal.SIGTERM, 0), (signal.SIGINT, 0), (signal.SIGKILL, -9)]
)
def test_a_signalled_node_leaves_nothing_behind(
    tmp_path: Path, tally: Tally, sig: signal.Signals, code: int
) -> None:
    info_path = tmp_path / "node.json"
    process, info = start_node(tmp_path, info_path)
    try:
        pids = descendants(process.pid) | {process.pid}
        ports = listening_ports(pids)
        assert ports_of(info) <= ports

        process.send_signal(sig)
        assert process.wait(timeout=30) == code
    finally:
        stop(process)

    left = leftovers(pids, ports)
    temp = sorted(p.name for p in (tmp_path / "tmp").iterdir())
    assert (left, temp) == ([], [])
    assert info_path.exists() is (sig == signal.SIGKILL)  # only a kill cannot clean up
    tally("faults", 1, leaked=len(left) + len(temp))


def test_a_killed_nodes_file_is_refused_as_stale_and_the_next_node_replaces_it(
    tmp_path: Path, tally: Tally, capsys: pytest.CaptureFixture[str]
) -> None:
    info_path = tmp_path / "node.json"
    marker = tmp_path / "ran"
    program = [PYTHON, "-c", f"open({str(marker)!r}, 'w').close()"]
    first, info = start_node(tmp_path, info_path)
    first.kill()
    first.wait(timeout=30)

    assert main(["run", "--info", str(info_path), "--", *program]) == 2
    assert capsys.readouterr().err == (
        f"error: --info: {info_path} is stale: no node answers at {info['rpc_url']} "
        "(ConnectionError); the node was stopped or killed, start one with `ogpu-sim node`\n"
    )
    assert not marker.exists()

    second, _ = start_node(tmp_path, info_path)  # the stale file is simply replaced
    try:
        code = main(["run", "--info", str(info_path), "--", *program])
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)
        stop(second)
    assert (code, marker.exists(), info_path.exists()) == (0, True, False)
    tally("faults", 1)
