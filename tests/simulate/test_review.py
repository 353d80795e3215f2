"""Simulated clients review MANUAL responses against the source's output model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ogpu_sim.simulate.review import Reviewer
from ogpu_sim.simulate.runner import RunOptions, simulate
from ogpu_sim.simulate.scenario import parse_scenario
from ogpu_sim.simulate.spec import SAMPLE_SOURCES

MANUAL_WITH_A_WRONG_PROVIDER = """
name = "review"
seed = 3

[[clients]]
name = "carol"
deposit = 5
review = {review}

[[sources]]
name = "multiply"
client = "carol"
handler = "{handler}"
delivery = "manual"
min_payment = "0.01"
max_expiry = 600
function = "multiply"
payload = {{ generator = "random_ints", fields = {{ a = [1, 9], b = [1, 9] }} }}

[[providers]]
source = "multiply"
count = 1
behaviours = {{ wrong = 1 }}

[workload]
tasks = 3
arrival_rate = 1
payment = {{ distribution = "fixed", value = 0.01 }}
expiry = {{ distribution = "fixed", value = 120 }}
"""


def _run(tmp_path: Path, review: bool) -> dict[str, Any]:
    import tomllib

    text = MANUAL_WITH_A_WRONG_PROVIDER.format(
        review=str(review).lower(), handler=SAMPLE_SOURCES / "multiply"
    )
    scenario = parse_scenario(tomllib.loads(text))
    result = simulate(scenario, tmp_path / "run", RunOptions(runtime="inline"))
    assert result.ok, [c for c in result.checks if not c.ok]
    return json.loads((tmp_path / "run" / "report.json").read_text())


def test_a_reviewing_client_rejects_a_wrong_payload_and_is_refunded(tmp_path: Path) -> None:
    report = _run(tmp_path, review=True)

    (provider,) = report["providers"]
    assert report["figures"]["responses_rejected"] == 3
    assert (provider["rejected_responses"], provider["earnings"]) == (3, 0)
    assert report["figures"]["status"]["EXPIRED"] == 3
    assert {t["explanation"] for t in report["tasks"]} == {
        "the client's review rejected every response; the judge refunded the escrow at expiry"
    }


def test_a_trusting_client_confirms_the_wrong_payload_and_pays(tmp_path: Path) -> None:
    report = _run(tmp_path, review=False)

    (provider,) = report["providers"]
    assert report["figures"]["responses_rejected"] == 0
    assert provider["earnings"] == 3 * 10**16
    assert report["figures"]["status"]["FINALIZED"] == 3


def _spec(handler: Path | None, function: str = "multiply") -> Any:
    from ogpu_sim.simulate.spec import SourceSpec

    fields = {f: None for f in SourceSpec.__dataclass_fields__}
    fields.update(
        name=f"s-{function}-{handler is None}",
        handler=handler,
        function=function,
        environments=("cpu",),
    )
    return SourceSpec(**fields)


def test_the_reviewer_accepts_the_handlers_output_model() -> None:
    assert Reviewer().review(_spec(SAMPLE_SOURCES / "multiply"), {"result": 35}) is None


def test_the_reviewer_names_the_missing_field() -> None:
    reason = Reviewer().review(_spec(SAMPLE_SOURCES / "multiply"), {"ogpu_sim_wrong_output": 1})

    assert reason is not None
    assert reason.startswith("does not match ")
    assert "result: Field required" in reason


def test_without_a_handler_only_the_canned_answer_passes() -> None:
    spec = _spec(None)
    reviewer = Reviewer()

    assert reviewer.review(spec, {"ogpu_sim": "canned", "input": {}}) is None
    assert reviewer.review(spec, {"ogpu_sim_wrong_output": 1}) == "not the source's canned answer"


def test_an_unknown_function_leaves_the_source_unreviewed_and_says_why() -> None:
    reviewer = Reviewer()

    assert reviewer.review(_spec(SAMPLE_SOURCES / "multiply", "divide"), {"x": 1}) is None
    assert reviewer.unavailable == {"s-divide-False": "KeyError: 'divide'"}


def test_review_must_be_a_boolean() -> None:
    import tomllib

    from ogpu_sim.errors import ScenarioError

    data = tomllib.loads(MANUAL_WITH_A_WRONG_PROVIDER.format(review='"yes"', handler="x"))
    with pytest.raises(ScenarioError, match=r"clients\[0\]\.review: must be true or false"):
        parse_scenario(data)
