"""The process runtime: each handler in its own Python subprocess on a free 127.0.0.1 port.

The handler runs as its Dockerfile's ``CMD`` runs it (``python main.py`` from the folder that
stands for the image's ``WORKDIR``, or ``python -m module``), with the real ``ogpu.service``
FastAPI app and uvicorn, started through :mod:`ogpu_sim.runtime.launcher`. Its environment
gets ``CALLBACK_URL``, ``SOURCE_ADDRESS``, ``PROVIDER_ADDRESS``, the handler service's
``environment:`` substituted as Compose would (``PORT`` is the port it serves on) and, for a
GPU environment without that GPU, ``OGPU_SIM_ENVIRONMENT``; and the known SDK-stack warnings
this process ignores, which the launcher ignores too (a strict ``PYTHONWARNINGS=error`` starts
it as it starts an inline handler). Output is captured into the handler's log; the process
group is killed on stop.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

import requests

from ..errors import UnknownFunctionError
from ..sources import SourceFolder
from .base import Handler, Runtime
from .callbacks import CallbackServer
from .environ import (
    QUIET_WARNINGS_ENV,
    provider_variables,
    service_environment,
    warnings_variables,
)
from .errors import HandlerDispatchError, HandlerInputError, HandlerStartError
from .failures import NAME_THE_HANDLER, handler_name, start_error
from .gpu import host_has_gpu

READY_TIMEOUT = 180.0
"""Seconds a handler (process or container) has to answer on its port after it starts."""
LAUNCHER = Path(__file__).with_name("launcher.py")


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free on ``host`` right now."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def dispatch_http(
    base_url: str, function_name: str, task_address: str, data: Any, key: str | None = None
) -> None:
    """``POST {base_url}/run/{function_name}/{key}`` (the callback key, default the task's
    address); maps the answer to our errors."""
    url = f"{base_url}/run/{function_name}/{key or task_address}"
    try:
        response = requests.post(url, json=data, timeout=30)
    except requests.RequestException as exc:
        raise HandlerDispatchError(function_name, task_address, f"{url}: {exc}") from exc
    if response.status_code == 202:
        return
    if response.status_code == 422:
        raise HandlerInputError(function_name, task_address, response.json().get("detail", []))
    if response.status_code == 404:
        exposed = exposed_functions(base_url)
        if exposed is not None and function_name not in exposed:
            raise UnknownFunctionError(function_name, task_address, exposed)
    raise HandlerDispatchError(
        function_name, task_address, f"{response.status_code}: {response.text[:300]}"
    )


def exposed_functions(base_url: str) -> list[str] | None:
    """The functions an ``ogpu.service`` app exposes, from its OpenAPI paths (None: unknown)."""
    try:
        document = requests.get(f"{base_url}/openapi.json", timeout=10).json()
    except (requests.RequestException, ValueError):
        return None
    names = []
    for path in document.get("paths", {}):
        parts = path.strip("/").split("/")
        if len(parts) == 3 and parts[0] == "run" and parts[2] == "{task_address}":
            names.append(parts[1])
    return names


def wait_ready(url: str, alive: Any, timeout: float = READY_TIMEOUT) -> str | None:
    """Poll ``{url}/openapi.json`` until it answers 200.

    Args:
        alive: a zero-argument callable; a string return means the handler died (the reason).

    Returns:
        None when ready, else the reason it is not.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reason = alive()
        if reason:
            return reason
        try:
            if requests.get(f"{url}/openapi.json", timeout=2).status_code == 200:
                return None
        except requests.RequestException:
            pass
        time.sleep(0.05)
    return f"not serving {url}/openapi.json after {timeout:.0f} s"


