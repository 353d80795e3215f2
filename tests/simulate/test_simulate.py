"""``ogpu-sim simulate`` end to end on a small scenario (seconds): run folder, report, checks,
determinism for a seed, progress and summary output, exit codes."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from ogpu_sim.cli.main import main
from ogpu_sim.simulate import runner as workload
from ogpu_sim.simulate.report import PLOT_FILES, check_run, deterministic_part
from ogpu_sim.simulate.runner import RunOptions, plan, simulate
from ogpu_sim.simulate.scenario import load_scenario
from ogpu_sim.simulate.spec import SAMPLE_SOURCES

SMALL = Path(__file__).parent / "scenarios" / "small.toml"


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The small scenario run once through the CLI, with its progress display captured."""
    out = tmp_path_factory.mktemp("cli") / "run"
    stream = io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("rich.console.Console", lambda *a, **k: Console(file=stream, width=160))
        code = main(["simulate", str(SMALL), "--out", str(out)])
    report = json.loads((out / "report.json").read_text())
    return {"code": code, "out": out, "report": report, "output": stream.getvalue()}


def test_simulate_exits_zero_and_every_check_passes(cli_run: dict[str, Any]) -> None:
    assert cli_run["code"] == 0
    failed = [c for c in cli_run["report"]["checks"] if not c["ok"]]
    assert failed == []
    assert cli_run["report"]["ok"] is True


def test_the_run_folder_has_report_events_and_plots(cli_run: dict[str, Any]) -> None:
    names = {p.name for p in cli_run["out"].iterdir()}
    assert names == {"report.json", "report.md", "events.jsonl", *PLOT_FILES}


def test_every_planned_task_ends_as_the_scenario_implies(cli_run: dict[str, Any]) -> None:
    planned = plan(load_scenario(SMALL))
    tasks = cli_run["report"]["tasks"]
    assert [t["index"] for t in tasks] == list(range(len(planned)))
    for task, intent in zip(tasks, planned, strict=True):
        if intent.cancel:
            expected = "CANCELED"
        elif intent.source.name == "stuck":
            expected = "EXPIRED"  # only silent and failing providers serve it
        else:
            expected = "FINALIZED"
        assert (task["index"], task["status"]) == (intent.index, expected)
        assert task["payment"] == intent.payment
        assert task["expires_at"] - task["published_at"] == intent.duration


def test_figures_match_the_tasks(cli_run: dict[str, Any]) -> None:
    report = cli_run["report"]
    figures, tasks = report["figures"], report["tasks"]
    assert figures["status"] == {
        "NEW": 0,
        "ATTEMPTED": 0,
        "RESPONDED": 0,
        "CANCELED": 2,
        "EXPIRED": 1,
        "FINALIZED": 7,
    }
    assert figures["paid_wei"] == sum(t["paid"] for t in tasks if t["status"] == "FINALIZED")
    assert figures["paid_wei"] == sum(t["payment"] for t in tasks if t["status"] == "FINALIZED")
    assert sum(p["earnings"] for p in report["providers"]) == figures["paid_wei"]


def test_manual_tasks_finalize_after_the_clients_think_time(cli_run: dict[str, Any]) -> None:
    planned = {t.index: t for t in plan(load_scenario(SMALL))}
    manual = [
        t
        for t in cli_run["report"]["tasks"]
        if t["delivery"] == "MANUAL_CONFIRMATION" and t["status"] == "FINALIZED"
    ]
    assert len(manual) == 3
    for task in manual:
        assert task["latency"] >= planned[task["index"]].think


def test_silent_and_failing_providers_earn_nothing(cli_run: dict[str, Any]) -> None:
    earnings = cli_run["report"]["figures"]["earnings_by_behaviour_wei"]
    assert earnings["silent"] == 0
    assert earnings["failing"] == 0
    assert earnings["honest"] + earnings["racer"] + earnings["wrong"] > 0


def test_events_jsonl_holds_the_decoded_protocol_events(cli_run: dict[str, Any]) -> None:
    rows = [json.loads(line) for line in (cli_run["out"] / "events.jsonl").read_text().splitlines()]
    published = [r for r in rows if r["kind"] == "event" and r["name"] == "TaskPublished"]
    tasks = cli_run["report"]["tasks"]
    assert [r["args"]["task"] for r in published] == [t["address"] for t in tasks]
    assert [r["sim_time"] for r in published] == [t["published_at"] for t in tasks]
    assert all(
        set(r) == {"kind", "name", "emitter", "block", "tx", "args", "sim_time"} for r in rows
    )


