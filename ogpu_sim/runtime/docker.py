"""The docker runtime: one container per (source, environment), as a provider would run it.

Each runtime creates its own bridge network; the callback server also listens on that network's
gateway address, which containers get as ``CALLBACK_URL`` (with ``SOURCE_ADDRESS`` and
``PROVIDER_ADDRESS``). Port 5555 is published on 127.0.0.1 only. A GPU environment uses the
compose file's device options when the engine has that GPU; otherwise the same container runs
without them and with ``OGPU_SIM_ENVIRONMENT=<env>`` (emulation, said in the handler's log).

Everything created carries the label ``ogpu-sim`` and ``ogpu-sim.owner=<host>:<pid>``; it is
removed on ``close()``, and a new runtime reaps what runtimes of dead processes on this host
left behind. Nothing without those labels is ever touched.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import uuid
from typing import Any

from docker.client import from_env
from docker.errors import APIError, DockerException, NotFound
from docker.types import DeviceRequest

from .base import Handler, Runtime
from .callbacks import CallbackServer
from .compose import SourceFolder
from .errors import HandlerDispatchError, HandlerStartError
from .gpu import engine_has_gpu
from .images import BASE_IMAGE, handler_image
from .process import dispatch_http, wait_ready

__all__ = ["BASE_IMAGE", "LABEL", "DockerHandler", "DockerRuntime", "reap_leftovers"]

LABEL = "ogpu-sim"
OWNER_LABEL = "ogpu-sim.owner"
READY_TIMEOUT = 180.0


def owner_id() -> str:
    """This process's owner label value: ``<hostname>:<pid>``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _owner_alive(owner: str) -> bool:
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True  # another machine's, or not ours to judge
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reap_leftovers(client: Any) -> list[str]:
    """Remove containers and networks labelled ``ogpu-sim`` whose owner process is gone.

    Returns:
        The names of what was removed.
    """
    removed = []
    for container in client.containers.list(all=True, filters={"label": LABEL}):
        if not _owner_alive(container.labels.get(OWNER_LABEL, "")):
            # NotFound / 409 "removal already in progress": another run reaps it concurrently.
            with contextlib.suppress(NotFound, APIError):
                container.remove(force=True)
                removed.append(container.name)
    for network in client.networks.list(filters={"label": LABEL}):
        if not _owner_alive((network.attrs.get("Labels") or {}).get(OWNER_LABEL, "")):
            with contextlib.suppress(NotFound, APIError):
                network.remove()
                removed.append(network.name)
    return removed


class DockerHandler(Handler):
    """A handler container on the runtime's network."""

    def __init__(self, callbacks: CallbackServer, source: SourceFolder, environment: str) -> None:
        super().__init__(callbacks, source, environment)
        self.container: Any = None
        self._log_thread: threading.Thread | None = None

    def launch(self, client: Any, image: str, options: dict[str, Any]) -> None:
        """Run the container and wait until its service answers."""
        try:
            self.container = client.containers.create(image, **options)
            self.container.start()
        except (APIError, DockerException) as exc:
            self.stop()  # a created container whose start failed (e.g. a device request)
            raise HandlerStartError(
                self.source.name, self.environment, f"container did not start: {exc}", self.logs()
            ) from exc
        self.container.reload()
        port = self.container.attrs["NetworkSettings"]["Ports"]["5555/tcp"][0]["HostPort"]
        self.url = f"http://127.0.0.1:{port}"
        self._log_thread = threading.Thread(
            target=self._follow_logs, daemon=True, name=f"ogpu-sim-docker-log-{self.source.name}"
        )
        self._log_thread.start()
        problem = wait_ready(self.url, self._exited, READY_TIMEOUT)
        if problem:
            log = self.logs()
            with contextlib.suppress(DockerException):
                log = self.container.logs(tail=200).decode("utf-8", "replace")
            self.stop()
            raise HandlerStartError(self.source.name, self.environment, problem, log)

    def _exited(self) -> str | None:
        try:
            self.container.reload()
        except NotFound:
            return "container is gone"
        state = self.container.attrs.get("State", {})
        if state.get("Status") in ("exited", "dead"):
            return f"container exited with code {state.get('ExitCode')}"
        return None

    def _follow_logs(self) -> None:
        try:
            for chunk in self.container.logs(stream=True, follow=True):
                self.log.write(chunk.decode("utf-8", "replace"))
        except (DockerException, OSError, ValueError):
            pass  # the container was removed

    def dispatch(self, function_name: str, task_address: str, data: dict[str, Any]) -> None:
        if self.container is None or self.url is None:
            problem = "handler container is not running"
            raise HandlerDispatchError(function_name, task_address, problem)
        dispatch_http(self.url, function_name, task_address, data)

    def stop(self) -> None:
        container, self.container = self.container, None
        if container is not None:
            with contextlib.suppress(NotFound):
                container.remove(force=True)
        if self._log_thread is not None:
            self._log_thread.join(timeout=5)


