"""A directory store's folder that is not one, or cannot be made, is a ConfigError naming
``ipfs_dir``, the path and why, from the store and from ``Simulator.start`` alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from ogpu_sim import Simulator
from ogpu_sim.errors import ConfigError
from ogpu_sim.ipfs import DirectoryStore
from ogpu_sim.ipfs.store import store_folder


def test_a_file_is_not_a_store_folder(tmp_path: Path):
    path = tmp_path / "file"
    path.write_text("")

    with pytest.raises(ConfigError) as caught:
        DirectoryStore(path)

    assert str(caught.value) == f"ipfs_dir: {path} is not a directory"


def test_a_folder_that_cannot_be_created_says_why(tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("")

    with pytest.raises(ConfigError) as caught:
        DirectoryStore(blocker / "store")

    assert str(caught.value) == f"ipfs_dir: {blocker / 'store'} cannot be created: Not a directory"


def test_a_folder_under_proc_cannot_be_created():
    with pytest.raises(ConfigError) as caught:
        DirectoryStore("/proc/nope/x")

    assert (
        str(caught.value) == "ipfs_dir: /proc/nope/x cannot be created: No such file or directory"
    )


def test_a_missing_folder_is_created_with_its_parents(tmp_path: Path):
    path = tmp_path / "a" / "b"

    assert store_folder(path) == path.resolve()
    assert path.is_dir()


def test_the_error_names_the_option_the_caller_gives():
    with pytest.raises(ConfigError) as caught:
        store_folder("/etc/passwd", "--ipfs-dir")

    assert str(caught.value) == "--ipfs-dir: /etc/passwd is not a directory"


def test_an_empty_folder_name_is_refused():
    with pytest.raises(ConfigError) as caught:
        store_folder("")

    assert str(caught.value) == "ipfs_dir: is empty; name a directory to keep IPFS content in"


def test_simulator_start_with_a_file_as_ipfs_dir_is_a_config_error(tmp_path: Path):
    path = tmp_path / "file"
    path.write_text("")

    with pytest.raises(ConfigError) as caught:
        Simulator.start(ipfs_dir=str(path))

    assert str(caught.value) == f"ipfs_dir: {path} is not a directory"
