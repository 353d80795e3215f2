"""The ``ogpu-sim`` command line: subcommands, hand-over to node/run, usage errors."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest

from ogpu_sim.cli.main import main
from ogpu_sim.errors import OgpuSimError
from ogpu_sim.simulate import runner as workload

SMALL = Path(__file__).parents[1] / "simulate" / "scenarios" / "small.toml"


def test_help_lists_every_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    out = capsys.readouterr().out
    assert exit_info.value.code == 0
    for command in ("simulate", "doctor", "node", "run"):
        assert f"    {command} " in out


def test_a_command_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([])
    assert exit_info.value.code == 2
    assert "the following arguments are required: COMMAND" in capsys.readouterr().err


def test_node_gets_its_own_arguments_including_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["node", "--help"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith("usage: ogpu-sim node ")


def test_the_contract_build_is_not_a_user_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["compile"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'compile'" in capsys.readouterr().err


def test_run_without_a_program_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run"]) == 2
    assert capsys.readouterr().err == (
        "error: command: nothing to run; usage: ogpu-sim run -- python app.py\n"
    )


def test_an_unknown_backend_is_refused_by_the_parser(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["simulate", "--backend", "geth"])
    assert exit_info.value.code == 2
    assert "argument --backend: invalid choice: 'geth'" in capsys.readouterr().err


def test_simulate_options_reach_the_runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    seen: dict[str, Any] = {}

    def fake_simulate(
        scenario: Any, out: Path, options: Any, on_progress: Any, on_attach: Any = None
    ) -> Any:
        seen.update(scenario=scenario, out=out, options=options)
        raise OgpuSimError("stop here")

    monkeypatch.setattr(workload, "simulate", fake_simulate)
    code = main(
        [
            "simulate",
            str(SMALL),
            "--rpc",
            "http://127.0.0.1:8545",
            "--runtime",
            "docker",
            "--seed",
            "5",
            "--tasks",
            "3",
            "--out",
            str(tmp_path),
            "--no-progress",
        ]
    )
    assert code == 2
    assert (seen["options"].backend, seen["options"].rpc_url) == ("rpc", "http://127.0.0.1:8545")
    assert seen["options"].runtime == "docker"
    assert (seen["scenario"].seed, seen["scenario"].workload.tasks) == (5, 3)
    assert seen["out"] == tmp_path


def test_simulate_runs_under_python_w_error(tmp_path: Path) -> None:
    """The SDK stack's known warnings (web3, websockets) do not fail a strict interpreter."""
    import subprocess
    import sys

    result = subprocess.run(
        [
            sys.executable,
            "-W",
            "error",
            "-m",
            "ogpu_sim.cli",
            "simulate",
            str(SMALL),
            "--tasks",
            "2",
            "--no-progress",
            "--out",
            str(tmp_path / "run"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )

    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert (tmp_path / "run" / "report.json").is_file()


def _stop_simulate(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    def fake_simulate(
        scenario: Any, out: Path, options: Any, on_progress: Any, on_attach: Any = None
    ) -> Any:
        seen["options"] = options
        raise OgpuSimError("stop here")

    monkeypatch.setattr(workload, "simulate", fake_simulate)
    return seen


def test_simulate_image_flag_reaches_the_runner(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _stop_simulate(monkeypatch)
    assert main(["simulate", str(SMALL), "--image", "published", "--no-progress"]) == 2
    assert (seen["options"].runtime, seen["options"].image) == ("auto", "published")


def test_simulate_runs_the_working_copy_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _stop_simulate(monkeypatch)
    assert main(["simulate", str(SMALL), "--no-progress"]) == 2
    assert seen["options"].image == "working-copy"


def test_an_unknown_image_choice_is_refused_naming_the_choices(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["simulate", "--image", "latest"])
    assert exit_info.value.code == 2
    assert (
        "argument --image: invalid choice: 'latest' (choose from 'working-copy', 'published')"
        in capsys.readouterr().err
    )


@pytest.mark.parametrize("command", ["simulate", "node"])
def test_the_published_image_with_the_process_runtime_is_an_error_naming_the_flag(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([command, "--runtime", "process", "--image", "published"]) == 2
    err = capsys.readouterr()
    assert (err.out + err.err).replace("\n", " ").count(
        "--image: published runs the image the compose file names, which the process runtime "
        "cannot: use the docker (or auto) runtime, or working-copy"
    ) == 1


def test_node_image_flag_reaches_the_simulator(monkeypatch: pytest.MonkeyPatch) -> None:
    from ogpu_sim.simulator import Simulator

    seen: dict[str, Any] = {}

    def fake_start(**options: Any) -> Any:
        seen.update(options)
        raise OgpuSimError("stop here")

    monkeypatch.setattr(Simulator, "start", fake_start)
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        assert main(["node", "--image", "published", "--runtime", "docker"]) == 2
    finally:  # node installs its own stop handlers before it starts the simulator
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    assert (seen["runtime"], seen["image"]) == ("docker", "published")


def test_simulate_on_a_remote_node_without_the_users_keys_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("OGPU_SIM_MNEMONIC", raising=False)

    code = main(["simulate", "--rpc", "http://10.1.2.3:8545", "--no-progress"])

    assert code == 2
    assert " ".join(capsys.readouterr().out.split()) == (
        "error: --rpc: http://10.1.2.3:8545 is not on this machine (host 10.1.2.3 is not a "
        "loopback address): ogpu-sim's public test keys never sign for it; set "
        "OGPU_SIM_MNEMONIC to the mnemonic of your own funded accounts"
    )


def test_simulate_takes_the_users_mnemonic_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: dict[str, Any] = {}

    def fake_simulate(
        scenario: Any, out: Path, options: Any, on_progress: Any, on_attach: Any = None
    ) -> Any:
        seen.update(options=options)
        raise OgpuSimError("stop here")

    own = "abandon " * 11 + "about"  # a valid BIP-39 phrase (the standard test vector)
    monkeypatch.setattr(workload, "simulate", fake_simulate)
    monkeypatch.setenv("OGPU_SIM_MNEMONIC", own)

    assert main(["simulate", "--rpc", "http://10.1.2.3:8545", "--no-progress"]) == 2
    assert seen["options"].mnemonic == own
    assert own not in repr(seen["options"])


def test_simulate_prints_square_brackets_in_names_and_errors_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def failing(*args: Any, **kwargs: Any) -> Any:
        raise OgpuSimError("map them in source.toml: [environments] nvidia = 'gpu.yml'")

    scenario = tmp_path / "s.toml"
    scenario.write_text(SMALL.read_text().replace('name = "small"', 'name = "trial [v2] [bold]x"'))
    monkeypatch.setattr(workload, "simulate", failing)

    code = main(["simulate", str(scenario), "--out", str(tmp_path / "run"), "--no-progress"])

    out = capsys.readouterr().out.replace("\n", " ")
    assert code == 2
    assert "ogpu-sim simulate trial [v2] [bold]x (seed" in out
    assert "error: map them in source.toml: [environments] nvidia = 'gpu.yml'" in out
