"""What a process tree holds, read from /proc: descendants, listening ports, leftovers.

The fault tests record these while a process runs, kill it, and then check that everything
recorded is gone. Linux only (the project's machines are).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _stat(pid: int) -> tuple[str, int] | None:
    """A process's state letter and parent pid, or None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return fields[0], int(fields[1])


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (children, grandchildren, ...)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            parents.setdefault(stat[1], []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting to be reaped counts as gone)."""
    stat = _stat(pid)
    return stat is not None and stat[0] not in ("Z", "X")


def listening_ports(pids: Iterable[int]) -> set[int]:
    """TCP ports the processes ``pids`` listen on (IPv4 and IPv6)."""
    inodes: set[str] = set()
    for pid in pids:
        try:
            links = list(Path(f"/proc/{pid}/fd").iterdir())
        except OSError:
            continue
        for link in links:
            try:
                target = os.readlink(link)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    ports: set[int] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def port_open(port: int) -> bool:
    """Whether something accepts connections on 127.0.0.1:``port``."""
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def wait_until(condition: Callable[[], bool], timeout: float, interval: float = 0.1) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` seconds pass; return whether it held."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


def leftovers(pids: Iterable[int], ports: Iterable[int], timeout: float = 10.0) -> list[str]:
    """What is still there of ``pids`` and ``ports`` after up to ``timeout`` seconds."""
    pids, ports = set(pids), set(ports)
    wait_until(lambda: not any(map(alive, pids)) and not any(map(port_open, ports)), timeout)
    return [f"process {p}" for p in sorted(pids) if alive(p)] + [
        f"port {p}" for p in sorted(ports) if port_open(p)
    ]


def python_env(tmp: Path) -> dict[str, str]:
    """The environment for a child Python: a private TMPDIR, no inherited keys or CI knobs."""
    tmp.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.endswith("_PRIVATE_KEY")}
    env.update(TMPDIR=str(tmp), PYTHONUNBUFFERED="1")
    env.pop("PYTEST_XDIST_WORKER", None)
    env.pop("PYTEST_ADDOPTS", None)
    return env


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start ``command`` with output to ``log``, in the working directory of the repository."""
    return subprocess.Popen(
        command,
        env=env,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    """Make sure a child started here is gone (for ``finally`` blocks)."""
    if process.poll() is None:
        process.kill()
    process.wait(timeout=30)


PYTHON = sys.executable
