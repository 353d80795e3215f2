"""What the docker runtime creates carries its owner, so a later run can reap a killed run's.

An owner is ``<hostname>:<pid>`` (:func:`owner_id`). Three kinds of leftovers carry it:

- containers, networks and volumes: labels ``ogpu-sim=1`` and ``ogpu-sim.owner=<owner>``;
- ``docker compose logs -f`` followers: ``OGPU_SIM_COMPOSE_OWNER=<owner>`` in their environment
  (:func:`spawn_tied` starts them so they die with their owner on Linux anyway);
- compose workdirs and image build contexts: ``<cache>/compose/<hostname>/<pid>-<name>/``
  (:func:`new_workdir`).

:func:`reap_leftovers` removes those whose owner process on this host is gone; nothing without
the marks, and nothing of a live owner or another host, is ever touched. A SIGTERM cannot be
cleaned up after by the next run alone, so :func:`close_on_sigterm` lets a runtime take its
projects down first (the process then still dies by SIGTERM); SIGKILL leaves it to the reaper.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import signal
import socket
import subprocess
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from docker.errors import APIError, NotFound

from ogpu_sim.children import popen_tied
from ogpu_sim.vocabulary import cache_dir

LABEL = "ogpu-sim"
OWNER_LABEL = "ogpu-sim.owner"
FOLLOWER_ENV = "OGPU_SIM_COMPOSE_OWNER"
"""Set in a follower's environment (and so its children's) to its owner's :func:`owner_id`."""
SIGTERM_CLEANUP_TIMEOUT = 30.0
"""Seconds the runtimes get to take their projects down after a SIGTERM before the process dies."""


def owner_id() -> str:
    """This process's owner label value: ``<hostname>:<pid>``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def owner_alive(owner: str) -> bool:
    """Whether ``owner`` (``<hostname>:<pid>``) may still run: False only for a gone local pid."""
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True  # another machine's, or not ours to judge
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reap_leftovers(client: Any) -> list[str]:
    """Remove what runs of dead processes on this host left: followers, docker objects, workdirs.

    Returns:
        What was removed: ``follower <pid>``, container/network/volume names, workdir paths.
    """
    removed = [f"follower {pid}" for pid in reap_followers()]
    removed += reap_docker(client)
    removed += [str(path) for path in reap_workdirs()]
    return removed


def reap_docker(client: Any) -> list[str]:
    """Remove containers, networks and volumes labelled ``ogpu-sim`` whose owner is gone.

    Returns:
        The names of what was removed.
    """
    removed = []
    # ignore_removed: a container another run removes between listing and inspecting is gone.
    for container in client.containers.list(
        all=True, filters={"label": LABEL}, ignore_removed=True
    ):
        if not owner_alive(container.labels.get(OWNER_LABEL, "")):
            # NotFound / 409 "removal already in progress": another run reaps it concurrently.
            with contextlib.suppress(NotFound, APIError):
                container.remove(force=True, v=True)
                removed.append(container.name)
    for network in client.networks.list(filters={"label": LABEL}):
        if not owner_alive((network.attrs.get("Labels") or {}).get(OWNER_LABEL, "")):
            with contextlib.suppress(NotFound, APIError):
                network.remove()
                removed.append(network.name)
    for volume in client.volumes.list(filters={"label": LABEL}):
        if not owner_alive((volume.attrs.get("Labels") or {}).get(OWNER_LABEL, "")):
            with contextlib.suppress(NotFound, APIError):
                volume.remove(force=True)
                removed.append(volume.name)
    return removed


# -- compose workdirs --------------------------------------------------------------------------


def workdir_root() -> Path:
    """Where this host's compose workdirs live: ``<cache>/compose/<hostname>/``.

    ``<cache>`` is ``$OGPU_SIM_CACHE`` or ``${XDG_CACHE_HOME:-~/.cache}/ogpu-sim``; the host
    level keeps a cache shared between machines from judging another machine's pids.
    """
    return cache_dir() / "compose" / socket.gethostname()


def new_workdir(project: str) -> Path:
    """Create this process's workdir for a compose project (``<root>/<pid>-<project>/``)."""
    path = workdir_root() / f"{os.getpid()}-{project}"
    path.mkdir(parents=True)
    return path


