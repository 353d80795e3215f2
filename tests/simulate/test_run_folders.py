"""Where ``ogpu-sim simulate`` writes a run: a folder of its own, even for runs started in the
same second; a run that fails before writing anything leaves no empty folder behind; a folder
that cannot be written is refused before the run, and checking it leaves nothing behind."""

from __future__ import annotations

import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from ogpu_sim.cli.main import main
from ogpu_sim.errors import OgpuSimError, ReportError
from ogpu_sim.simulate import runner
from ogpu_sim.simulate.report import check_run_folder
from ogpu_sim.simulate.runner import default_out_dir
from ogpu_sim.simulate.scenario import load_scenario

SMALL = Path(__file__).parent / "scenarios" / "small.toml"


class _Frozen(datetime):
    @classmethod
    def now(cls, tz: Any = None) -> Any:
        return datetime(2026, 12, 3, 8, 38, 25, tzinfo=timezone.utc)


def test_runs_started_in_the_same_second_get_folders_of_their_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "datetime", _Frozen)

    folders = [default_out_dir(tmp_path / "runs") for _ in range(3)]

    assert [f.name for f in folders] == [
        "20261203T083825Z",
        "20261203T083825Z-2",
        "20261203T083825Z-3",
    ]
    assert all(f.is_dir() and not any(f.iterdir()) for f in folders)


def test_a_run_folder_that_cannot_be_created_is_a_report_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")

    with pytest.raises(ReportError, match=f"^cannot write the run folder {blocker}/runs/"):
        default_out_dir(blocker / "runs")


def test_a_run_that_fails_before_writing_leaves_no_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(*args: Any, **kwargs: Any) -> Any:
        raise OgpuSimError("the chain did not start")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(runner, "simulate", failing)

    assert main(["simulate", "--no-progress"]) == 2
    assert list(tmp_path.iterdir()) == []


def test_a_run_that_fails_before_writing_keeps_the_runs_folder_it_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(*args: Any, **kwargs: Any) -> Any:
        raise OgpuSimError("the chain did not start")

    (tmp_path / "runs").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(runner, "simulate", failing)

    assert main(["simulate", "--no-progress"]) == 2
    assert [p.name for p in tmp_path.iterdir()] == ["runs"]
    assert list((tmp_path / "runs").iterdir()) == []


def test_simulate_refuses_a_run_folder_it_cannot_write_before_a_chain_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ogpu_sim.simulator import Simulator

    def no_chain(**options: Any) -> Any:
        raise AssertionError("a chain was started")

    afile = tmp_path / "afile"
    afile.write_text("")
    monkeypatch.setattr(Simulator, "start", no_chain)

    with pytest.raises(ReportError) as refused:
        runner.simulate(load_scenario(SMALL), afile, runner.RunOptions())

    assert str(refused.value) == (
        f"cannot write the run folder {afile}: [Errno 17] File exists: '{afile}'"
    )


def test_checking_a_run_folder_that_can_be_written_leaves_nothing_behind(tmp_path: Path) -> None:
    check_run_folder(tmp_path / "runs" / "mine")

    assert list(tmp_path.iterdir()) == []


def test_checking_an_existing_run_folder_keeps_it_as_it_was(tmp_path: Path) -> None:
    (tmp_path / "report.md").write_text("earlier run")

    check_run_folder(tmp_path)

    assert [(p.name, p.read_text()) for p in tmp_path.iterdir()] == [("report.md", "earlier run")]


def test_a_run_folder_that_cannot_be_written_into_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def read_only(**kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied", str(kwargs["dir"]))

    folder = tmp_path / "runs" / "mine"
    monkeypatch.setattr(tempfile, "TemporaryFile", read_only)

    with pytest.raises(ReportError) as refused:
        check_run_folder(folder)

    assert str(refused.value) == (
        f"cannot write the run folder {folder}: [Errno 13] Permission denied: '{folder}'"
    )
    assert list(tmp_path.iterdir()) == []
