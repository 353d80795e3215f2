"""`ogpu-sim node` refuses a bad --info, --ipfs-dir, --source-dir or --source-url with one line
and exit code 2, before it starts anything, and a connection file it cannot write after all
stops the node and leaves nothing behind."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from ogpu_sim.cli import node as node_command
from ogpu_sim.cli.main import main
from ogpu_sim.simulator import Simulator


@pytest.fixture
def nothing_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    """A simulator start fails the test: a refused option must stop the node before it."""

    def start(*args: Any, **kwargs: Any) -> Simulator:
        raise AssertionError("ogpu-sim node started a simulator for a refused option")

    monkeypatch.setattr(Simulator, "start", start)


def node(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run ``ogpu-sim node ARGS`` in this process; its exit code, stdout and stderr."""
    code = main(["node", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_connection_file_that_is_a_folder_is_refused_and_nothing_is_written(
    tmp_path, capsys, nothing_starts
):
    folder = tmp_path / "bad"
    folder.mkdir()

    code, out, err = node(capsys, "--info", str(folder))

    assert (code, out) == (2, "")
    assert err == (
        f"error: --info: {folder} is a folder; name the connection file, e.g. "
        f"{folder / 'node.json'}\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad"]


def test_an_empty_connection_file_name_is_refused(capsys, nothing_starts):
    code, out, err = node(capsys, "--info", "")

    assert (code, out) == (2, "")
    assert err == "error: --info: is empty; name the connection file to write\n"


def test_an_ipfs_dir_that_is_a_file_is_refused(tmp_path, capsys, nothing_starts):
    path = tmp_path / "file"
    path.write_text("")

    code, out, err = node(capsys, "--ipfs-dir", str(path), "--info", str(tmp_path / "n.json"))

    assert (code, out) == (2, "")
    assert err == f"error: --ipfs-dir: {path} is not a directory\n"


def test_an_ipfs_dir_that_cannot_be_created_is_refused_with_the_reason(
    tmp_path, capsys, nothing_starts
):
    info = str(tmp_path / "n.json")

    code, out, err = node(capsys, "--ipfs-dir", "/proc/nope/x", "--info", info)

    assert (code, out) == (2, "")
    assert err == "error: --ipfs-dir: /proc/nope/x cannot be created: No such file or directory\n"


def test_an_empty_ipfs_dir_is_refused(tmp_path, capsys, nothing_starts):
    code, out, err = node(capsys, "--ipfs-dir", "", "--info", str(tmp_path / "n.json"))

    assert (code, out) == (2, "")
    assert err == "error: --ipfs-dir: is empty; name a directory to keep IPFS content in\n"


def test_a_source_dir_that_is_a_file_is_refused_as_not_a_folder(tmp_path, capsys, nothing_starts):
    path = tmp_path / "file"
    path.write_text("")

    code, out, err = node(capsys, "--providers", "1", "--source-dir", str(path))

    assert (code, out) == (2, "")
    assert err == f"error: --source-dir: not a folder: {path}\n"


def test_a_source_url_that_is_not_a_url_is_refused_by_its_option_name(
    tmp_path, capsys, nothing_starts
):
    info = str(tmp_path / "n.json")

    code, out, err = node(capsys, "--providers", "1", "--source-url", "not a url", "--info", info)

    assert (code, out) == (2, "")
    assert err == "error: --source-url: 'not a url' is not an http(s) URL prefix\n"


def _answers(url: str) -> bool:
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname, parts.port), timeout=2).close()
    except OSError:
        return False
    return True


def test_a_connection_file_that_cannot_be_written_after_the_start_stops_the_node(
    tmp_path, capsys, monkeypatch
):
    folder = tmp_path / "bad"  # a folder there by the time the node writes (a race)
    folder.mkdir()
    served: list[str] = []
    real_start = Simulator.start

    def start(*args: Any, **kwargs: Any) -> Simulator:
        sim = real_start(*args, **kwargs)
        served.extend([sim.rpc_url, sim.ipfs.url])
        return sim

    monkeypatch.setattr(Simulator, "start", start)
    monkeypatch.setattr(node_command, "check_connection_path", Path)
    monkeypatch.setattr(node_command.signal, "signal", lambda *_: None)

    code, out, err = node(capsys, "--info", str(folder))

    assert (code, out) == (2, "")
    assert err == f"error: --info: cannot write {folder}: Is a directory\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad"]
    assert list(folder.iterdir()) == []
    assert len(served) == 2
    assert [url for url in served if _answers(url)] == []