class ProcessHandler(Handler):
    """A handler served by its own subprocess, started as its Dockerfile's CMD starts it."""

    runtime = "process"

    def __init__(
        self,
        callbacks: CallbackServer,
        source: SourceFolder,
        environment: str,
        env: dict[str, str],
        port: int,
    ) -> None:
        super().__init__(callbacks, source, environment)
        self._env = env
        self._port = port
        self._process: subprocess.Popen[bytes] | None = None
        self._reader: threading.Thread | None = None

    def launch(self) -> None:
        """Start the subprocess and wait until the service answers."""
        entry = self.source.service(self.environment).entry
        assert entry is not None
        self.url = f"http://127.0.0.1:{self._port}"
        target = ["-m", entry.target] if entry.kind == "module" else [entry.target]
        command = [sys.executable, str(LAUNCHER), *target, str(self._port)]
        self.log.line(f"ogpu-sim: running {entry.origin} in {entry.cwd}")
        self._process = subprocess.Popen(
            command,
            cwd=str(entry.cwd),
            env=self._env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        assert self._process.stdout is not None
        self._reader = threading.Thread(
            target=self._pump,
            args=(self._process.stdout,),
            daemon=True,
            name=f"ogpu-sim-process-log-{self.source.name}",
        )
        self._reader.start()
        problem = wait_ready(self.url, self._exited)
        if problem:
            self.stop()
            log = self.logs()
            name = handler_name(self.source.path, entry.file)
            raise start_error(self.source.name, self.environment, problem, log, log, name)

    def _exited(self) -> str | None:
        assert self._process is not None
        code = self._process.poll()
        if code is None:
            return None
        if self._reader is not None:
            self._reader.join(timeout=2)  # the last lines say why
        return f"process exited with code {code}"

    def _pump(self, stream: IO[bytes]) -> None:
        for raw in iter(stream.readline, b""):
            self.log.write(raw.decode("utf-8", "replace"))
        stream.close()

    def dispatch(
        self, function_name: str, task_address: str, data: dict[str, Any], key: str | None = None
    ) -> None:
        if self._process is None or self._process.poll() is not None or self.url is None:
            problem = "handler process is not running"
            raise HandlerDispatchError(function_name, task_address, problem)
        dispatch_http(self.url, function_name, task_address, data, key)

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
                try:
                    os.killpg(process.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    process.wait(wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        process.wait()
        if self._reader is not None:
            self._reader.join(timeout=2)


class ProcessRuntime(Runtime):
    """Runs each handler module in a subprocess on a free 127.0.0.1 port."""

    name = "process"

    def start(
        self,
        source: SourceFolder,
        environment: str = "cpu",
        *,
        source_address: str = "",
        provider_address: str = "",
    ) -> Handler:
        service = source.service(environment)
        if service.entry is None:
            raise HandlerStartError(
                source.name,
                environment,
                f"nothing to run in a process: {service.entry_problem}; {NAME_THE_HANDLER}",
            )
        port = free_port()
        variables = provider_variables(
            port=port,
            callback_url=self.callbacks.url_for(None),
            source_address=source_address,
            provider_address=provider_address,
        )
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("OGPU_SDK_SENTRY_DSN", "OGPU_SIM_ENVIRONMENT", QUIET_WARNINGS_ENV)
        }
        env.update(service_environment(service, variables))
        env.update(warnings_variables())
        env.update(
            CALLBACK_URL=variables["CALLBACK_URL"],
            SOURCE_ADDRESS=variables["SOURCE_ADDRESS"],
            PROVIDER_ADDRESS=variables["PROVIDER_ADDRESS"],
            PYTHONUNBUFFERED="1",
            NO_COLOR="1",
            OGPU_SIM_PARENT_PID=str(os.getpid()),
        )
        handler = ProcessHandler(self.callbacks, source, environment, env, port)
        if service.gpu is not None and not host_has_gpu(service.gpu):
            env["OGPU_SIM_ENVIRONMENT"] = environment
            handler.emulated = True
            handler.log.line(
                f"ogpu-sim: emulating the {environment} environment (no {service.gpu} GPU here): "
                f"OGPU_SIM_ENVIRONMENT={environment}"
            )
        self._track(handler)
        handler.launch()
        return handler
