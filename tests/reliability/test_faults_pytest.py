"""A pytest session using the plugin, signalled mid-test with a handler running: afterwards no
process, port, container, network, temp file or compose workdir is left, and the next session
starts clean.

The process runtime always runs; the docker runtime runs where an engine answers (skipped
otherwise, a failure when ``CI=true``).
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest

from ogpu_sim.simulate.spec import SAMPLE_SOURCES

from .conftest import Tally, in_ci
from .processes import (
    PYTHON,
    descendants,
    leftovers,
    listening_ports,
    python_env,
    stop,
    wait_until,
)

SOURCE = SAMPLE_SOURCES / "multiply"
INNER = textwrap.dedent(
    """
    import json, os, time
    from pathlib import Path

    def test_stopped_mid_test(ogpu_sim, ogpu_source, ogpu_provider):
        ogpu_provider(ogpu_source(Path(os.environ["INNER_SOURCE"])))
        ready = {"rpc_url": ogpu_sim.rpc_url, "ipfs_url": ogpu_sim.ipfs.url}
        Path(os.environ["INNER_READY"]).write_text(json.dumps(ready))
        time.sleep(120)

    def test_next_session(ogpu_sim, ogpu_source, ogpu_provider):
        provider = ogpu_provider(ogpu_source(Path(os.environ["INNER_SOURCE"])))
        assert provider.address
    """
)
# What each signal does to pytest: SIGINT is KeyboardInterrupt (teardown runs, exit 2); SIGTERM
# ends the interpreter at once, after the docker runtime took its projects down; SIGKILL leaves
# only what dies with its parent and what the next session reaps.
SIGNALS = [(signal.SIGINT, 2), (signal.SIGTERM, -15), (signal.SIGKILL, -9)]


def docker_or_skip() -> Any:
    """A docker client when an engine answers; skip otherwise (fail under CI=true)."""
    from ogpu_sim.runtime import docker_available

    usable, reason = docker_available()
    if not usable:
        if in_ci():
            pytest.fail(f"CI=true but Docker is not usable: {reason}", pytrace=False)
        pytest.skip(f"Docker not usable: {reason}")
    from docker.client import from_env

    return from_env(timeout=120)


def owned_by(client: Any, pid: int) -> list[str]:
    """Containers and networks the ogpu-sim runtime of process ``pid`` created."""
    from ogpu_sim.runtime.docker import OWNER_LABEL

    label = f"{OWNER_LABEL}={socket.gethostname()}:{pid}"
    containers = [c.name for c in client.containers.list(all=True, filters={"label": label})]
    return containers + [n.name for n in client.networks.list(filters={"label": label})]


def workdirs_of(pid: int) -> list[str]:
    """The compose workdirs the docker runtime of process ``pid`` holds (none once reaped)."""
    from ogpu_sim.runtime.reaping import workdir_root

    root = workdir_root()
    return sorted(p.name for p in root.glob(f"{pid}-*")) if root.is_dir() else []


def session(tmp_path: Path, runtime: str, test: str, log: Path) -> subprocess.Popen[bytes]:
    """A pytest session over the inner test file, with its own TMPDIR and basetemp."""
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    (project / "test_inner.py").write_text(INNER)
    env = python_env(tmp_path / "tmp")
    env.update(INNER_SOURCE=str(SOURCE), INNER_READY=str(tmp_path / "ready.json"))
    command = [
        PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
        "-p", "no:asyncio",
        f"--basetemp={tmp_path / 'basetemp'}", f"--ogpu-runtime={runtime}",
        f"test_inner.py::{test}",
    ]  # fmt: skip
    return subprocess.Popen(
        command, cwd=project, env=env, stdin=subprocess.DEVNULL, stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )  # fmt: skip


RUNTIMES = [  # one xdist group each: sessions of a group run one after another
    pytest.param("process", marks=[pytest.mark.xdist_group("reliability-process")]),
    pytest.param(
        "docker", marks=[pytest.mark.docker, pytest.mark.xdist_group("reliability-docker")]
    ),
]


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize(("sig", "code"), SIGNALS, ids=[s.name for s, _ in SIGNALS])
def test_a_session_signalled_mid_test_leaves_nothing_and_the_next_starts_clean(
    tmp_path: Path, tally: Tally, runtime: str, sig: signal.Signals, code: int
) -> None:
    client = docker_or_skip() if runtime == "docker" else None
    log = tmp_path / "session.log"
    process = session(tmp_path, runtime, "test_stopped_mid_test", log)
    try:
        ready = tmp_path / "ready.json"
        started = wait_until(lambda: ready.exists() or process.poll() is not None, timeout=240)
        assert started and process.poll() is None, log.read_text()
        pids = descendants(process.pid) | {process.pid}
        ports = listening_ports(pids)
        urls = json.loads(ready.read_text())
        assert {int(u.rsplit(":", 1)[1]) for u in urls.values()} <= ports
        if runtime == "process":
            handlers = [
                p for p in pids if b"launcher.py" in Path(f"/proc/{p}/cmdline").read_bytes()
            ]
            assert len(handlers) == 1  # the handler really runs in its own process
        else:
            assert owned_by(client, process.pid)  # its container and network exist
            assert len(workdirs_of(process.pid)) == 1

        process.send_signal(sig)
        assert process.wait(timeout=60) == code, log.read_text()
    finally:
        stop(process)

    left = leftovers(pids, ports)
    temp = sorted(p.name for p in (tmp_path / "tmp").iterdir())
    assert (left, temp) == ([], []), log.read_text()

    # SIGINT ran the teardown and SIGTERM the runtime's own cleanup: nothing of docker is left.
    # SIGKILL left containers, network and workdir for the next session to reap. Process
    # handlers ended with their parent; a next session shows each runtime starts clean.
    if client is not None and sig != signal.SIGKILL:
        assert (owned_by(client, process.pid), workdirs_of(process.pid)) == ([], [])
    if sig == signal.SIGKILL or (client is not None and sig == signal.SIGTERM):
        nxt = session(tmp_path, runtime, "test_next_session", tmp_path / "next.log")
        try:
            assert nxt.wait(timeout=240) == 0, (tmp_path / "next.log").read_text()
        finally:
            stop(nxt)
        if client is not None:  # the next session's runtime reaped what the killed one left
            assert (owned_by(client, process.pid), owned_by(client, nxt.pid)) == ([], [])
            assert (workdirs_of(process.pid), workdirs_of(nxt.pid)) == ([], [])
    tally("faults", 1, leaked=len(left) + len(temp))
