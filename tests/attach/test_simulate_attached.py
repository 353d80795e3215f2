"""``ogpu-sim simulate --network``: a scenario against a live network stand-in, in real time."""

from __future__ import annotations

import json

from ogpu_sim.cli.main import main
from ogpu_sim.simulate.spec import SAMPLE_SOURCES
from tests.attach.conftest import Node

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


def test_a_scenario_runs_attached_and_its_tasks_finalize(node: Node, tmp_path, monkeypatch):
    keys = node.fresh_keys(deposit=0)
    monkeypatch.setenv("CLIENT_PRIVATE_KEY", keys["client"])
    monkeypatch.setenv("MASTER_PRIVATE_KEY", keys["master"])
    scenario = tmp_path / "attached.toml"
    scenario.write_text(SCENARIO)

    code = main(
        [
            "simulate",
            str(scenario),
            "--out",
            str(tmp_path / "run"),
            "--no-progress",
            "--network",
            str(node.info_file),
            "--runtime",
            "inline",
        ]
    )

    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert [task["status"] for task in report["tasks"]] == ["FINALIZED", "FINALIZED"]
    assert report["scenario"]["backend"] == f"attach {node.info_file}"
    # The Vault-wide checks compare the whole Vault with the run's own accounts: on a shared
    # network they cannot hold, so the run exits 1 (see the README).
    assert [c["name"] for c in report["checks"] if not c["ok"]] == [
        "funds_conserved_start",
        "funds_conserved_end",
    ]
    assert code == 1