class DockerRuntime(Runtime):
    """Runs each source environment's service in a container on a network of its own.

    Args:
        callbacks: the started callback server.
        base_image: the handler images' base (``BASE_IMAGE`` build arg).
        client: a docker SDK client (default ``docker.from_env()``).
    """

    name = "docker"

    def __init__(
        self, callbacks: CallbackServer, *, base_image: str = BASE_IMAGE, client: Any = None
    ) -> None:
        super().__init__(callbacks)
        try:
            self.client = client or from_env(timeout=120)
            self.client.ping()
        except (DockerException, OSError) as exc:
            raise HandlerStartError("-", "-", f"Docker engine not reachable: {exc}") from exc
        self.base_image = base_image
        self.run_id = uuid.uuid4().hex[:8]
        self.labels = {LABEL: "1", OWNER_LABEL: owner_id(), "ogpu-sim.run": self.run_id}
        self.network: Any = None
        self.gateway: str | None = None
        self._info: dict[str, Any] | None = None
        self._names = 0
        self._setup_lock = threading.Lock()
        reap_leftovers(self.client)

    def _ensure_network(self) -> tuple[Any, str]:
        with self._setup_lock:
            return self._create_network()

    def _create_network(self) -> tuple[Any, str]:
        if self.network is None:
            self.network = self.client.networks.create(
                f"ogpu-sim-{self.run_id}", driver="bridge", labels=self.labels
            )
            self.network.reload()
            config = (self.network.attrs.get("IPAM") or {}).get("Config") or [{}]
            gateway = config[0].get("Gateway")
            if not gateway:
                raise HandlerStartError("-", "-", f"network {self.network.name} has no gateway")
            self.gateway = str(gateway).split("/", 1)[0]
        assert self.gateway is not None
        return self.network, self.gateway

    def start(
        self,
        source: SourceFolder,
        environment: str = "cpu",
        *,
        source_address: str = "",
        provider_address: str = "",
    ) -> Handler:
        service = source.service(environment)
        image, build_log = handler_image(self.client, source, service, self.base_image)
        network, gateway = self._ensure_network()
        handler = DockerHandler(self.callbacks, source, environment)
        if build_log:
            handler.log.write(build_log)
        env = {k: v for k, v in service.environment_vars.items() if "${" not in v}
        env.update(
            CALLBACK_URL=self.callbacks.url_for(gateway),
            SOURCE_ADDRESS=source_address or "0xundefined",
            PROVIDER_ADDRESS=provider_address or "0xundefined",
            PYTHONUNBUFFERED="1",
        )
        options: dict[str, Any] = {}
        if service.gpu is not None:
            if self._info is None:
                self._info = self.client.info()
            if engine_has_gpu(service.gpu, self._info):
                options.update(_device_options(service.gpu))
            else:
                handler.emulated = True
                env["OGPU_SIM_ENVIRONMENT"] = environment
                handler.log.line(
                    f"ogpu-sim: emulating the {environment} environment (the engine has no "
                    f"{service.gpu} GPU): device options removed, "
                    f"OGPU_SIM_ENVIRONMENT={environment}"
                )
        with self._setup_lock:
            self._names += 1
            name = f"ogpu-sim-{self.run_id}-{source.name}-{environment}-{self._names}"
        options.update(
            name="".join(c if c.isalnum() or c in "-_." else "-" for c in name),
            labels={**self.labels, "ogpu-sim.source": source.name, "ogpu-sim.env": environment},
            network=network.name,
            ports={"5555/tcp": ("127.0.0.1", None)},
            environment=env,
        )
        self._track(handler)
        handler.launch(self.client, image, options)
        return handler

    def close(self) -> None:
        try:
            super().close()
        finally:
            network, self.network = self.network, None
            if self.gateway is not None:
                self.callbacks.release(self.gateway)
                self.gateway = None
            if network is not None:
                with contextlib.suppress(NotFound):
                    network.remove()


def _device_options(gpu: str) -> dict[str, Any]:
    if gpu == "nvidia":
        return {
            "device_requests": [DeviceRequest(driver="nvidia", count=-1, capabilities=[["gpu"]])]
        }
    return {
        "devices": ["/dev/kfd:/dev/kfd:rwm", "/dev/dri:/dev/dri:rwm"],
        "group_add": ["video"],
    }
