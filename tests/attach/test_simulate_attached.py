"""``ogpu-sim simulate --network``: a scenario against a live network stand-in, in real time.

The stand-in is the session's ``ogpu-sim node --providers 1`` process: its own provider joins
every source the scenario publishes, so the run shares the chain with an account it does not
know, as on the testnet. Runs wait on the wall clock (a few seconds each).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ogpu_sim.cli.main import main
from ogpu_sim.errors import SpendCapError
from ogpu_sim.simulate.runner import RunOptions, simulate
from ogpu_sim.simulate.scenario import load_scenario
from ogpu_sim.simulate.spec import SAMPLE_SOURCES
from tests.attach.conftest import ETHER, Node

DEPOSIT = 10**16  # alice's deposit, 0.01 OGPU

SCENARIO = f"""
name = "attached"
seed = 1
time_compression = 0

[[clients]]
name = "alice"
deposit = 0.01

[[sources]]
name = "multiply"
client = "alice"
handler = "{SAMPLE_SOURCES / "multiply"}"
environments = ["cpu"]
delivery = "first_response"
min_payment = 0.001
max_expiry = 60
function = "multiply"
payload = {{ generator = "random_ints", fields = {{ a = [1, 9], b = [1, 9] }} }}

[[providers]]
source = "multiply"
count = 1
environment = "cpu"
behaviours = {{ honest = 1 }}
stake = 0

[workload]
tasks = 2
arrival_rate = 1
payment = {{ distribution = "fixed", value = 0.001 }}
expiry = {{ distribution = "fixed", value = 3 }}
cancellation_rate = 0
"""

ATTACH_CHECKS = [
    "tasks_accounted",
    "escrow_per_task",
    "escrow_released",
    "client_vault_balance",
    "provider_earnings",
    "handlers_answered",
    "spend_cap_held",
]
SKIPPED = [
    "funds_conserved_start",
    "funds_conserved_end",
    "value_conserved",
    "payments_match",
    "tasks_terminal",
]


@pytest.fixture
def keys(node: Node, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A fresh client and master with 10 OGPU each, in the SDK's variables."""
    fresh = node.fresh_keys(deposit=0)
    monkeypatch.setenv("CLIENT_PRIVATE_KEY", fresh["client"])
    monkeypatch.setenv("MASTER_PRIVATE_KEY", fresh["master"])
    return fresh


def scenario_file(tmp_path: Path, text: str = SCENARIO) -> Path:
    path = tmp_path / "attached.toml"
    path.write_text(text)
    return path


def simulate_cli(scenario: Path, out: Path, network: str, *extra: str) -> int:
    argv = ["simulate", str(scenario), "--out", str(out), "--no-progress", "--network", network]
    return main([*argv, "--runtime", "inline", *extra])


def address(key: str) -> str:
    from eth_account import Account

    return str(Account.from_key(key).address)


def test_a_scenario_attached_by_url_passes_the_attach_checks_and_names_the_skipped_ones(
    node: Node, keys, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("OGPU_SIM_NODE", str(node.info_file))  # the addresses for the URL

    code = simulate_cli(scenario_file(tmp_path), tmp_path / "run", node.rpc_url)

    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert code == 0
    assert [task["status"] for task in report["tasks"]] == ["FINALIZED", "FINALIZED"]
    assert report["scenario"]["backend"] == f"attach {node.rpc_url}"
    assert [(c["name"], c["ok"]) for c in report["checks"]] == [(n, True) for n in ATTACH_CHECKS]
    assert [c["name"] for c in report["skipped_checks"]] == SKIPPED
    assert report["attach"]["spend_cap_wei"] == ETHER
    # The fresh client's deposit and the provider's earnings came back: only gas was spent.
    assert 0 < report["attach"]["own_loss_wei"] <= report["attach"]["counted_spend_wei"] < DEPOSIT
    assert report["attach"]["left_in_vault_wei"] == {}
    console = capsys.readouterr().out
    assert "spend cap 1 OGPU (1000000000000000000 wei); spending from (native / Vault" in console
    assert f"{address(keys['master'])}  10 OGPU (10000000000000000000 wei) / 0 OGPU" in console
    assert "NOT RUN value_conserved (shared chain)" in console


def test_a_task_answered_too_late_expires_on_the_wall_clock_and_its_payment_comes_back(
    node: Node, keys, tmp_path
):
    # The local provider is late: it holds its answer past the expiry, so its submission reverts
    # and its next attempt expires the task. The node's provider runs a handler without
    # "multiply" and never answers. The run waits for the expiry: a live clock cannot be moved.
    text = SCENARIO.replace("honest = 1", "late = 1").replace("tasks = 2", "tasks = 1")

    code = simulate_cli(scenario_file(tmp_path, text), tmp_path / "run", str(node.info_file))

    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert code == 0
    assert [(t["status"], t["paid"], t["winner"]) for t in report["tasks"]] == [
        ("EXPIRED", 0, None)
    ]
    checks = {c["name"]: c for c in report["checks"]}
    assert all(c["ok"] for c in checks.values())
    assert checks["client_vault_balance"]["detail"] == (
        "alice: Vault balance change 0 wei == -1000000000000000 escrowed + 1000000000000000 "
        "refunded + 0 returned"
    )
    assert report["attach"]["left_in_vault_wei"] == {}


def test_a_run_past_the_spend_cap_raises_spend_cap_error_before_sending(node: Node, keys, tmp_path):
    scenario = load_scenario(scenario_file(tmp_path))
    options = RunOptions(network=str(node.info_file), runtime="inline", max_spend="0.005 OGPU")

    with pytest.raises(SpendCapError) as refused:
        simulate(scenario, tmp_path / "run", options)

    assert (refused.value.cap, refused.value.spent) == (5 * 10**15, 0)
    assert refused.value.option == "max_spend="
    assert refused.value.cost > DEPOSIT  # funding alice: her deposit and her gas
    assert node.w3.eth.get_balance(address(keys["master"])) == 10 * ETHER
    assert not (tmp_path / "run").exists()


def test_a_run_past_the_spend_cap_exits_2_naming_the_cap(node: Node, keys, tmp_path, capsys):
    code = simulate_cli(
        scenario_file(tmp_path), tmp_path / "run", str(node.info_file), "--max-spend", "0.005 OGPU"
    )

    assert code == 2
    console = " ".join(capsys.readouterr().out.split())
    assert f"error: spend cap: refusing a transaction from {address(keys['master'])}" in console
    assert (
        "the run has spent 0 of its 5000000000000000 wei cap; raise it with --max-spend if you "
        "mean to spend more"
    ) in console


def test_a_scenario_needing_more_than_the_wait_timeout_is_refused_before_attaching(
    tmp_path, capsys, no_role_keys
):
    # Nothing listens at the URL and no key is set: the refusal comes before either matters.
    code = simulate_cli(
        scenario_file(tmp_path), tmp_path / "run", "http://127.0.0.1:9", "--wait-timeout", "3"
    )

    assert code == 2
    console = " ".join(capsys.readouterr().out.split())
    assert "workload.expiry: attach mode (http://127.0.0.1:9): a task may expire 3s" in console
    assert not (tmp_path / "run").exists()
