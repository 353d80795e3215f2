"""Run a child program as ``ogpu-sim run`` does: signals reach it, nothing is left behind.

SIGTERM, SIGHUP and SIGINT sent to ``ogpu-sim run`` are forwarded to the child, which then has
``stop_timeout`` seconds to exit before it is killed; the parent waits for it either way, so
the caller can remove its temporary files, and reports the child's exit status (``128 + N``
when signal N ended it, as a shell does).

A SIGINT the terminal sent (Ctrl-C) already reached the child, which shares the terminal's
foreground process group: it is not sent again and starts no timeout, so a program that
handles Ctrl-C (a REPL) keeps running, as it would without ``ogpu-sim run`` in front of it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from types import FrameType
from typing import Any

from ogpu_sim.errors import RunInterrupted

FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
"""Signals ``ogpu-sim run`` passes on to its child."""

Handler = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None
"""What :func:`signal.getsignal` returns."""

DEFAULT_STOP_TIMEOUT = 10.0
"""Seconds a child has to exit after a forwarded signal before it is killed."""


class _Forwarder:
    """The signal handler: forward to the child (or hold the signal until it exists).

    The first forwarded signal starts the ``stop_timeout`` clock; if the parent is then in its
    unbounded wait for the child, the handler raises :class:`RunInterrupted` to end it (only
    there: the child is waited for in another thread, so nothing else is interrupted).
    """

    def __init__(self, stop_timeout: float) -> None:
        self.stop_timeout = stop_timeout
        self.child: subprocess.Popen[bytes] | None = None
        self.pending: list[int] = []
        self.deadline: float | None = None
        self.blocking = False

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        if self.child is None:
            self.pending.append(signum)
            return
        if signum == signal.SIGINT and _from_terminal(self.child.pid):
            return
        self.child.send_signal(signum)  # a no-op once the child is reaped
        if self.deadline is None:
            self.deadline = time.monotonic() + self.stop_timeout
            if self.blocking:
                self.blocking = False
                raise RunInterrupted

    def adopt(self, child: subprocess.Popen[bytes]) -> None:
        """The child exists: forward what arrived while it was starting."""
        self.child = child
        for signum in self.pending:
            self(signum, None)


def _from_terminal(pid: int) -> bool:
    """True when ``pid`` is in its controlling terminal's foreground process group.

    Then a SIGINT the terminal generated (Ctrl-C) has reached it already.
    """
    try:
        fd = os.open(os.ctermid(), os.O_RDONLY | os.O_NOCTTY)
    except OSError:  # no controlling terminal
        return False
    try:
        return os.tcgetpgrp(fd) == os.getpgid(pid)
    except OSError:
        return False
    finally:
        os.close(fd)


def run_forwarding(
    command: Sequence[str],
    env: Mapping[str, str],
    stop_timeout: float = DEFAULT_STOP_TIMEOUT,
) -> int:
    """Run ``command`` to its end, forwarding SIGINT/SIGTERM/SIGHUP to it.

    Args:
        command: the program and its arguments.
        env: the child's whole environment.
        stop_timeout: seconds the child has after a forwarded signal before it gets SIGKILL.

    Returns:
        The child's exit code, or ``128 + N`` if signal N ended it.

    Raises:
        OSError: the program could not be started (not found, not executable).
    """
    forwarder = _Forwarder(stop_timeout)
    previous = _install(forwarder)
    try:
        forwarder.adopt(subprocess.Popen(list(command), env=dict(env)))
        assert forwarder.child is not None
        return _exit_status(_wait(forwarder.child, forwarder))
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _install(forwarder: _Forwarder) -> dict[int, Handler]:
    """Handle the forwarded signals; only the main thread can, and an ignored one stays so."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    previous: dict[int, Handler] = {}
    for signum in FORWARDED:
        handler = signal.getsignal(signum)
        if handler is not signal.SIG_IGN:  # the child inherits an ignored signal as ignored
            previous[signum] = signal.signal(signum, forwarder)
    return previous


def _wait(child: subprocess.Popen[bytes], forwarder: _Forwarder) -> int:
    """Wait for the child; once a signal was forwarded, ``stop_timeout`` at most, then kill it."""
    done = threading.Event()

    def reap() -> None:
        child.wait()
        done.set()

    threading.Thread(target=reap, name="ogpu-sim-run-wait", daemon=True).start()
    try:
        forwarder.blocking = True
        if forwarder.deadline is None:
            done.wait()
        forwarder.blocking = False  # inside the try: an RunInterrupted before it is caught
    except RunInterrupted:
        pass
    if not done.is_set():
        assert forwarder.deadline is not None  # the only way out of the wait above
        if not done.wait(max(0.0, forwarder.deadline - time.monotonic())):
            child.kill()
            done.wait()
    assert child.returncode is not None
    return child.returncode


def _exit_status(returncode: int) -> int:
    """A shell's exit status: ``128 + N`` for a process that signal N ended."""
    return 128 - returncode if returncode < 0 else returncode


__all__ = ["DEFAULT_STOP_TIMEOUT", "FORWARDED", "run_forwarding"]
