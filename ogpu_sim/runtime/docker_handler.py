"""One source's compose project as a running handler: up, wait, follow the logs, dispatch, down.

:class:`~ogpu_sim.runtime.docker.DockerRuntime` builds the project (images, variables, override
files) and hands it to a :class:`DockerHandler`, which runs ``docker compose up -d``, waits until
the handler service answers on 127.0.0.1, follows every service's logs into the handler log,
turns a start that fails into a :class:`~ogpu_sim.runtime.errors.HandlerStartError` naming the
handler's file and exception, and takes the project down again, volumes and workdir included.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import threading
from pathlib import Path
from typing import IO, Any, NoReturn

from docker.errors import NotFound

from ..sources import SourceFolder
from .base import Handler
from .callbacks import CallbackServer
from .errors import HandlerDispatchError, HandlerStartError
from .failures import handler_name, start_error
from .process import dispatch_http, wait_ready
from .stack import ComposeProject, last_line


class DockerHandler(Handler):
    """A source's compose project; its handler service answers on 127.0.0.1.

    Attributes:
        project: the Compose project (name, files, variables).
        container: the handler service's container (docker SDK object).
        service: the handler service's name.
    """

    runtime = "docker"

    def __init__(
        self,
        callbacks: CallbackServer,
        source: SourceFolder,
        environment: str,
        client: Any,
        workdir: Path,
    ) -> None:
        super().__init__(callbacks, source, environment)
        self.client = client
        self.workdir = workdir
        self.service = source.service(environment).service
        self.project: ComposeProject | None = None
        self.container: Any = None
        self._logs: subprocess.Popen[bytes] | None = None
        self._log_thread: threading.Thread | None = None

    def launch(self, project: ComposeProject) -> None:
        """``docker compose up -d`` and wait until the handler service answers."""
        self.project = project
        result = project.run("up", "-d", "--build")
        self.log.write(result.stderr)
        if result.returncode != 0:
            self.stop()
            raise HandlerStartError(
                self.source.name,
                self.environment,
                f"docker compose up failed: {last_line(result.stderr)}{pull_hint(result.stderr)}",
                self.logs(),
            )
        self._logs = project.popen("logs", "--follow", "--no-color")
        assert self._logs.stdout is not None
        self._log_thread = threading.Thread(
            target=self._pump,
            args=(self._logs.stdout,),
            daemon=True,
            name=f"ogpu-sim-compose-log-{self.source.name}",
        )
        self._log_thread.start()
        self.container = self._find_container()
        if self.container is None:
            self.stop()
            raise HandlerStartError(
                self.source.name,
                self.environment,
                f"service {self.service} has no container",
                self.logs(),
            )
        bindings = (self.container.attrs["NetworkSettings"]["Ports"] or {}).get("5555/tcp")
        if not bindings:
            self._fail(self._exited() or f"service {self.service} publishes no port 5555")
            return
        self.url = f"http://127.0.0.1:{bindings[0]['HostPort']}"
        waited = wait_ready(self.url, self._exited)
        if waited:
            self._fail(waited)

    def _fail(self, problem: str) -> NoReturn:
        log = self.logs()
        own = log
        if self.project is not None:
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                own = self.project.run(
                    "logs", "--no-color", "--no-log-prefix", self.service, timeout=60
                ).stdout
        entry = self.source.service(self.environment).entry
        name = handler_name(self.source.path, entry.file) if entry else self.service
        self.stop()
        raise start_error(self.source.name, self.environment, problem, log, own, name)

    def _find_container(self) -> Any:
        assert self.project is not None
        filters = {
            "label": [
                f"com.docker.compose.project={self.project.name}",
                f"com.docker.compose.service={self.service}",
            ]
        }
        found = self.client.containers.list(all=True, filters=filters, ignore_removed=True)
        return found[0] if found else None

    def _exited(self) -> str | None:
        try:
            self.container.reload()
        except NotFound:
            return "container is gone"
        state = self.container.attrs.get("State", {})
        if state.get("Status") in ("exited", "dead"):
            return f"container of {self.service} exited with code {state.get('ExitCode')}"
        return None

    def _pump(self, stream: IO[bytes]) -> None:
        for raw in iter(stream.readline, b""):
            self.log.write(raw.decode("utf-8", "replace"))
        stream.close()

    def dispatch(
        self, function_name: str, task_address: str, data: dict[str, Any], key: str | None = None
    ) -> None:
        if self.container is None or self.url is None:
            problem = "handler container is not running"
            raise HandlerDispatchError(function_name, task_address, problem)
        dispatch_http(self.url, function_name, task_address, data, key)

    def stop(self) -> None:
        project, self.project = self.project, None
        self.container = None
        if project is not None:
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                result = project.run("down", "--volumes", "--remove-orphans", "--timeout", "5")
                if result.returncode != 0:
                    self.log.line(f"ogpu-sim: docker compose down failed: {result.stderr}")
        logs, self._logs = self._logs, None
        if logs is not None:
            with contextlib.suppress(ProcessLookupError):
                logs.kill()
            logs.wait()
        if self._log_thread is not None:
            self._log_thread.join(timeout=5)
        shutil.rmtree(self.workdir, ignore_errors=True)


def pull_hint(stderr: str) -> str:
    """What to do when ``docker compose up`` failed because an image could not be pulled."""
    lowered = stderr.lower()
    if "pull" in lowered or "registry" in lowered or "manifest" in lowered:
        return (
            " (an image could not be pulled: replace sidecars with a compose override file, "
            "compose_overrides=[...], and run the handler from the working copy)"
        )
    return ""
