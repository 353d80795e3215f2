"""Ctrl-C during ``ogpu-sim simulate``: one line, exit 130, and the run still cleans up."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from ogpu_sim.cli.main import main
from ogpu_sim.simulate import runner

SMALL = Path(__file__).parents[1] / "simulate" / "scenarios" / "small.toml"


def test_ctrl_c_in_a_run_prints_one_line_exits_130_and_runs_the_cleanup(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    closed: list[str] = []

    @contextmanager
    def started_network() -> Iterator[None]:
        try:
            yield
        finally:
            closed.append("network")

    def interrupted_simulate(*args: Any, **kwargs: Any) -> Any:
        with started_network():
            raise KeyboardInterrupt

    monkeypatch.setattr(runner, "simulate", interrupted_simulate)

    assert main(["simulate", str(SMALL), "--no-progress"]) == 130
    assert closed == ["network"]
    assert capsys.readouterr().err == "interrupted\n"


@pytest.mark.slow  # a real process: ~5 s of imports and start-up before the signal
def test_sigint_to_a_running_simulate_process_gives_one_line_and_exit_130(
    tmp_path: Path,
) -> None:
    command = [sys.executable, "-m", "ogpu_sim.cli", "simulate", str(SMALL), "--tasks", "400"]
    command += ["--no-progress", "--out", str(tmp_path / "run")]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path
    )
    try:
        assert process.stdout is not None
        header = process.stdout.readline()  # printed once the scenario is loaded, before the run
        assert header.startswith("ogpu-sim simulate "), header
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

    assert (process.returncode, err) == (130, "interrupted\n")