def reap_workdirs(root: Path | None = None) -> list[Path]:
    """Remove the compose workdirs under ``root`` (default :func:`workdir_root`) of gone pids.

    Returns:
        The workdirs removed.
    """
    root = workdir_root() if root is None else root
    try:
        entries = sorted(root.iterdir())
    except OSError:
        return []
    host = socket.gethostname()
    removed = []
    for entry in entries:
        pid, _, project = entry.name.partition("-")
        if pid.isdigit() and project and not owner_alive(f"{host}:{pid}"):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


# -- followers ---------------------------------------------------------------------------------


def reap_followers(proc: Path = Path("/proc")) -> list[int]:
    """SIGKILL the processes marked ``OGPU_SIM_COMPOSE_OWNER`` whose owner on this host is gone.

    Only processes whose environment this user may read are looked at (``/proc``; none where
    there is no ``/proc``).

    Returns:
        The pids killed.
    """
    killed = []
    marker = FOLLOWER_ENV.encode() + b"="
    try:
        entries = [entry for entry in proc.iterdir() if entry.name.isdigit()]
    except OSError:
        return []
    for entry in entries:
        pid = int(entry.name)
        if pid == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:  # gone, or not ours
            continue
        owners = [v[len(marker) :] for v in environ.split(b"\0") if v.startswith(marker)]
        if owners and not owner_alive(owners[0].decode("utf-8", "replace")):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
    return killed


def spawn_tied(
    argv: Sequence[str], *, env: Mapping[str, str], cwd: Path
) -> subprocess.Popen[bytes]:
    """Start a long-running child (stdout+stderr on a pipe) that does not outlive this process.

    It stays in this process group (a group kill reaches it), gets SIGKILL when this process
    dies (Linux ``PR_SET_PDEATHSIG``) and carries ``OGPU_SIM_COMPOSE_OWNER`` so the next run's
    :func:`reap_followers` finds it wherever the first two cannot act.
    """
    return popen_tied(
        list(argv),
        env={**env, FOLLOWER_ENV: owner_id()},
        cwd=str(cwd),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


# -- SIGTERM -----------------------------------------------------------------------------------

_CLOSERS: dict[int, Callable[[], None]] = {}
_CLOSERS_LOCK = threading.RLock()  # re-entered when SIGTERM lands while the main thread holds it
_KEYS = itertools.count()
_TERMINATING = threading.Event()


def close_on_sigterm(close: Callable[[], None]) -> Callable[[], None]:
    """Run ``close`` when this process gets SIGTERM, before it dies of it.

    The handler is installed only from the main thread and only over SIGTERM's default action
    (a program's own handler is left alone). On SIGTERM every registered ``close`` runs in a
    thread for up to :data:`SIGTERM_CLEANUP_TIMEOUT` seconds, then the default action is
    restored and the signal re-raised: the exit status stays "killed by SIGTERM". A second
    SIGTERM ends the process at once.

    Returns:
        A function that unregisters ``close`` (and puts the default action back when it was the
        last one and the handler is still ours).
    """
    with _CLOSERS_LOCK:
        key = next(_KEYS)
        _CLOSERS[key] = close
    _install()

    def unregister() -> None:
        with _CLOSERS_LOCK:
            _CLOSERS.pop(key, None)
            empty = not _CLOSERS
        ours = signal.getsignal(signal.SIGTERM) is _on_sigterm and not _TERMINATING.is_set()
        if empty and ours and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, signal.SIG_DFL)

    return unregister


def _install() -> None:
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _on_sigterm)


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    if not _TERMINATING.is_set():
        _TERMINATING.set()
        with _CLOSERS_LOCK:
            closers = list(_CLOSERS.values())
        # A thread: the main thread may hold a lock the closers need when the signal lands.
        worker = threading.Thread(
            target=_close_all, args=(closers,), name="ogpu-sim-sigterm-cleanup", daemon=True
        )
        worker.start()
        worker.join(SIGTERM_CLEANUP_TIMEOUT)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)


def _close_all(closers: list[Callable[[], None]]) -> None:
    for close in closers:
        with contextlib.suppress(Exception):
            close()
