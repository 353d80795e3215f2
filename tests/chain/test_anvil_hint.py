"""A missing anvil says how to get it: make install in a checkout, npm or foundryup from a wheel."""

from __future__ import annotations

from pathlib import Path

import pytest

import ogpu_sim.chain.anvil as anvil_module
from ogpu_sim.chain.anvil import ANVIL_ENV, find_anvil
from ogpu_sim.errors import AnvilNotFoundError


@pytest.fixture
def wheel_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """ogpu-sim as if installed in site-packages, run from an empty folder, no anvil anywhere."""
    installed = tmp_path / "site-packages" / "ogpu_sim" / "chain"
    installed.mkdir(parents=True)
    monkeypatch.setattr(anvil_module, "__file__", str(installed / "anvil.py"))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.delenv(ANVIL_ENV, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    return work


def test_from_a_wheel_the_hint_is_npm_or_foundryup_not_make(wheel_install: Path) -> None:
    with pytest.raises(AnvilNotFoundError) as caught:
        find_anvil()
    assert caught.value.checkout is False
    assert str(caught.value) == (
        f"the anvil binary was not found (looked at: {wheel_install}/node_modules/.bin/anvil, "
        "anvil on PATH); run `npm install @foundry-rs/anvil-linux-amd64@1.7.1` in the folder "
        "you run ogpu-sim from (it looks in ./node_modules/.bin; other platforms: "
        "@foundry-rs/anvil-<os>-<arch>), install Foundry with foundryup, set $OGPU_SIM_ANVIL "
        "to its path, or put anvil on PATH"
    )


def test_from_a_wheel_site_packages_is_not_searched_for_node_modules(
    wheel_install: Path,
) -> None:
    with pytest.raises(AnvilNotFoundError) as caught:
        find_anvil()
    assert not any("site-packages" in place for place in caught.value.searched)


def test_the_npm_package_is_the_one_make_install_takes_anvil_from() -> None:
    import json

    package = json.loads((Path(__file__).parents[2] / "package.json").read_text())
    name, _, version = AnvilNotFoundError.NPM_PACKAGE.rpartition("@")
    assert package["devDependencies"][name] == version


def test_the_npm_package_puts_anvil_where_ogpu_sim_looks(wheel_install: Path) -> None:
    binary = wheel_install / "node_modules" / ".bin" / "anvil"
    binary.parent.mkdir(parents=True)
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    assert find_anvil() == str(binary)
