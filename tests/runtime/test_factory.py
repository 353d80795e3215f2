"""Choosing a runtime: names, ``auto``, the Docker probe, and the shipped template and launcher."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ogpu_sim.errors import ConfigError
from ogpu_sim.runtime import (
    ComposeError,
    HandlerStartError,
    create_runtime,
    docker_available,
    load_source_folder,
)
from ogpu_sim.runtime.auto import AutoRuntime
from ogpu_sim.runtime.inline import InlineHandler
from ogpu_sim.runtime.process import LAUNCHER

from .conformance import new_task
from .conftest import SAMPLES

BOGUS_DOCKER = "unix:///nonexistent/ogpu-sim-test.sock"


def test_an_unknown_runtime_name_is_a_config_error(callbacks):
    with pytest.raises(ConfigError) as caught:
        create_runtime("kubernetes", callbacks)
    assert (caught.value.option, caught.value.problem) == (
        "runtime",
        "unknown 'kubernetes'; known: auto, inline, process, docker",
    )


def test_auto_runs_a_folder_with_handler_py_inline(callbacks):
    with create_runtime("auto", callbacks) as runtime:
        handler = runtime.start(load_source_folder(SAMPLES / "multiply"))
        assert isinstance(handler, InlineHandler)
        assert handler.run("multiply", new_task(), {"a": 6, "b": 7}) == {"result": 42}


def test_auto_without_handler_py_or_docker_says_both_are_missing(callbacks, tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", BOGUS_DOCKER)
    folder = tmp_path / "image-only"
    folder.mkdir()
    (folder / "docker-compose.yml").write_text(
        "services:\n  app:\n    build: .\n    ports: ['5555:5555']\n"
    )
    (folder / "Dockerfile").write_text("FROM scratch\n")
    runtime = create_runtime("auto", callbacks)
    assert isinstance(runtime, AutoRuntime)
    with pytest.raises(
        HandlerStartError,
        match="no handler module to run inline and Docker is not "
        f"usable \\(no Docker engine at {BOGUS_DOCKER}",
    ):
        runtime.start(load_source_folder(folder))


def test_docker_available_gives_a_one_line_reason_when_unreachable(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", BOGUS_DOCKER)
    usable, reason = docker_available()
    assert usable is False
    assert reason.startswith(f"no Docker engine at {BOGUS_DOCKER}: ")
    assert "\n" not in reason


@pytest.mark.parametrize("name", ["inline", "process"])
def test_starting_an_environment_the_source_lacks_is_a_compose_error(callbacks, tmp_path, name):
    folder = tmp_path / "cpu-only"
    folder.mkdir()
    (folder / "handler.py").write_text((SAMPLES / "multiply" / "handler.py").read_text())
    (folder / "docker-compose.yml").write_text(
        (SAMPLES / "multiply" / "docker-compose.yml").read_text()
    )
    with create_runtime(name, callbacks) as runtime, pytest.raises(ComposeError) as caught:
        runtime.start(load_source_folder(folder), "nvidia")
    assert caught.value.problem == (
        "no compose file for nvidia, so the source does not support nvidia; it supports cpu"
    )


def test_the_launcher_refuses_a_bad_command_line():
    result = subprocess.run(
        [sys.executable, str(LAUNCHER), "handler.py"], capture_output=True, text=True, check=False
    )
    assert (result.returncode, result.stderr.strip()) == (
        2,
        "usage: python launcher.py <script.py> <port> | python launcher.py -m <module> <port>",
    )


def test_an_unknown_image_source_is_a_config_error(callbacks):
    with pytest.raises(ConfigError) as caught:
        create_runtime("docker", callbacks, image_source="latest")
    assert (caught.value.option, caught.value.problem) == (
        "image_source",
        "unknown 'latest'; known: working-copy, published",
    )


def test_a_missing_compose_override_is_a_config_error(callbacks, tmp_path):
    with pytest.raises(ConfigError) as caught:
        create_runtime("docker", callbacks, compose_overrides=[tmp_path / "nope.yml"])
    assert (caught.value.option, caught.value.problem) == (
        "compose_overrides",
        f"{tmp_path / 'nope.yml'} does not exist",
    )
