"""Inline and process runtimes run what the Dockerfile's CMD runs: a script, or a module."""

from __future__ import annotations

import pytest

from ogpu_sim.runtime import create_runtime, load_source_folder

from .conformance import new_task

MAIN = """\
import os

import ogpu.service

from .models import Echo

PREFIX = os.environ["ECHO_PREFIX"]


@ogpu.service.expose()
def echo(data: Echo) -> Echo:
    return Echo(text=PREFIX + data.text)


ogpu.service.start()
"""
COMPOSE = """\
services:
  echo:
    build: .
    ports: ["${PORT}:5555"]
    environment:
      - CALLBACK_URL=${CALLBACK_URL}
      - "ECHO_PREFIX=${ECHO_PREFIX:-on $PORT: }"
"""


@pytest.fixture
def module_source(tmp_path):
    """A source whose CMD is ``python -m svc.main`` from ``/srv`` (the ``src/`` folder)."""
    root = tmp_path / "module-source"
    package = root / "src" / "svc"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "models.py").write_text(
        "from pydantic import BaseModel\n\n\nclass Echo(BaseModel):\n    text: str\n"
    )
    (package / "main.py").write_text(MAIN)
    (root / "Dockerfile").write_text(
        'FROM python:3.12-slim\nWORKDIR /srv\nCOPY src/ /srv/\nCMD ["python", "-m", "svc.main"]\n'
    )
    (root / "docker-compose.yml").write_text(COMPOSE)
    return root


@pytest.mark.parametrize("name", ["inline", "process"])
def test_a_module_cmd_runs_with_its_package_so_relative_imports_work(
    callbacks, module_source, name, monkeypatch
):
    monkeypatch.setenv("ECHO_PREFIX", "> ")
    source = load_source_folder(module_source)
    assert source.handler_file == module_source / "src" / "svc" / "main.py"
    with create_runtime(name, callbacks) as runtime:
        handler = runtime.start(source)
        assert handler.run("echo", new_task(), {"text": "hi"}) == {"text": "> hi"}


def test_the_process_runtime_substitutes_port_as_compose_would(callbacks, module_source):
    with create_runtime("process", callbacks) as runtime:
        handler = runtime.start(load_source_folder(module_source))
        port = handler.url.rsplit(":", 1)[1]
        assert handler.run("echo", new_task(), {"text": "x"}) == {"text": f"on {port}: x"}
