"""The reaper's rules and what ties a compose follower to its owner; no Docker needed.

A dead owner's leftovers are reaped, a live owner's, another host's and unmarked ones are kept;
a tied child dies with its owner however the owner dies; a SIGTERM runs the cleanup first.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ogpu_sim.runtime import reaping
from ogpu_sim.runtime.reaping import (
    FOLLOWER_ENV,
    new_workdir,
    owner_alive,
    owner_id,
    reap_followers,
    reap_workdirs,
    spawn_tied,
    workdir_root,
)

HOST = socket.gethostname()
DEAD = 999_999_999  # above any pid_max: never a running process


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def _wait_gone(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while _running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not _running(pid)


@pytest.fixture
def sleepers() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Processes a test starts; killed afterwards whatever the test did."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def _sleeper(started: list[subprocess.Popen[bytes]], owner: str | None) -> int:
    env = dict(os.environ)
    if owner is not None:
        env[FOLLOWER_ENV] = owner
    process = subprocess.Popen(["sleep", "60"], env=env)
    started.append(process)
    return process.pid


def test_an_owner_is_alive_unless_it_is_a_gone_pid_of_this_host():
    assert [
        owner_alive(owner_id()),
        owner_alive(f"{HOST}:{DEAD}"),
        owner_alive(f"another-{HOST}:{DEAD}"),
        owner_alive(""),
    ] == [True, False, True, True]


def test_a_workdir_lives_in_the_cache_under_the_host_and_the_owner_pid(tmp_path, monkeypatch):
    monkeypatch.setenv("OGPU_SIM_CACHE", str(tmp_path))
    workdir = new_workdir("ogpu-sim-abcd1234-1")
    assert workdir == tmp_path / "compose" / HOST / f"{os.getpid()}-ogpu-sim-abcd1234-1"
    assert workdir.is_dir() and workdir_root() == tmp_path / "compose" / HOST


def test_workdirs_of_dead_owners_are_reaped_and_the_others_kept(tmp_path):
    dead = tmp_path / f"{DEAD}-ogpu-sim-dead0000-1"
    live = tmp_path / f"{os.getpid()}-ogpu-sim-live0000-1"
    stranger = tmp_path / "notes"
    for folder in (dead, live, stranger):
        folder.mkdir()
        (folder / "ogpu-sim.override.yml").write_text("services: {}\n")
    assert reap_workdirs(tmp_path) == [dead]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, stranger.name])


def test_a_missing_workdir_root_reaps_nothing(tmp_path):
    assert reap_workdirs(tmp_path / "absent") == []


def test_followers_of_dead_owners_are_killed_and_the_others_kept(sleepers):
    dead = _sleeper(sleepers, f"{HOST}:{DEAD}")
    live = _sleeper(sleepers, owner_id())
    elsewhere = _sleeper(sleepers, f"another-{HOST}:{DEAD}")
    unmarked = _sleeper(sleepers, None)
    assert dead in reap_followers()
    assert _wait_gone(dead)
    assert [_running(pid) for pid in (live, elsewhere, unmarked)] == [True, True, True]


def test_a_tied_child_carries_its_owner_and_stays_in_the_process_group(tmp_path, sleepers):
    child = spawn_tied(["sleep", "60"], env=dict(os.environ), cwd=tmp_path)
    sleepers.append(child)
    environ = Path(f"/proc/{child.pid}/environ").read_bytes().split(b"\0")
    assert f"{FOLLOWER_ENV}={owner_id()}".encode() in environ
    assert os.getpgid(child.pid) == os.getpgid(0)


def test_a_tied_child_outlives_the_thread_that_asked_for_it(tmp_path, sleepers):
    started: list[subprocess.Popen[bytes]] = []
    asker = threading.Thread(
        target=lambda: started.append(spawn_tied(["sleep", "60"], env={}, cwd=tmp_path))
    )
    asker.start()
    asker.join()
    sleepers.extend(started)
    time.sleep(0.2)
    assert started[0].poll() is None


OWNER = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from ogpu_sim.runtime.reaping import close_on_sigterm, spawn_tied

    child = spawn_tied(["sleep", "60"], env=dict(os.environ), cwd=Path.cwd())
    close_on_sigterm(lambda: Path(sys.argv[2]).write_text("closed"))
    print(child.pid, flush=True)
    if sys.argv[1] == "SIGTERM":
        os.kill(os.getpid(), signal.SIGTERM)
    else:
        os._exit(3)  # a crash: no cleanup of any kind
    """
)


@pytest.mark.parametrize(("how", "code"), [("SIGTERM", -signal.SIGTERM), ("crash", 3)])
def test_a_tied_child_dies_with_its_owner(tmp_path, how, code):
    marker = tmp_path / "closed"
    result = subprocess.run(
        [sys.executable, "-c", OWNER, how, str(marker)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == code, result.stderr
    assert _wait_gone(int(result.stdout.split()[0]))
    assert marker.exists() == (how == "SIGTERM")  # SIGTERM ran the cleanup first


def test_sigterm_cleanup_leaves_a_programs_own_handler_alone():
    script = textwrap.dedent(
        """
        import signal
        from ogpu_sim.runtime.reaping import close_on_sigterm

        def own(signum, frame):
            pass

        signal.signal(signal.SIGTERM, own)
        close_on_sigterm(lambda: None)
        print(signal.getsignal(signal.SIGTERM) is own)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.stdout.strip() == "True", result.stderr


def test_unregistering_the_last_cleanup_restores_sigterms_default(monkeypatch):
    monkeypatch.setattr(reaping, "_CLOSERS", {})
    previous = signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        first = reaping.close_on_sigterm(lambda: None)
        second = reaping.close_on_sigterm(lambda: None)
        installed = signal.getsignal(signal.SIGTERM) is reaping._on_sigterm
        first()
        still = signal.getsignal(signal.SIGTERM) is reaping._on_sigterm
        second()
        assert (installed, still, signal.getsignal(signal.SIGTERM)) == (
            True,
            True,
            signal.SIG_DFL,
        )
    finally:
        signal.signal(signal.SIGTERM, previous)
