"""``ogpu-sim simulate --init FILE`` writes a commented starting scenario that runs as is."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ogpu_sim.cli.main import main
from ogpu_sim.simulate.scenario import parse_scenario, tomllib
from ogpu_sim.simulate.template import TEMPLATE
from tests.simulate.keys import SECTIONS, known_keys


def test_init_writes_the_template_and_says_how_to_run_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "mine.toml"

    assert main(["simulate", "--init", str(path)]) == 0

    assert path.read_text(encoding="utf-8") == TEMPLATE
    assert capsys.readouterr().out == (
        f"wrote a starting scenario to {path}; run it with: ogpu-sim simulate {path}\n"
    )


def test_the_written_scenario_runs_as_is_and_every_check_passes(tmp_path: Path) -> None:
    # ~15 s on 2 shared cores, mostly starting a network: the run is what proves "valid as is".
    path, out = tmp_path / "mine.toml", tmp_path / "run"
    assert main(["simulate", "--init", str(path)]) == 0

    code = main(["simulate", str(path), "--tasks", "2", "--out", str(out), "--no-progress"])

    report = json.loads((out / "report.json").read_text())
    assert code == 0
    assert [t["index"] for t in report["tasks"]] == [0, 1]
    assert [c["name"] for c in report["checks"] if not c["ok"]] == []


def test_the_template_has_every_section() -> None:
    scenario = parse_scenario(tomllib.loads(TEMPLATE))
    assert [c.name for c in scenario.clients] == ["alice", "bob"]
    assert [s.delivery for s in scenario.sources] == ["FIRST_RESPONSE", "MANUAL_CONFIRMATION"]
    assert [p.source for p in scenario.providers] == ["multiply", "review"]
    assert scenario.workload.tasks == 20


@pytest.mark.parametrize("section", SECTIONS)
def test_every_key_the_parser_knows_is_in_the_template_under_a_comment(section: str) -> None:
    lines = TEMPLATE.splitlines()
    for key in known_keys(SECTIONS[section]):
        # Set, shown commented out (handler, some distribution keys) or a table's header.
        pattern = rf"(^|[ {{,#]){key} = |^\[\[?{key}\]\]?$"
        at = [i for i, line in enumerate(lines) if re.search(pattern, line)]
        assert at, f"{section} key {key!r} is not in the template"
        commented = [i for i in at if lines[i].startswith("#") or lines[i - 1].startswith("#")]
        assert commented, f"{section} key {key!r} has no comment"


def test_init_refuses_to_overwrite_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "mine.toml"
    path.write_text("name = 'keep me'\n")

    assert main(["simulate", "--init", str(path)]) == 2

    assert path.read_text() == "name = 'keep me'\n"
    assert capsys.readouterr().err == (
        f"error: --init: {path} exists; pass --force to overwrite it\n"
    )


def test_init_with_force_overwrites_a_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text("name = 'replace me'\n")

    assert main(["simulate", "--init", str(path), "--force"]) == 0

    assert path.read_text(encoding="utf-8") == TEMPLATE


def test_init_into_a_missing_folder_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "no" / "such" / "mine.toml"

    assert main(["simulate", "--init", str(path)]) == 2

    assert capsys.readouterr().err == (
        f"error: --init: cannot write {path}: No such file or directory\n"
    )


def test_force_without_init_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--force"]) == 2
    assert capsys.readouterr().err == "error: --force: only goes with --init FILE\n"


def test_init_takes_no_scenario_argument(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "mine.toml"

    assert main(["simulate", "other.toml", "--init", str(path)]) == 2

    assert not path.exists()
    assert capsys.readouterr().err == ("error: --init: writes a new scenario; drop 'other.toml'\n")


def test_init_writes_the_seed_and_task_count_given(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"

    assert main(["simulate", "--init", str(path), "--seed", "9", "--tasks", "5"]) == 0

    scenario = parse_scenario(tomllib.loads(path.read_text(encoding="utf-8")))
    assert (scenario.seed, scenario.workload.tasks) == (9, 5)
    assert path.read_text(encoding="utf-8") == TEMPLATE.replace(
        "\nseed = 1\n", "\nseed = 9\n"
    ).replace("\ntasks = 20\n", "\ntasks = 5\n")


def test_init_holds_the_task_count_to_the_bounds_of_a_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "mine.toml"

    assert main(["simulate", "--init", str(path), "--tasks", "0"]) == 2

    assert not path.exists()
    assert capsys.readouterr().err == "error: --tasks: must be an integer from 1 to 100000, got 0\n"


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        (["--backend", "revm"], "--backend"),
        (["--out", "runs/x"], "--out"),
        (["--max-spend", "1 OGPU"], "--max-spend"),
        (["--runtime", "inline", "--no-progress"], "--runtime and --no-progress"),
    ],
)
def test_init_refuses_a_run_option_instead_of_ignoring_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], named: str
) -> None:
    path = tmp_path / "mine.toml"

    assert main(["simulate", "--init", str(path), *extra]) == 2

    assert not path.exists()
    assert capsys.readouterr().err == (
        f"error: --init: writes a scenario file and exits; give {named} when you run it: "
        f"ogpu-sim simulate {path} ...\n"
    )
