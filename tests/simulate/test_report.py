"""End-of-run checks, report figures and the run folder, on a small synthetic run."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from ogpu_sim.simulate.report import (
    PLOT_FILES,
    Account,
    Actor,
    Ledger,
    RunData,
    TaskRecord,
    build_report,
    check_run,
    deterministic_part,
    render_markdown,
    status_over_time,
    write_run_folder,
)

E = 10**18
CLIENT, P1, P2 = "0x" + "c" * 40, "0x" + "1" * 40, "0x" + "2" * 40


def synthetic_run() -> RunData:
    """One client, two providers; a task finalized (paid to P1), one expired, one canceled."""
    tasks = [
        TaskRecord(
            0,
            "0xT0",
            "echo",
            "FIRST_RESPONSE",
            "alice",
            E // 10,
            0,
            60,
            "FINALIZED",
            4,
            attempts=2,
            responses=1,
            winner=P1,
            paid=E // 10,
        ),
        TaskRecord(
            1,
            "0xT1",
            "echo",
            "MANUAL_CONFIRMATION",
            "alice",
            2 * E // 10,
            10,
            70,
            "EXPIRED",
            71,
            attempts=1,
        ),
        TaskRecord(
            2,
            "0xT2",
            "echo",
            "MANUAL_CONFIRMATION",
            "alice",
            3 * E // 10,
            20,
            80,
            "CANCELED",
            20,
            cancel_planned=True,
        ),
    ]
    actors = [
        Actor("alice", "client", CLIENT),
        Actor("echo-honest-0", "provider", P1, "honest", "echo", "cpu"),
        Actor("echo-silent-1", "provider", P2, "silent", "echo", "cpu"),
    ]
    start = Ledger(
        12 * E, {CLIENT: Account(balance=10 * E), P1: Account(lockup=E), P2: Account(lockup=E)}
    )
    end = Ledger(
        12 * E,
        {
            CLIENT: Account(balance=10 * E - E // 10),
            P1: Account(balance=E // 10, lockup=E, earnings=E // 10),
            P2: Account(lockup=E),
        },
    )
    return RunData(
        "tiny",
        3,
        "eth-tester",
        "inline",
        tasks,
        actors,
        start,
        end,
        events=[{"name": "TaskPublished", "block": 5}],
        blocks=30,
        transactions=25,
        duration=80,
        timing={"wall_seconds": 1.5},
    )


def check(run: RunData, name: str) -> tuple[bool, str]:
    found = {c.name: c for c in check_run(run)}[name]
    return found.ok, found.detail


def test_a_consistent_run_passes_every_check() -> None:
    checks = check_run(synthetic_run())
    assert [c.name for c in checks] == [
        "funds_conserved_start",
        "funds_conserved_end",
        "value_conserved",
        "payments_match",
        "escrow_released",
        "tasks_terminal",
        "provider_earnings",
        "handlers_answered",
    ]
    assert all(c.ok for c in checks), [c for c in checks if not c.ok]


def _handler_failed(emitter: str, detail: str) -> dict[str, object]:
    return {
        "kind": "provider",
        "name": "handler-failed",
        "emitter": emitter,
        "args": {"detail": detail},
    }


def test_a_handler_that_refuses_the_scenarios_input_fails_the_run() -> None:
    run = synthetic_run()
    refused = (
        f"multiply rejected the input of task 0x{'b' * 40}: no function 'multiply'; "
        "the handler exposes: reverse"
    )
    other_task = refused.replace("b" * 40, "a" * 40)
    run.events += [_handler_failed(P1, refused), _handler_failed(P1, other_task)]
    assert check(run, "handlers_answered") == (
        False,
        f"2 handler runs of providers that are not `failing` failed: {refused}",
    )


def test_a_failing_providers_handler_failures_are_its_behaviour() -> None:
    run = synthetic_run()
    run.actors[2].behaviour = "failing"
    run.events.append(_handler_failed(P2, "no callback"))
    assert check(run, "handlers_answered") == (True, "every handler run answered")


def test_a_tampered_account_balance_breaks_conservation() -> None:
    run = synthetic_run()
    run.ledger_end.accounts[CLIENT].balance += 5
    assert check(run, "funds_conserved_end") == (
        False,
        f"Vault native balance {12 * E} wei != sum of account buckets {12 * E + 5} wei "
        "(difference -5 wei)",
    )
    assert check(run, "value_conserved")[0] is False


def test_a_deposit_during_the_run_keeps_value_conserved() -> None:
    run = synthetic_run()
    run.ledger_end.vault_balance += 7
    run.ledger_end.accounts[P2].balance += 7
    assert check(run, "funds_conserved_end")[0] is True
    assert check(run, "value_conserved") == (
        True,
        "change of all accounts' Vault holdings 7 wei "
        "== change of the Vault's native balance 7 wei",
    )


def test_earnings_not_backed_by_finalized_tasks_fail_payments_match() -> None:
    run = synthetic_run()
    run.ledger_end.accounts[P2].earnings += 7
    assert check(run, "payments_match") == (
        False,
        f"providers' earnings {E // 10 + 7} wei != payments of finalized tasks {E // 10} wei",
    )


def test_a_provider_paid_more_than_its_confirmed_responses_fails_with_its_name() -> None:
    run = synthetic_run()
    run.ledger_end.accounts[P1].earnings += 1
    assert check(run, "provider_earnings") == (
        False,
        f"echo-honest-0 earned {E // 10 + 1} wei but its confirmed responses sum to {E // 10} wei",
    )


def test_an_unexplained_unfinished_task_fails_and_an_explained_one_passes() -> None:
    run = synthetic_run()
    run.tasks[1].status = "ATTEMPTED"
    run.ledger_end.accounts[CLIENT].frozen = 2 * E // 10
    run.ledger_end.accounts[CLIENT].balance -= 2 * E // 10
    assert check(run, "tasks_terminal") == (
        False,
        "1 task(s) unfinished, unexplained: #1 0xT1 ATTEMPTED",
    )
    assert check(run, "escrow_released")[0] is True
    run.tasks[1].explanation = "silent provider held it when the run ended"
    assert check(run, "tasks_terminal") == (True, "2 tasks terminal, 1 explained")


def test_escrow_left_frozen_for_a_terminal_task_fails() -> None:
    run = synthetic_run()
    run.ledger_end.accounts[CLIENT].frozen = 3
    run.ledger_end.accounts[CLIENT].balance -= 3
    assert check(run, "escrow_released") == (
        False,
        "clients' frozen payments 3 wei != payments of unfinished tasks 0 wei",
    )


def test_report_figures_count_statuses_latency_and_earnings() -> None:
    report = build_report(synthetic_run(), [])
    figures = report["figures"]
    assert figures["status"] == {
        "NEW": 0,
        "ATTEMPTED": 0,
        "RESPONDED": 0,
        "CANCELED": 1,
        "EXPIRED": 1,
        "FINALIZED": 1,
    }
    assert figures["latency_seconds"]["FIRST_RESPONSE"] == {
        "count": 1,
        "min": 4,
        "p50": 4,
        "p90": 4,
        "max": 4,
        "mean": 4.0,
    }
    assert figures["latency_seconds"]["MANUAL_CONFIRMATION"] == {"count": 0}
    assert figures["earnings_by_behaviour_wei"] == {"honest": E // 10, "silent": 0}
    assert figures["escrowed_wei"] == 6 * E // 10
    assert figures["cancellations_planned"] == 1
    flows = {row["name"]: row for row in report["vault_flows"]}
    assert flows["alice"] == {
        "name": "alice",
        "role": "client",
        "address": CLIENT,
        "escrowed": 6 * E // 10,
        "paid": E // 10,
        "refunded": 5 * E // 10,
        "returned_remainder": 0,
        "net_change": -E // 10,
    }
    assert flows["echo-honest-0"]["earned"] == E // 10


def test_status_over_time_counts_open_and_ended_tasks_at_each_point() -> None:
    rows = status_over_time(synthetic_run().tasks, 80)
    by_time = {r["time"]: r for r in rows}
    assert by_time[0] == {"time": 0, "open": 1, "FINALIZED": 0, "EXPIRED": 0, "CANCELED": 0}
    assert by_time[20] == {"time": 20, "open": 1, "FINALIZED": 1, "EXPIRED": 0, "CANCELED": 1}
    assert by_time[80] == {"time": 80, "open": 0, "FINALIZED": 1, "EXPIRED": 1, "CANCELED": 1}


def test_the_deterministic_part_leaves_out_only_timing() -> None:
    one, two = synthetic_run(), synthetic_run()
    two.timing = {"wall_seconds": 99.0}
    assert deterministic_part(build_report(one, [])) == deterministic_part(build_report(two, []))
    assert set(build_report(one, [])) - set(deterministic_part(build_report(one, []))) == {"timing"}


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run")
    write_run_folder(synthetic_run(), out)
    return out


def test_the_run_folder_holds_the_report_events_and_plots(run_folder: Path) -> None:
    names = sorted(p.name for p in run_folder.iterdir())
    assert names == sorted(["report.json", "report.md", "events.jsonl", *PLOT_FILES])
    for plot in PLOT_FILES:
        assert (run_folder / plot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_json_schema(run_folder: Path) -> None:
    report = json.loads((run_folder / "report.json").read_text())
    assert list(report) == [
        "schema",
        "scenario",
        "figures",
        "providers",
        "vault_flows",
        "status_over_time",
        "tasks",
        "ledger",
        "checks",
        "ok",
        "timing",
    ]
    assert report["schema"] == 1
    assert report["scenario"] == {
        "name": "tiny",
        "seed": 3,
        "backend": "eth-tester",
        "runtime": "inline",
        "runtimes_used": {},
    }
    assert report["ok"] is True
    assert set(report["tasks"][0]) == {
        "index",
        "address",
        "source",
        "delivery",
        "client",
        "payment",
        "published_at",
        "expires_at",
        "status",
        "ended_at",
        "attempts",
        "responses",
        "winner",
        "paid",
        "cancel_planned",
        "explanation",
        "rejected",
        "latency",
    }
    assert set(report["providers"][0]) == {
        "name",
        "role",
        "address",
        "behaviour",
        "source",
        "environment",
        "master",
        "earnings",
        "confirmed_responses",
        "rejected_responses",
        "actions",
    }
    assert report["ledger"]["end"]["accounts"][P1] == {
        "balance": E // 10,
        "lockup": E,
        "unbonding": 0,
        "frozen": 0,
        "sanction": 0,
        "earnings": E // 10,
    }
    assert report["timing"] == {"wall_seconds": 1.5}


def test_events_jsonl_has_one_json_object_per_line(run_folder: Path) -> None:
    lines = (run_folder / "events.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in lines] == [{"block": 5, "name": "TaskPublished"}]


def test_report_md_lists_checks_and_statuses(run_folder: Path) -> None:
    text = (run_folder / "report.md").read_text()
    assert text.startswith("# ogpu-sim run: tiny (seed 3)\n")
    assert "- PASS `tasks_terminal`: 3 tasks terminal" in text
    assert "| FINALIZED | 1 |" in text


def test_checks_in_the_report_are_the_ones_given() -> None:
    run = synthetic_run()
    broken = copy.deepcopy(run)
    broken.ledger_end.vault_balance -= 1
    report = build_report(broken, check_run(broken))
    assert report["ok"] is False
    assert [c["name"] for c in report["checks"] if not c["ok"]] == [
        "funds_conserved_end",
        "value_conserved",
    ]


def _headline(runtime: str, used: dict[str, list[str]]) -> str:
    run = synthetic_run()
    run.runtime, run.runtimes_used = runtime, used
    return render_markdown(build_report(run, check_run(run))).splitlines()[2]


def test_report_md_names_the_runtime_auto_chose() -> None:
    assert _headline("auto", {"echo:cpu": ["inline"], "vision:nvidia": ["inline"]}).startswith(
        "Backend `eth-tester`, runtime `auto` (inline); 3 tasks"
    )


def test_report_md_names_each_sources_runtime_when_auto_chose_several() -> None:
    assert _headline("auto", {"echo:cpu": ["inline"], "vision:nvidia": ["docker"]}).startswith(
        "Backend `eth-tester`, runtime `auto` (echo:cpu inline, vision:nvidia docker); 3 tasks"
    )


def test_report_md_adds_nothing_when_the_runtime_was_named() -> None:
    assert _headline("process", {"echo:cpu": ["process"]}).startswith(
        "Backend `eth-tester`, runtime `process`; 3 tasks"
    )
