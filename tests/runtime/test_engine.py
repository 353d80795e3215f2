"""The Docker probe and the docker runtime leave no socket open, with or without an engine.

docker-py's unix-socket connect does not close its socket when no engine listens, which
``pytest -W error`` reports as ``ResourceWarning: unclosed socket`` at some later test's
teardown. These tests record every ResourceWarning the probe causes (``gc.collect()`` inside the
recording, so a leaked socket's finalizer warns there) and expect none. A fake engine on a unix
socket stands for Docker where one must answer.
"""

from __future__ import annotations

import contextlib
import gc
import json
import socketserver
import subprocess
import sys
import tempfile
import threading
import warnings
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from docker.errors import DockerException

from ogpu_sim.runtime import create_runtime, docker_available
from ogpu_sim.runtime.engine import docker_client, engine_version
from ogpu_sim.runtime.errors import DockerRuntimeError

VERSION = {"Version": "99.1.0", "ApiVersion": "1.44", "MinAPIVersion": "1.24"}


def resource_warnings(action: Callable[[], Any]) -> list[str]:
    """The unclosed-socket ResourceWarnings ``action`` causes, its garbage collected included
    (garbage earlier tests left, such as web3's aiohttp sessions, is collected first)."""
    gc.collect()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        with contextlib.suppress(Exception):  # the caller checks the error; here the warnings
            action()
        gc.collect()
    return [
        str(w.message)
        for w in caught
        if issubclass(w.category, ResourceWarning) and "socket" in str(w.message)
    ]


class _Engine(BaseHTTPRequestHandler):
    """Answers ``/version`` and ``/_ping`` as dockerd does, or 404 when ``answers`` is None."""

    protocol_version = "HTTP/1.1"
    answers: dict[str, Any] | None = VERSION

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if self.answers is not None and path.endswith("/version"):
            self._send(200, json.dumps(self.answers).encode(), "application/json")
        elif self.answers is not None and path.endswith("/_ping"):
            self._send(200, b"OK", "text/plain")
        else:
            self._send(404, b'{"message":"page not found"}', "application/json")

    def _send(self, status: int, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def address_string(self) -> str:
        return "unix"  # a unix socket's peer has no host

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _fake_engine(answers: dict[str, Any] | None) -> Iterator[str]:
    """A fake engine on a unix socket (a short path: sun_path holds 108 bytes); its DOCKER_HOST."""
    handler = type("Engine", (_Engine,), {"answers": answers})
    with tempfile.TemporaryDirectory(prefix="ogpu-engine-") as folder:
        path = str(Path(folder) / "docker.sock")
        with socketserver.ThreadingUnixStreamServer(path, handler) as server:
            server.daemon_threads = True
            thread = threading.Thread(target=server.serve_forever, daemon=True)
            thread.start()
            try:
                yield f"unix://{path}"
            finally:
                server.shutdown()
                thread.join(timeout=5)


@pytest.fixture
def engine(monkeypatch) -> Iterator[str]:
    """DOCKER_HOST pointing at a fake engine that answers like dockerd."""
    for host in _fake_engine(VERSION):
        monkeypatch.setenv("DOCKER_HOST", host)
        yield host


@pytest.fixture
def no_engine(monkeypatch, tmp_path) -> str:
    """DOCKER_HOST pointing at a unix socket no engine listens on."""
    host = f"unix://{tmp_path}/no-engine.sock"
    monkeypatch.setenv("DOCKER_HOST", host)
    return host


def test_the_probe_without_an_engine_leaves_no_socket_open(no_engine):
    assert resource_warnings(docker_available) == []


def test_the_probe_without_an_engine_says_it_could_not_connect(no_engine):
    path = no_engine.removeprefix("unix://")
    assert docker_available() == (
        False,
        f"no Docker engine at {no_engine}: cannot connect to {path}: No such file or directory",
    )


def test_the_docker_runtime_without_an_engine_leaves_no_socket_open(callbacks, no_engine):
    def start() -> None:
        with pytest.raises(DockerRuntimeError):
            create_runtime("docker", callbacks)

    assert resource_warnings(start) == []


def test_the_probe_under_python_w_error_prints_nothing(no_engine):
    code = (
        "import gc; from ogpu_sim.runtime import docker_available as d; print(d()[0]); gc.collect()"
    )
    result = subprocess.run(
        [sys.executable, "-X", "dev", "-W", "error", "-c", code],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "False\n", "")


def test_the_probe_with_an_engine_names_its_version_and_closes_its_client(engine):
    found: list[tuple[bool, str]] = []
    assert resource_warnings(lambda: found.append(docker_available())) == []
    assert found == [(True, f"Docker 99.1.0 at {engine}")]


def test_a_client_uses_the_engines_api_version_and_closes_without_a_warning(engine):
    def use() -> None:
        client = docker_client(timeout=5)
        try:
            assert client.api.api_version == "1.44"
            assert client.ping() is True
        finally:
            client.close()

    assert resource_warnings(use) == []


def test_a_socket_answering_unlike_docker_is_no_engine_and_leaves_no_socket_open(monkeypatch):
    for host in _fake_engine(None):
        monkeypatch.setenv("DOCKER_HOST", host)
        with pytest.raises(DockerException) as caught:
            engine_version(timeout=5)
        assert str(caught.value).startswith("404 Client Error for http+docker://localhost/version")
        assert resource_warnings(docker_available) == []
