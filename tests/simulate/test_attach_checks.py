"""The checks of a run attached to a live network (``simulate --network``), on synthetic runs,
and the scenario keys such a run refuses before it attaches."""

from __future__ import annotations

import pytest

from ogpu_sim.errors import AttachScenarioError
from ogpu_sim.simulate.attached import check_attachable, longest_expiry
from ogpu_sim.simulate.console import attach_lines
from ogpu_sim.simulate.records import AttachFacts
from ogpu_sim.simulate.report import build_report, check_run, render_markdown, skipped_checks
from ogpu_sim.simulate.scenario import parse_scenario
from tests.simulate.test_report import CLIENT, E, synthetic_run
from tests.simulate.test_scenario import with_change

USER = "0x" + "a" * 40
GAS = 3 * 10**15


def attached_run():
    """The synthetic run (a task finalized, one expired, one canceled), attached."""
    run = synthetic_run()
    run.attach = AttachFacts(
        network="http://127.0.0.1:8545",
        cap=E,
        counted_spend=GAS,
        own_start={USER: 20 * E},
        own_end={USER: 20 * E - GAS},
        published=["0xT0", "0xT1", "0xT2"],
        task_payments={"0xT0": E // 10, "0xT1": 2 * E // 10, "0xT2": 3 * E // 10},
        task_status={"0xT0": "FINALIZED", "0xT1": "EXPIRED", "0xT2": "CANCELED"},
    )
    return run


def check(run, name: str) -> tuple[bool, str]:
    found = {c.name: c for c in check_run(run)}[name]
    return found.ok, found.detail


def test_an_attached_run_runs_the_attach_checks_and_they_pass() -> None:
    checks = check_run(attached_run())
    assert [c.name for c in checks] == [
        "tasks_accounted",
        "escrow_per_task",
        "escrow_released",
        "client_vault_balance",
        "provider_earnings",
        "handlers_answered",
        "spend_cap_held",
    ]
    assert all(c.ok for c in checks), [c for c in checks if not c.ok]


def test_an_attached_run_names_every_local_check_it_does_not_run() -> None:
    assert [s.name for s in skipped_checks(attached_run())] == [
        "funds_conserved_start",
        "funds_conserved_end",
        "value_conserved",
        "payments_match",
        "tasks_terminal",
    ]


def test_a_local_run_skips_no_check() -> None:
    assert skipped_checks(synthetic_run()) == []


def test_a_task_the_run_published_but_did_not_report_fails_tasks_accounted() -> None:
    run = attached_run()
    assert run.attach is not None
    run.attach.published.append("0xT9")
    assert check(run, "tasks_accounted") == (
        False,
        "published by the run but not reported: 0xT9",
    )


def test_a_task_still_open_is_listed_with_its_id_and_why() -> None:
    run = attached_run()
    run.tasks[1].status = "ATTEMPTED"
    run.tasks[1].explanation = "past its expiry; no provider's attempt ended it within 300s"
    assert check(run, "tasks_accounted") == (
        True,
        "3 tasks published by the run, 2 terminal; still open on the network: #1 0xT1 "
        "ATTEMPTED (past its expiry; no provider's attempt ended it within 300s)",
    )


def test_escrow_other_than_the_planned_payment_fails_escrow_per_task() -> None:
    run = attached_run()
    assert run.attach is not None
    run.attach.task_payments["0xT1"] -= 1
    assert check(run, "escrow_per_task") == (
        False,
        f"#1 escrowed {2 * E // 10 - 1} wei, planned {2 * E // 10} wei",
    )


def test_a_status_on_chain_other_than_the_records_fails_escrow_per_task() -> None:
    run = attached_run()
    assert run.attach is not None
    run.attach.task_status["0xT2"] = "NEW"
    assert check(run, "escrow_per_task") == (
        False,
        "#2 is NEW on chain but CANCELED in the run's records",
    )


def test_escrow_per_task_sums_what_was_paid_refunded_and_frozen() -> None:
    assert check(attached_run(), "escrow_per_task") == (
        True,
        f"each task's escrow equals its payment ({6 * E // 10} wei): {E // 10} wei paid to "
        f"winners + 0 wei returned, {5 * E // 10} wei refunded, 0 wei still frozen for open tasks",
    )


def test_a_client_balance_missing_a_refund_fails_client_vault_balance() -> None:
    run = attached_run()
    run.ledger_end.accounts[CLIENT].balance -= 2 * E // 10
    assert check(run, "client_vault_balance") == (
        False,
        f"alice: Vault balance change {-3 * E // 10} wei != -{6 * E // 10} escrowed + "
        f"{5 * E // 10} refunded + 0 returned",
    )


def test_keys_losing_more_than_the_ledger_counted_fail_spend_cap_held() -> None:
    run = attached_run()
    assert run.attach is not None
    run.attach.own_end[USER] -= 1
    assert check(run, "spend_cap_held") == (
        False,
        f"your keys hold {GAS + 1} wei less, more than the {GAS} wei counted",
    )


def test_a_counted_spend_past_the_cap_fails_spend_cap_held() -> None:
    run = attached_run()
    assert run.attach is not None
    run.attach.cap = GAS - 1
    assert check(run, "spend_cap_held") == (
        False,
        f"counted spend {GAS} wei passed the {GAS - 1} wei cap",
    )


def test_the_report_of_an_attached_run_names_skipped_checks_and_spend() -> None:
    run = attached_run()
    run.attach.left_in_vault = {"0x" + "b" * 40: E}  # type: ignore[union-attr]
    run.attach.kept_keys = "/cache/attach-keys/31337.jsonl"  # type: ignore[union-attr]
    report = build_report(run, check_run(run))
    assert list(report)[-5:] == ["checks", "skipped_checks", "attach", "ok", "timing"]
    assert report["attach"] == {
        "network": "http://127.0.0.1:8545",
        "spend_cap_wei": E,
        "counted_spend_wei": GAS,
        "own_loss_wei": GAS,
        "own_accounts": {USER: {"start_wei": 20 * E, "end_wei": 20 * E - GAS}},
        "left_in_vault_wei": {"0x" + "b" * 40: E},
        "kept_keys_file": "/cache/attach-keys/31337.jsonl",
    }
    assert report["ok"] is True
    markdown = render_markdown(report)
    assert (
        "- NOT RUN `value_conserved` (attached to a shared chain): other accounts move the "
        "Vault's native balance during the run" in markdown
    )


# -- what an attached run refuses -----------------------------------------------------------


@pytest.mark.parametrize(
    ("expiry", "longest"),
    [
        (30, 30),
        ({"distribution": "uniform", "min": 60, "max": 120}, 120),
        ({"distribution": "exponential", "min": 5, "mean": 30}, 600),  # the source's max_expiry
    ],
)
def test_the_longest_expiry_is_the_distributions_top_held_to_max_expiry(expiry, longest) -> None:
    assert longest_expiry(parse_scenario(with_change("workload.expiry", expiry))) == longest


def test_an_expiry_past_the_wait_timeout_is_refused_naming_workload_expiry() -> None:
    scenario = parse_scenario(with_change("workload.expiry", 300))
    with pytest.raises(AttachScenarioError) as caught:
        check_attachable(scenario, "testnet", wait_timeout=300)
    assert caught.value.option == "workload.expiry"
    assert caught.value.network == "testnet"
    assert str(caught.value) == (
        "workload.expiry: attach mode (testnet): a task may expire 300s after it is published; "
        "a live network's clock cannot be moved, so the run waits for expiries on the wall "
        "clock, and that is not under the 300s wait timeout; use a fixed or uniform expiry "
        "below it, or raise --wait-timeout"
    )


def test_injected_chain_faults_are_refused_naming_chain_fault_rate() -> None:
    scenario = parse_scenario(with_change("chain_fault_rate", 0.1))
    with pytest.raises(AttachScenarioError) as caught:
        check_attachable(scenario, "testnet", wait_timeout=300)
    assert caught.value.option == "chain_fault_rate"


def test_a_scenario_with_short_expiries_and_no_faults_is_attachable() -> None:
    scenario = parse_scenario(with_change("workload.expiry", 299))
    assert check_attachable(scenario, "testnet", wait_timeout=300) is None


def test_the_console_names_what_stayed_in_the_vault_and_where_its_keys_are_kept() -> None:
    run = attached_run()
    run.attach.left_in_vault = {"0x" + "b" * 40: E}  # type: ignore[union-attr]
    run.attach.kept_keys = "/cache/attach-keys/31337.jsonl"  # type: ignore[union-attr]
    lines = attach_lines(build_report(run, check_run(run))["attach"])
    assert lines[1:] == [
        f"  still in the Vault under fresh account {'0x' + 'b' * 40}: 1 OGPU "
        f"({E} wei) (a stake still locked or an escrow still frozen)",
        "  their keys are kept in /cache/attach-keys/31337.jsonl: unbond and claim later",
    ]
