"""``ogpu-sim run`` passes SIGTERM/SIGINT on to its program, waits for it (bounded), removes its
hook folder and exits with the program's status; nothing is left running or on disk.

Every program here is a real ``sh`` child that writes its pid to a file, so each test can check
the process is gone afterwards.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ogpu_sim.cli.main import main

DIES = 'echo $$ > "$1"; exec sleep 30'
"""A program that signals end (the default action)."""
TRAPS_TERM = 'trap "exit 7" TERM; echo $$ > "$1"; while :; do sleep 0.05; done'
"""A program that handles SIGTERM and exits 7."""
IGNORES_TERM = 'trap "" TERM; echo $$ > "$1"; exec sleep 30'
"""A program that ignores SIGTERM (and passes the ignoring on to sleep)."""
SURVIVES_CTRL_C = (
    'got=0; trap "got=1" INT; echo $$ > "$1"; '
    "while [ $got = 0 ]; do sleep 0.05; done; sleep 1; exit 5"
)
"""A program that takes a Ctrl-C, keeps running for a second, then exits 5."""

CONTROLLING_TTY = (
    "import fcntl, os, sys, termios; fcntl.ioctl(0, termios.TIOCSCTTY, 0); "
    "os.execv(sys.argv[1], sys.argv[1:])"
)
"""Make the pty on stdin this new session's controlling terminal, then become the command."""

WAIT = 60.0
"""Seconds any single step may take before the test fails (the machine is shared)."""


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A real ``ogpu-sim node``; yields its connection file."""
    info = tmp_path_factory.mktemp("node") / "node.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "ogpu_sim.cli", "node", "--info", str(info)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(info.exists, process, "the node's connection file")
        yield info
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=WAIT)


def _wait_for(condition: Callable[[], bool], process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if process.poll() is not None and not condition():
            raise AssertionError(f"exited {process.returncode} before {what} appeared")
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} after {WAIT} s")
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class Run:
    """One ``ogpu-sim run -- sh -c SCRIPT`` with its own temp folder and pid file."""

    def __init__(self, node: Path, tmp_path: Path, script: str, *extra: str) -> None:
        self.tmp = tmp_path / "tmp"
        self.tmp.mkdir()
        self.pid_file = tmp_path / "child.pid"
        self.command = [
            *("-m", "ogpu_sim.cli", "run", "--info", str(node), *extra),
            *("--", "sh", "-c", script, "sh", str(self.pid_file)),
        ]
        self.env = {**os.environ, "TMPDIR": str(self.tmp)}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, **popen: object) -> subprocess.Popen[bytes]:
        # Its own session: no controlling terminal, unless the test gives it one.
        self.process = subprocess.Popen(  # type: ignore[call-overload]
            [sys.executable, *self.command], env=self.env, start_new_session=True, **popen
        )
        _wait_for(self.child_started, self.process, "child pid file")
        return self.process

    def child_started(self) -> bool:
        return self.pid_file.exists() and self.pid_file.read_text().strip().isdigit()

    @property
    def child_pid(self) -> int:
        return int(self.pid_file.read_text())

    def hook_folders(self) -> list[str]:
        return sorted(p.name for p in self.tmp.glob("ogpu-sim-run-*"))

    def cleanup(self) -> None:
        """Whatever a failing test left behind is stopped."""
        if self.child_started() and _alive(self.child_pid):
            os.kill(self.child_pid, signal.SIGKILL)
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=WAIT)


@pytest.fixture
def run(node: Path, tmp_path: Path) -> Iterator[Callable[..., Run]]:
    """Makes a :class:`Run` (``run(SCRIPT, *options)``); stops whatever it left running."""
    started: list[Run] = []

    def make(script: str, *extra: str) -> Run:
        started.append(Run(node, tmp_path, script, *extra))
        return started[-1]

    yield make
    for each in started:
        each.cleanup()


def test_sigterm_reaches_the_program_and_run_exits_with_its_signal_status(
    run: Callable[..., Run],
) -> None:
    program = run(DIES)
    process = program.start()

    process.send_signal(signal.SIGTERM)

    assert process.wait(timeout=WAIT) == 128 + signal.SIGTERM
    assert not _alive(program.child_pid)
    assert program.hook_folders() == []


def test_a_sigint_not_from_a_terminal_is_forwarded(run: Callable[..., Run]) -> None:
    program = run(DIES)
    process = program.start()

    process.send_signal(signal.SIGINT)

    assert process.wait(timeout=WAIT) == 128 + signal.SIGINT
    assert not _alive(program.child_pid)
    assert program.hook_folders() == []


def test_a_program_that_handles_sigterm_gives_run_its_exit_code(run: Callable[..., Run]) -> None:
    program = run(TRAPS_TERM)
    process = program.start()

    process.send_signal(signal.SIGTERM)

    assert process.wait(timeout=WAIT) == 7
    assert not _alive(program.child_pid)
    assert program.hook_folders() == []


def test_a_program_that_ignores_sigterm_is_killed_after_the_stop_timeout(
    run: Callable[..., Run],
) -> None:
    program = run(IGNORES_TERM, "--stop-timeout", "0.3")
    process = program.start()

    process.send_signal(signal.SIGTERM)

    assert process.wait(timeout=WAIT) == 128 + signal.SIGKILL
    assert not _alive(program.child_pid)
    assert program.hook_folders() == []


def test_ctrl_c_at_a_terminal_is_left_to_the_program(run: Callable[..., Run]) -> None:
    # The terminal sends SIGINT to its foreground process group, run and program alike; run
    # must neither send it again nor start the stop timeout, so the program decides.
    program = run(SURVIVES_CTRL_C, "--stop-timeout", "0.2")
    program.command = ["-c", CONTROLLING_TTY, sys.executable, *program.command]
    leader, follower = os.openpty()
    try:
        process = program.start(stdin=follower, stdout=follower, stderr=follower)
        os.close(follower)
        follower = -1
        os.write(leader, b"\x03")

        assert process.wait(timeout=WAIT) == 5
    finally:
        for fd in (leader, follower):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
    assert not _alive(program.child_pid)
    assert program.hook_folders() == []


def test_the_programs_own_exit_code_is_returned_and_the_hook_folder_removed(
    run: Callable[..., Run],
) -> None:
    program = run('echo $$ > "$1"; exit 3')
    process = program.start()

    assert process.wait(timeout=WAIT) == 3
    assert program.hook_folders() == []


def test_a_program_that_cannot_start_is_named_and_leaves_no_hook_folder(
    node: Path, tmp_path: Path
) -> None:
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "ogpu_sim.cli", "run", "--info", str(node), "--", "no-such-tool"],
        capture_output=True,
        text=True,
        env=env,
        timeout=WAIT,
    )

    assert result.returncode == 2
    assert result.stderr == (
        "error: command: cannot run 'no-such-tool': No such file or directory\n"
    )
    assert list(tmp_path.glob("ogpu-sim-run-*")) == []


def test_a_negative_stop_timeout_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--stop-timeout", "-1", "--", "true"]) == 2
    assert capsys.readouterr().err == (
        "error: --stop-timeout: must be 0 or more seconds, got -1.0\n"
    )
