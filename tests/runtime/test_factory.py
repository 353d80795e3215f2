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
from ogpu_sim.runtime.failures import NAME_THE_HANDLER
from ogpu_sim.runtime.inline import InlineHandler
from ogpu_sim.runtime.process import LAUNCHER

from .conformance import new_task
from .conftest import SAMPLES

BOGUS_DOCKER = "unix:///nonexistent/ogpu-sim-test.sock"
NO_ENGINE = (
    f"no Docker engine at {BOGUS_DOCKER}: cannot connect to /nonexistent/ogpu-sim-test.sock: "
    "No such file or directory"
)


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
    with pytest.raises(HandlerStartError) as caught:
        runtime.start(load_source_folder(folder))
    assert (caught.value.environment, caught.value.problem) == (
        "cpu",
        "no handler module to run inline (Dockerfile has no CMD) and Docker is not usable "
        f"({NO_ENGINE}); {NAME_THE_HANDLER}, or make a Docker engine reachable",
    )


WRONG_CMD = {
    "Dockerfile": 'FROM python:3.11-slim\nCOPY main.py /app/\nCMD ["python", "/app/server.py"]\n',
    "docker-compose.yml": (
        'services:\n  multiplier:\n    build: .\n    ports:\n      - "${PORT:-5555}:5555"\n'
        "    environment:\n      - CALLBACK_URL=${CALLBACK_URL}\n      - MODE=fast\n"
    ),
    "main.py": "import ogpu.service\n\nogpu.service.start()\n",
}
"""A source whose Dockerfile's CMD runs /app/server.py, a file no COPY provides."""


def _wrong_cmd(tmp_path):
    folder = tmp_path / "wrongcmd"
    folder.mkdir()
    for name, text in WRONG_CMD.items():
        (folder / name).write_text(text)
    return load_source_folder(folder)


def test_auto_with_a_cmd_no_copy_provides_names_the_environment_and_both_reasons(
    callbacks, tmp_path, monkeypatch
):
    monkeypatch.setenv("DOCKER_HOST", BOGUS_DOCKER)
    source = _wrong_cmd(tmp_path)
    inline = (
        'CMD ["python", "/app/server.py"] of Dockerfile runs /app/server.py, which no COPY of '
        f"{source.path} provides"
    )
    with create_runtime("auto", callbacks) as runtime, pytest.raises(HandlerStartError) as caught:
        runtime.start(source, "cpu")
    assert (caught.value.source, caught.value.environment, caught.value.problem) == (
        "wrongcmd",
        "cpu",
        f"no handler module to run inline ({inline}) and Docker is not usable ({NO_ENGINE}); "
        'name the handler in source.toml: [handler] module = "main.py", or make a Docker '
        "engine reachable",
    )
    assert str(caught.value).startswith("handler of source 'wrongcmd' (cpu) did not start: ")


def test_auto_gives_the_same_reason_for_no_handler_module_as_the_inline_runtime(
    callbacks, tmp_path, monkeypatch
):
    monkeypatch.setenv("DOCKER_HOST", BOGUS_DOCKER)
    source = _wrong_cmd(tmp_path)
    with create_runtime("inline", callbacks) as runtime, pytest.raises(HandlerStartError) as inline:
        runtime.start(source, "cpu")
    with create_runtime("auto", callbacks) as runtime, pytest.raises(HandlerStartError) as auto:
        runtime.start(source, "cpu")
    reason = source.service("cpu").entry_problem
    assert inline.value.problem == f"nothing to run inline: {reason}; {NAME_THE_HANDLER}"
    assert f"no handler module to run inline ({reason}) and " in auto.value.problem
    assert (inline.value.environment, auto.value.environment) == ("cpu", "cpu")


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