def test_progress_and_summary_are_printed(cli_run: dict[str, Any]) -> None:
    output = cli_run["output"]
    assert "ogpu-sim simulate small (seed 17, 10 tasks) on eth-tester, runtime auto" in output
    assert "10/10 finalized 7 · expired 1 · canceled 2 · " in output
    assert "tasks FINALIZED" in output
    assert "PASS tasks_terminal: 10 tasks terminal" in output
    assert f"run folder: {cli_run['out']}" in output


def test_the_same_seed_gives_identical_report_figures(
    cli_run: dict[str, Any], tmp_path: Path
) -> None:
    again = simulate(load_scenario(SMALL), tmp_path / "again", RunOptions())
    first = deterministic_part(cli_run["report"])
    second = deterministic_part(json.loads((tmp_path / "again" / "report.json").read_text()))
    assert second == first
    assert again.ok


def test_another_seed_plans_another_workload() -> None:
    scenario = load_scenario(SMALL)
    assert plan(scenario) == plan(scenario)
    assert plan(scenario) != plan(scenario.with_overrides(seed=18))


def test_a_failed_check_exits_one_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def tampered(run: Any) -> Any:
        run.ledger_end.accounts[next(iter(run.ledger_end.accounts))].balance += 1
        return check_run(run)

    monkeypatch.setattr(workload, "check_run", tampered)
    code = main(
        ["simulate", str(SMALL), "--out", str(tmp_path / "run"), "--no-progress", "--tasks", "1"]
    )
    out = capsys.readouterr().out.replace("\n", " ")
    assert code == 1
    assert "FAIL funds_conserved_end: Vault native balance" in out
    assert "end-of-run checks failed" in out


def test_a_scenario_mistake_exits_two_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(SMALL.read_text().replace('delivery = "manual"', 'delivery = "later"'))
    code = main(["simulate", str(bad), "--out", str(tmp_path / "run")])
    out = capsys.readouterr().out.replace("\n", "")
    assert code == 2
    assert f"error: {bad}: sources[1].delivery: must be one of" in out
    assert not (tmp_path / "run").exists()


@pytest.mark.anvil
def test_the_anvil_backend_reproduces_the_in_process_figures(
    cli_run: dict[str, Any], tmp_path: Path
) -> None:
    result = simulate(load_scenario(SMALL), tmp_path / "anvil", RunOptions(backend="anvil"))
    first, second = cli_run["report"], result.report
    assert result.ok
    assert second["scenario"]["backend"] == "anvil"
    assert second["tasks"] == first["tasks"]
    without_blocks = [
        {k: v for k, v in r["figures"].items() if k != "blocks"} for r in (first, second)
    ]
    assert without_blocks[1] == without_blocks[0]


@pytest.mark.docker
def test_the_docker_runtime_runs_real_handler_images(tmp_path: Path) -> None:
    from tests.runtime.conftest import require_docker

    require_docker()
    scenario = tmp_path / "docker.toml"
    multiply = SAMPLE_SOURCES / "multiply"
    scenario.write_text(
        '[[clients]]\nname = "c"\n'
        f'[[sources]]\nname = "multiply"\nhandler = "{multiply}"\nfunction = "multiply"\n'
        'payload = { generator = "constant", data = { a = 6, b = 7 } }\n'
        "[[providers]]\ncount = 1\n[workload]\ntasks = 2\narrival_rate = 1\nexpiry = 300\n"
    )
    result = simulate(load_scenario(scenario), tmp_path / "run", RunOptions(runtime="docker"))
    assert result.ok
    assert result.report["figures"]["status"]["FINALIZED"] == 2


def test_a_run_with_a_chain_fault_rate_still_passes_its_checks(tmp_path: Path) -> None:
    import dataclasses

    from ogpu_sim.simulate.runner import RunOptions, simulate

    scenario = dataclasses.replace(load_scenario(SMALL), chain_fault_rate=0.2)
    result = simulate(scenario, tmp_path / "run", RunOptions(runtime="inline"))

    assert [c.name for c in result.checks if not c.ok] == []
    assert result.report["figures"]["chain_faults"] > 0
