"""Child processes that never outlive this process: anvil nodes, ``docker compose`` followers.

A child started by :func:`popen_tied` gets SIGKILL when this process dies, however it dies
(SIGTERM, SIGKILL, a crash: Linux ``PR_SET_PDEATHSIG``), so a killed test run leaves no node
or follower running. Elsewhere the caller's own stop and finalizers are all there is. This
module is below every layer (standard library only), so the chain and the runtimes share it.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from queue import SimpleQueue
from typing import Any

_PR_SET_PDEATHSIG = 1


def _die_with_owner() -> Callable[[], None] | None:
    """A ``preexec_fn`` that makes the child get SIGKILL when its parent thread ends (Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    owner = os.getpid()

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        if os.getppid() != owner:  # the owner died before prctl: nobody will signal us
            os._exit(1)

    return preexec


_Request = tuple[Sequence[str], dict[str, Any], "Future[subprocess.Popen[Any]]"]


class _Spawner:
    """Forks tied children from one long-lived thread.

    ``PR_SET_PDEATHSIG`` fires when the *thread* that forked ends (prctl(2)); children are
    asked for on whatever thread (a test, the autorun thread of a provider), so the fork is
    done by a daemon thread that lives as long as the process.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._queue: SimpleQueue[_Request] = SimpleQueue()

    def popen(self, argv: Sequence[str], kwargs: dict[str, Any]) -> subprocess.Popen[Any]:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():  # also after a fork
                self._queue = SimpleQueue()
                self._thread = threading.Thread(
                    target=self._serve, args=(self._queue,), name="ogpu-sim-spawner", daemon=True
                )
                self._thread.start()
            queue = self._queue
        answer: Future[subprocess.Popen[Any]] = Future()
        queue.put((argv, kwargs, answer))
        return answer.result()

    @staticmethod
    def _serve(queue: SimpleQueue[_Request]) -> None:
        while True:
            argv, kwargs, answer = queue.get()
            try:
                answer.set_result(subprocess.Popen(argv, preexec_fn=_die_with_owner(), **kwargs))
            except BaseException as exc:  # handed to the caller
                answer.set_exception(exc)


_SPAWNER = _Spawner()


def popen_tied(argv: Sequence[str], **kwargs: Any) -> subprocess.Popen[Any]:
    """``subprocess.Popen(argv, **kwargs)`` whose child gets SIGKILL when this process dies.

    Raises:
        OSError: as ``subprocess.Popen`` raises it (no such executable, ...).
    """
    return _SPAWNER.popen(list(argv), kwargs)


__all__ = ["popen_tied"]
