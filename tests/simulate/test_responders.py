"""The runner's winners and payments come from the timeline: which simulated provider submitted
each response, for the payment it attempted with; the chain is read only for the others."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ogpu_sim.actors.timeline import Entry
from ogpu_sim.simulate import runner
from ogpu_sim.simulate.responders import Responders, address
from ogpu_sim.simulate.runner import RunOptions, simulate
from ogpu_sim.simulate.scenario import load_scenario

SMALL = Path(__file__).parent / "scenarios" / "small.toml"
TASK = "0x856e4424f806D16E8CBC702B3c0F2ede5468eae5"
PROVIDER = "0xa1153393636750230f4dB253300E59Ca8bD3a9c0"
OTHER = "0x4aF126598417209bFa57bab856963c42C2fee5Db"
RESPONSE = "0xE451980132E65465d0a498c53f0b5227326Dd73F"
LATER = "0x5392A33F7F677f59e833FEBF4016cDDD88fF9E67"
PAYMENT = 10**15


def attempted(provider: str, block: int, payment: int = PAYMENT) -> Entry:
    args = {"task": TASK, "provider": provider, "suggestedPayment": payment}
    return Entry("event", "Attempted", args, block, "NEXUS", "0x01")


def submitted(response: str, block: int) -> Entry:
    return Entry("event", "ResponseSubmitted", {"response": response, "task": TASK}, block, "NEXUS")


def responded(provider: str, block: int) -> Entry:
    return Entry("provider", "respond", {"task": TASK, "detail": "ipfs://x"}, block, provider)


def seen(*entries: Entry) -> Responders:
    responders = Responders()
    for entry in entries:
        responders.see(entry)
    return responders


def test_a_respond_action_after_its_receipts_event_names_provider_and_attempted_payment() -> None:
    responders = seen(
        attempted(PROVIDER, 21, payment=7),
        attempted(OTHER, 22),
        submitted(RESPONSE, 23),
        responded(PROVIDER, 23),
    )
    assert responders.params(RESPONSE) == (PROVIDER, 7)


def test_a_response_no_simulated_provider_recorded_is_unknown() -> None:
    responders = seen(attempted(PROVIDER, 21), submitted(RESPONSE, 23))
    assert responders.params(RESPONSE) is None


def test_a_respond_action_in_a_later_block_does_not_claim_an_earlier_response() -> None:
    responders = seen(
        attempted(PROVIDER, 21),
        attempted(OTHER, 22),
        submitted(RESPONSE, 23),  # its sender never recorded it (say, its receipt was lost)
        submitted(LATER, 25),
        responded(OTHER, 25),
    )
    assert responders.params(RESPONSE) is None
    assert responders.params(LATER) == (OTHER, PAYMENT)


def test_a_provider_without_an_attempt_on_the_task_is_unknown() -> None:
    responders = seen(submitted(RESPONSE, 23), responded(PROVIDER, 23))
    assert responders.params(RESPONSE) is None


def test_addresses_are_compared_in_checksum_form() -> None:
    responders = seen(
        attempted(PROVIDER.lower(), 21),
        submitted(RESPONSE.lower(), 23),
        responded(PROVIDER.lower(), 23),
    )
    assert responders.params(RESPONSE) == (PROVIDER, PAYMENT)
    assert address(TASK.lower()) == TASK
    assert address(None) == ""


def test_every_winner_and_payment_equals_the_response_contracts_params(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ogpu.protocol.response import Response

    compared: list[tuple[Any, Any, bool]] = []
    confirmed = runner._Run._confirmed

    def checked(run: Any, record: Any, response: str) -> None:
        confirmed(run, record, response)
        params = Response(response).get_params()
        on_chain = (str(params.provider), int(params.payment))
        compared.append(((record.winner, record.paid), on_chain, run.responders.params(response)))

    monkeypatch.setattr(runner._Run, "_confirmed", checked)
    options = RunOptions(backend="revm", runtime="inline")  # pyrevm is a dev dependency
    result = simulate(load_scenario(SMALL), tmp_path / "run", options)

    finalized = [t for t in result.report["tasks"] if t["status"] == "FINALIZED"]
    assert len(compared) == len(finalized) == 7  # both delivery methods among them
    assert [ours for ours, _, _ in compared] == [on_chain for _, on_chain, _ in compared]
    assert [known for _, _, known in compared] == [on_chain for _, on_chain, _ in compared]
    assert result.ok
