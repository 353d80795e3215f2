"""The conformance suite on the docker runtime, plus labels, networks and reaping.

Needs a Docker engine (``eval "$(.ci/docker.sh start)"``); skipped with the reason when none
answers, a failure when CI=true.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from docker.client import from_env
from docker.errors import NotFound

from ogpu_sim.runtime import (
    CallbackServer,
    Handler,
    HandlerStartError,
    Runtime,
    create_runtime,
    images,
    load_source_folder,
)
from ogpu_sim.runtime.docker import LABEL, OWNER_LABEL, DockerHandler, DockerRuntime, reap_leftovers
from ogpu_sim.runtime.images import BASE_IMAGE, ensure_base_image
from ogpu_sim.runtime.reaping import workdir_root

from .conformance import SeparateProcessConformance, new_task
from .conftest import REAL, SAMPLES, require_docker

# One group: a reaping test must not race another worker's runtime reaping the same leftovers.
pytestmark = [pytest.mark.docker, pytest.mark.xdist_group("runtime-docker")]


@pytest.fixture(scope="module", autouse=True)
def docker_client() -> Iterator[Any]:
    require_docker()
    client = from_env(timeout=120)
    ensure_base_image(client)
    try:
        yield client
    finally:
        client.close()


def _gone_process(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return not Path(f"/proc/{pid}").exists()


def _gone(client: Any, kind: str, ident: str) -> bool:
    try:
        getattr(client, kind).get(ident)
    except NotFound:
        return True
    return False


class TestDockerRuntime(SeparateProcessConformance):
    @classmethod
    def make_runtime(cls, callbacks: CallbackServer) -> Runtime:
        return create_runtime("docker", callbacks)

    @classmethod
    def resources(cls, runtime: Runtime, handler: Handler) -> list[Any]:
        assert isinstance(handler, DockerHandler) and isinstance(runtime, DockerRuntime)
        return [("containers", handler.container.id), ("networks", runtime.network.id)]

    @classmethod
    def released(cls, resource: Any) -> bool:
        client = from_env()
        try:
            return _gone(client, *resource)
        finally:
            client.close()

    def test_containers_and_network_carry_the_run_labels(self, runtime, handlers, docker_client):
        assert isinstance(runtime, DockerRuntime)
        containers = docker_client.containers.list(
            filters={"label": f"ogpu-sim.run={runtime.run_id}"}
        )
        assert sorted(c.labels["ogpu-sim.source"] for c in containers) == [
            "envprobe",
            "envprobe",
            "multiply",
            "raises",
            "sentiment",
            "slow",
        ]
        assert runtime.network.attrs["Labels"][OWNER_LABEL] == runtime.labels[OWNER_LABEL]

    def test_port_5555_is_published_on_127_0_0_1_only(self, handlers):
        container = handlers["multiply"].container
        bindings = container.attrs["NetworkSettings"]["Ports"]["5555/tcp"]
        assert [b["HostIp"] for b in bindings] == ["127.0.0.1"]

    def test_callback_url_is_the_networks_gateway(self, runtime, handlers):
        env = dict(e.split("=", 1) for e in handlers["multiply"].container.attrs["Config"]["Env"])
        assert env["CALLBACK_URL"].startswith(f"http://{runtime.gateway}:")

    def test_each_handler_is_a_compose_project_of_its_own(self, handlers):
        handler = handlers["multiply"]
        assert isinstance(handler, DockerHandler) and handler.project is not None
        labels = handler.container.labels
        assert (labels["com.docker.compose.project"], labels["com.docker.compose.service"]) == (
            handler.project.name,
            "multiply",
        )
        assert handlers["sentiment"].project.name != handler.project.name


def test_leftovers_of_a_dead_run_are_reaped_and_others_untouched(docker_client):
    dead = {LABEL: "1", OWNER_LABEL: f"{__import__('socket').gethostname()}:999999999"}
    leftover = docker_client.containers.create(BASE_IMAGE, ["sleep", "60"], labels=dead)
    stranger = docker_client.containers.create(BASE_IMAGE, ["sleep", "60"])
    network = docker_client.networks.create("ogpu-sim-test-leftover", labels=dead)
    volume = docker_client.volumes.create("ogpu-sim-test-leftover", labels=dead)
    try:
        removed = reap_leftovers(docker_client)
        assert {leftover.name, network.name, volume.name} <= set(removed)
        assert _gone(docker_client, "containers", leftover.id)
        assert _gone(docker_client, "networks", network.id)
        assert _gone(docker_client, "volumes", volume.id)
        assert not _gone(docker_client, "containers", stranger.id)
    finally:
        stranger.remove(force=True)
        for kind, ident in (
            ("containers", leftover.id),
            ("networks", network.id),
            ("volumes", volume.id),
        ):
            if not _gone(docker_client, kind, ident):
                getattr(docker_client, kind).get(ident).remove()


def _project_resources(client: Any, project: str) -> dict[str, list[str]]:
    label = {"label": f"com.docker.compose.project={project}"}
    return {
        "containers": sorted(c.name for c in client.containers.list(all=True, filters=label)),
        "networks": sorted(n.name for n in client.networks.list(filters=label)),
        "volumes": sorted(v.name for v in client.volumes.list(filters=label)),
    }


def test_a_whole_stack_runs_and_goes_down_with_its_volumes(callbacks, docker_client, monkeypatch):
    monkeypatch.delenv("MODEL_HOST", raising=False)
    spec = load_source_folder(REAL / "chat-stack", compose_overrides=["tests/compose.override.yml"])
    with create_runtime("docker", callbacks) as runtime:
        handler = runtime.start(spec, "cpu")
        project = handler.project.name
        messages = [{"role": "user", "content": "abc"}]
        assert handler.run("text2text", new_task(), {"messages": messages}) == {
            "role": "assistant",
            "content": "cba",
        }
        assert _project_resources(docker_client, project) == {
            "containers": [f"{project}-chat-service-1", f"{project}-model-server-1"],
            "networks": [f"{project}_app_network"],
            "volumes": [f"{project}_model_cache"],
        }
        assert "model-server-1  | stub model server on 0.0.0.0:11434" in handler.logs()
        assert isinstance(handler, DockerHandler) and handler._logs is not None
        follower, workdir = handler._logs, handler.workdir
        assert workdir.parent == workdir_root() and workdir.name.startswith(f"{os.getpid()}-")
    assert _project_resources(docker_client, project) == {
        "containers": [],
        "networks": [],
        "volumes": [],
    }
    assert (follower.poll() is not None, workdir.exists()) == (True, False)


def test_an_image_build_context_lives_in_the_reaped_state_dir_and_is_removed(
    docker_client, monkeypatch
):
    contexts: list[Path] = []

    def recording(source: Any, service: Any, into: Path) -> Path:
        contexts.append(into)
        return real_build_context(source, service, into)

    real_build_context = images.build_context
    monkeypatch.setattr(images, "build_context", recording)
    source = load_source_folder(SAMPLES / "multiply")
    images.handler_image(docker_client, source, source.service("cpu"))
    [context] = contexts
    assert context.parent.parent == workdir_root()
    assert context.parent.name.startswith(f"{os.getpid()}-build-")
    assert context.parent.exists() is False


def test_with_a_gpu_present_the_real_device_options_are_used(callbacks, monkeypatch, docker_client):
    # This engine has no NVIDIA runtime, so the real device request must fail the way Docker
    # fails it: proof that the device options are passed, not emulated.
    monkeypatch.setattr("ogpu_sim.runtime.docker.engine_has_gpu", lambda kind, info: True)
    with create_runtime("docker", callbacks) as runtime, pytest.raises(HandlerStartError) as caught:
        run_label = f"ogpu-sim.run={runtime.run_id}"
        runtime.start(load_source_folder(SAMPLES / "multiply"), "nvidia")
    assert 'could not select device driver "nvidia"' in caught.value.problem
    assert docker_client.containers.list(all=True, filters={"label": run_label}) == []


CRASHING_HARNESS = """
import os, sys
sys.path.insert(0, {root!r})
from ogpu_sim.runtime import CallbackServer, create_runtime, load_source_folder
callbacks = CallbackServer().start()
runtime = create_runtime("docker", callbacks)
handler = runtime.start(load_source_folder({folder!r}))
print(handler.workdir, handler._logs.pid, handler.project.name, flush=True)
os._exit(1)  # a crash: no close(), no down
"""


def test_a_project_left_by_a_killed_run_is_reaped_by_the_next_runtime(
    callbacks, tmp_path, docker_client
):
    script = tmp_path / "crash.py"
    script.write_text(
        CRASHING_HARNESS.format(root=str(SAMPLES.parent.parent), folder=str(SAMPLES / "multiply"))
    )
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300, check=False
    )
    workdir, follower, project = result.stdout.split()[-3:]
    assert _project_resources(docker_client, project)["containers"] == [f"{project}-multiply-1"]
    assert Path(workdir).is_dir()  # the override the project was made of
    assert _gone_process(int(follower))  # the log follower died with its owner
    create_runtime("docker", callbacks).close()  # a new runtime reaps on creation
    assert _project_resources(docker_client, project) == {
        "containers": [],
        "networks": [],
        "volumes": [],
    }
    assert not Path(workdir).exists()
