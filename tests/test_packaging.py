"""The wheel ships exactly what git tracks under ``ogpu_sim/``, and works installed.

One wheel is built, the way ``make wheel`` and ``.ci/outside-in.sh`` build it (``.ci/wheel.sh``),
from a copy of this repository made dirty on purpose: a stale module in ``build/lib`` (what an
earlier in-tree build leaves) and an untracked module beside the tracked ones.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WHEEL_SCRIPT = ROOT / ".ci" / "wheel.sh"


def _tracked(under: str) -> list[str]:
    """Files git tracks under ``under`` that exist in the working tree."""
    listing = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-z", "--", under],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return sorted(name for name in listing.split("\0") if name and (ROOT / name).is_file())


@pytest.fixture(scope="module")
def dirty_checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git checkout of this tree's tracked files, plus leftovers no wheel may carry."""
    copy = tmp_path_factory.mktemp("checkout")
    for name in _tracked("."):
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, copy / name)
    subprocess.run(["git", "init", "-q", str(copy)], check=True)
    subprocess.run(["git", "-C", str(copy), "add", "-A"], check=True)
    stale = copy / "build" / "lib" / "ogpu_sim" / "model.py"
    stale.parent.mkdir(parents=True)
    stale.write_text("STALE = True\n")
    (copy / "ogpu_sim" / "untracked_scratch.py").write_text("SCRATCH = True\n")
    return copy


@pytest.fixture(scope="module")
def wheel(dirty_checkout: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run(
        ["bash", str(dirty_checkout / ".ci" / "wheel.sh"), str(out), sys.executable],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return Path(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel unpacked as pip installs it: its files in a site-packages folder."""
    site = tmp_path_factory.mktemp("site-packages")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    return site


def test_the_wheel_holds_exactly_the_tracked_files_of_the_package(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        shipped = sorted(n for n in archive.namelist() if not n.startswith("ogpu_sim-"))
    assert shipped == _tracked("ogpu_sim")


def test_the_wheel_has_no_stale_or_untracked_module(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert "ogpu_sim/model.py" not in names
    assert "ogpu_sim/untracked_scratch.py" not in names


def test_the_wheel_carries_the_image_recipes(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert {
        "ogpu_sim/runtime/recipes/base/build.sh",
        "ogpu_sim/runtime/recipes/handler/Dockerfile",
    } <= names


def test_an_installed_wheel_finds_its_base_recipe_and_handler_template(installed: Path) -> None:
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "import ogpu_sim\n"
        "from ogpu_sim.runtime.images import base_recipe, handler_template\n"
        "print(ogpu_sim.__file__)\n"
        "print(base_recipe(), base_recipe().is_file())\n"
        "print(handler_template().splitlines()[0])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, str(installed)],
        capture_output=True,
        text=True,
        check=True,
        cwd=installed.parent,
    )
    assert result.stdout.splitlines() == [
        str(installed / "ogpu_sim" / "__init__.py"),
        f"{installed / 'ogpu_sim' / 'runtime' / 'recipes' / 'base' / 'build.sh'} True",
        "# ogpu-sim's image recipe for a bare handler folder (handler.py, optional "
        "requirements.txt and",
    ]


def test_make_wheel_and_the_outside_in_check_build_through_the_same_script() -> None:
    makefile = (ROOT / "Makefile").read_text()
    outside_in = (ROOT / ".ci" / "outside-in.sh").read_text()
    assert "\t.ci/wheel.sh $(DIST) $(PY)\n" in makefile
    assert 'wheel="$(make -s -C "$root" wheel DIST="$work/dist" | tail -n1)"\n' in outside_in
    assert "pip wheel" not in outside_in


def test_the_build_tools_are_in_the_dev_extras() -> None:
    import tomllib

    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    dev = data["project"]["optional-dependencies"]["dev"]
    assert {"build>=1.2", "setuptools>=77", "wheel"} <= set(dev)
    assert data["build-system"]["requires"] == ["setuptools>=77", "wheel"]
