"""`ogpu-sim simulate` refuses, before anything starts, options it could only get wrong at the
end of the run or ignore: a run folder it cannot write, a bad --max-spend or --wait-timeout,
and either of those without --network."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ogpu_sim.cli.main import main
from ogpu_sim.errors import OgpuSimError
from ogpu_sim.simulate import runner

SMALL = Path(__file__).parents[1] / "simulate" / "scenarios" / "small.toml"
NETWORK = "http://127.0.0.1:9"


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The RunOptions of every run the command started (it is stopped there)."""
    started: list[Any] = []

    def fake_simulate(scenario: Any, out: Path, options: Any, **callbacks: Any) -> Any:
        started.append(options)
        raise OgpuSimError("stop here")

    monkeypatch.setattr(runner, "simulate", fake_simulate)
    return started


def simulate(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """Run ``ogpu-sim simulate small.toml --no-progress ARGS``; its exit code and its output."""
    code = main(["simulate", str(SMALL), "--no-progress", *args])
    return code, capsys.readouterr().out


def test_an_out_that_is_a_file_is_refused_before_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], runs: list[Any]
) -> None:
    afile = tmp_path / "afile"
    afile.write_text("mine")

    code, out = simulate(capsys, "--out", str(afile))

    assert (code, runs) == (2, [])
    assert out == f"error: cannot write the run folder {afile}: [Errno 17] File exists: '{afile}'\n"
    assert afile.read_text() == "mine"


def test_an_out_inside_a_file_is_refused_before_the_run_leaving_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], runs: list[Any]
) -> None:
    afile = tmp_path / "afile"
    afile.write_text("")
    folder = afile / "run"

    code, out = simulate(capsys, "--out", str(folder))

    assert (code, runs) == (2, [])
    assert (
        out
        == f"error: cannot write the run folder {folder}: [Errno 20] Not a directory: '{folder}'\n"
    )
    assert list(tmp_path.iterdir()) == [afile]


def test_a_writable_out_is_not_created_before_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], runs: list[Any]
) -> None:
    folder = tmp_path / "new" / "run"

    code, _ = simulate(capsys, "--out", str(folder))

    assert (code, len(runs)) == (2, 1)  # it got to the run, which stopped
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("option", "value"), [("--max-spend", "2 OGPU"), ("--wait-timeout", "30")])
def test_an_attach_option_without_network_is_refused_naming_both(
    option: str, value: str, capsys: pytest.CaptureFixture[str], runs: list[Any]
) -> None:
    code, out = simulate(capsys, option, value)

    assert (code, runs) == (2, [])
    assert out == f"error: {option}: only goes with --network URL\n"


def test_the_default_max_spend_given_without_network_is_refused_too(
    capsys: pytest.CaptureFixture[str], runs: list[Any]
) -> None:
    code, out = simulate(capsys, "--max-spend", "1 OGPU")

    assert (code, runs) == (2, [])
    assert out == "error: --max-spend: only goes with --network URL\n"


@pytest.mark.parametrize("network", [[], ["--network", NETWORK]], ids=["alone", "network"])
def test_a_max_spend_that_is_not_an_amount_is_refused_with_or_without_network(
    network: list[str], capsys: pytest.CaptureFixture[str], runs: list[Any]
) -> None:
    code, out = simulate(capsys, "--max-spend", "-1 OGPU", *network)

    assert (code, runs) == (2, [])
    assert out == "error: --max-spend: must be >= 0, got '-1 OGPU'\n"


@pytest.mark.parametrize("network", [[], ["--network", NETWORK]], ids=["alone", "network"])
def test_a_max_spend_without_a_unit_is_refused_with_or_without_network(
    network: list[str], capsys: pytest.CaptureFixture[str], runs: list[Any]
) -> None:
    code, out = simulate(capsys, "--max-spend", "5", *network)

    assert (code, runs) == (2, [])
    assert out == "error: --max-spend: '5' needs a unit: OGPU, gwei or wei\n"


@pytest.mark.parametrize("network", [[], ["--network", NETWORK]], ids=["alone", "network"])
def test_a_max_spend_that_is_a_word_is_refused_as_not_an_amount(
    network: list[str], capsys: pytest.CaptureFixture[str], runs: list[Any]
) -> None:
    code, out = simulate(capsys, "--max-spend", "lots", *network)

    assert (code, runs) == (2, [])
    assert out == "error: --max-spend: not an amount: 'lots'\n"


@pytest.mark.parametrize("network", [[], ["--network", NETWORK]], ids=["alone", "network"])
def test_a_max_spend_that_is_infinite_is_refused_without_a_traceback(
    network: list[str], capsys: pytest.CaptureFixture[str], runs: list[Any]
) -> None:
    code, out = simulate(capsys, "--max-spend", "inf OGPU", *network)

    assert (code, runs) == (2, [])
    assert out == "error: --max-spend: must be a finite amount, got 'inf OGPU'\n"


@pytest.mark.parametrize("network", [[], ["--network", NETWORK]], ids=["alone", "network"])
@pytest.mark.parametrize("value", ["-1", "0", "nan", "inf"])
def test_a_wait_timeout_that_is_not_a_positive_finite_number_is_refused(
    value: str, network: list[str], capsys: pytest.CaptureFixture[str], runs: list[Any]
) -> None:
    code, out = simulate(capsys, "--wait-timeout", value, *network)

    assert (code, runs) == (2, [])
    assert (
        out == f"error: --wait-timeout: must be a finite number of seconds above 0, got {value}\n"
    )


def test_max_spend_and_wait_timeout_reach_an_attached_run(
    capsys: pytest.CaptureFixture[str], runs: list[Any]
) -> None:
    simulate(capsys, "--network", NETWORK, "--max-spend", "2 OGPU", "--wait-timeout", "30")

    assert [(o.network, o.max_spend, o.wait_timeout) for o in runs] == [(NETWORK, "2 OGPU", 30.0)]


def test_an_attached_run_without_them_gets_the_default_cap_and_timeout(
    capsys: pytest.CaptureFixture[str], runs: list[Any]
) -> None:
    simulate(capsys, "--network", NETWORK)

    assert [(o.max_spend, o.max_spend_option, o.wait_timeout) for o in runs] == [
        ("1 OGPU", "--max-spend", 300.0)
    ]


@pytest.mark.parametrize("phrase", ["not a valid phrase at all", "test " * 12])
def test_a_mnemonic_in_the_environment_that_is_not_a_phrase_is_one_line_and_exit_2(
    phrase: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    runs: list[Any],
) -> None:
    monkeypatch.setenv("OGPU_SIM_MNEMONIC", phrase)

    code, out = simulate(capsys, "--rpc", NETWORK)

    assert (code, runs) == (2, [])
    assert out == (
        "error: $OGPU_SIM_MNEMONIC: is not a valid BIP-39 mnemonic phrase (12 to 24 words of the "
        f"BIP-39 word list, the last one a checksum); got {len(phrase.split())} words (not "
        "shown)\n"
    )


def test_a_mnemonic_in_the_environment_reaches_the_run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], runs: list[Any]
) -> None:
    from ogpu_sim.accounts import DEFAULT_MNEMONIC

    monkeypatch.setenv("OGPU_SIM_MNEMONIC", DEFAULT_MNEMONIC)

    simulate(capsys, "--rpc", NETWORK)

    assert [o.mnemonic for o in runs] == [DEFAULT_MNEMONIC]
