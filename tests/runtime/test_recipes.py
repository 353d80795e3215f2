"""The image recipes ship inside the package and the docker runtime finds them there.

No engine is needed: a fake client stands for the Docker SDK's, and the base image build is a
stand-in script (the real build needs mmdebstrap and an engine; ``tests/runtime/test_docker.py``
runs it).
"""

from __future__ import annotations

from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import pytest
from docker.errors import ImageNotFound

import ogpu_sim.runtime
from ogpu_sim.runtime import create_runtime, images
from ogpu_sim.runtime.errors import DockerRuntimeError, HandlerStartError

PACKAGE = Path(ogpu_sim.runtime.__file__).parent


class _Images:
    def get(self, tag: str) -> Any:
        raise ImageNotFound(f"no such image: {tag}")


class _Client:
    images = _Images()


@pytest.fixture(autouse=True)
def _own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OGPU_SIM_CACHE", str(tmp_path / "cache"))


def test_the_base_recipe_is_a_file_of_the_package() -> None:
    script = images.base_recipe()
    assert isinstance(script, Traversable)
    assert Path(str(script)) == PACKAGE / "recipes" / "base" / "build.sh"
    assert script.read_text().startswith("#!/usr/bin/env bash\n")


def test_the_handler_template_is_read_from_the_package() -> None:
    text = images.handler_template()
    assert text == (PACKAGE / "recipes" / "handler" / "Dockerfile").read_text()
    assert "ARG BASE_IMAGE=ogpu-sim-base:latest\nFROM ${BASE_IMAGE}\n" in text


def test_the_base_recipe_and_the_image_it_labels_agree_on_the_version() -> None:
    assert f"recipe_version={images.BASE_VERSION}\n" in images.base_recipe().read_text()


def test_a_missing_base_image_is_built_by_running_the_packaged_recipe_with_bash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = tmp_path / "args"
    script = tmp_path / "build.sh"  # not executable: the runtime runs it through bash
    script.write_text(f'printf "%s\\n" "$@" > {record}\n')
    monkeypatch.setattr(images, "base_recipe", lambda: script)

    images.ensure_base_image(_Client(), "ogpu-sim-base:test")

    assert record.read_text() == "ogpu-sim-base:test\n"


def test_a_failing_recipe_is_a_docker_runtime_error_with_its_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = tmp_path / "build.sh"
    script.write_text('echo "mmdebstrap missing" >&2; exit 1\n')
    monkeypatch.setattr(images, "base_recipe", lambda: script)

    with pytest.raises(DockerRuntimeError) as caught:
        images.ensure_base_image(_Client(), "ogpu-sim-base:test")

    assert str(caught.value) == (
        f"docker runtime: building the base image ogpu-sim-base:test failed "
        f"(bash {script} ogpu-sim-base:test)\n--- log ---\nmmdebstrap missing\n"
    )
    assert caught.value.log == "mmdebstrap missing\n"


def test_a_recipe_that_is_not_installed_is_named_in_the_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(images, "base_recipe", lambda: tmp_path / "gone.sh")

    with pytest.raises(DockerRuntimeError) as caught:
        images.ensure_base_image(_Client(), "ogpu-sim-base:test")

    assert str(caught.value) == (
        f"docker runtime: base image ogpu-sim-base:test missing and its recipe "
        f"{tmp_path / 'gone.sh'} is not installed (reinstall ogpu-sim)"
    )


def test_a_docker_runtime_error_names_no_source_and_is_a_handler_start_error() -> None:
    error = DockerRuntimeError("Docker engine not reachable: refused")
    assert isinstance(error, HandlerStartError)
    assert str(error) == "docker runtime: Docker engine not reachable: refused"
    assert (error.source, error.environment, error.problem, error.log) == (
        "",
        "",
        "Docker engine not reachable: refused",
        "",
    )


def test_an_unreachable_engine_is_a_docker_runtime_error_naming_no_source(
    callbacks, tmp_path, monkeypatch
):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    with pytest.raises(DockerRuntimeError) as caught:
        create_runtime("docker", callbacks)
    assert str(caught.value).startswith("docker runtime: Docker engine not reachable: ")
    assert (caught.value.source, caught.value.environment) == ("", "")
