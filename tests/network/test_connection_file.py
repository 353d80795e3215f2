"""A node's connection file is written whole and private, and a failed write leaves nothing."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from ogpu_sim.errors import ConfigError
from ogpu_sim.network import connection
from ogpu_sim.network.connection import check_connection_path, write_connection_file

INFO = {"rpc_url": "http://127.0.0.1:8545", "chain_id": 1337}


def test_the_file_holds_the_details_as_indented_json(tmp_path: Path):
    path = tmp_path / "node.json"

    write_connection_file(path, INFO)

    assert path.read_text() == json.dumps(INFO, indent=2)


def test_only_its_owner_can_read_the_file(tmp_path: Path):
    path = tmp_path / "node.json"

    write_connection_file(path, INFO)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_rewriting_replaces_the_file_and_leaves_no_temporary_file(tmp_path: Path):
    path = tmp_path / "node.json"
    write_connection_file(path, {"old": True})

    write_connection_file(path, INFO)

    assert json.loads(path.read_text()) == INFO
    assert sorted(p.name for p in tmp_path.iterdir()) == ["node.json"]


def test_writing_over_a_folder_is_a_config_error_that_leaves_no_temporary_file(tmp_path: Path):
    folder = tmp_path / "bad"
    folder.mkdir()

    with pytest.raises(ConfigError) as caught:
        write_connection_file(folder, INFO)

    assert str(caught.value) == f"--info: cannot write {folder}: Is a directory"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad"]
    assert list(folder.iterdir()) == []


def test_a_write_interrupted_before_the_rename_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    def interrupted(source: str, target: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(connection.os, "replace", interrupted)

    with pytest.raises(KeyboardInterrupt):
        write_connection_file(tmp_path / "node.json", INFO)

    assert list(tmp_path.iterdir()) == []


def test_a_folder_that_does_not_exist_is_a_config_error(tmp_path: Path):
    path = tmp_path / "nowhere" / "node.json"

    with pytest.raises(ConfigError) as caught:
        write_connection_file(path, INFO)

    assert str(caught.value) == f"--info: cannot write {path}: No such file or directory"


def test_the_check_creates_the_folder_the_file_goes_in(tmp_path: Path):
    path = tmp_path / "state" / "node.json"

    assert check_connection_path(str(path)) == path
    assert (tmp_path / "state").is_dir()
    assert list((tmp_path / "state").iterdir()) == []


def test_the_check_refuses_a_folder(tmp_path: Path):
    with pytest.raises(ConfigError) as caught:
        check_connection_path(tmp_path)

    assert str(caught.value) == (
        f"--info: {tmp_path} is a folder; name the connection file, e.g. {tmp_path / 'node.json'}"
    )


def test_the_check_refuses_an_empty_path():
    with pytest.raises(ConfigError) as caught:
        check_connection_path("")

    assert str(caught.value) == "--info: is empty; name the connection file to write"


def test_the_check_refuses_a_file_whose_folder_is_a_file(tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("")

    with pytest.raises(ConfigError) as caught:
        check_connection_path(blocker / "node.json")

    assert str(caught.value) == (
        f"--info: cannot write {blocker / 'node.json'}: {blocker} is not a folder"
    )
