"""The ``ogpu-sim`` command line: subcommands, hand-over to node/run/compile, usage errors."""

from __future__ import annotations

import pytest

from ogpu_sim.cli import main


def test_help_lists_every_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    out = capsys.readouterr().out
    assert exit_info.value.code == 0
    for command in ("simulate", "doctor", "node", "run", "compile"):
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
