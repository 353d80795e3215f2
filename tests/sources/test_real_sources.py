"""Sources laid out as real ones finalize a task on every runtime (docker runs in CI).

``fixtures/real-sources/``: a compose-folder stack whose handler talks to a sidecar (stubbed by
an override file under docker, by a local stub server inline and in a process), and a single
NVIDIA-only root file whose handler is configured by the compose file's ``environment:``.
Both handler services are prebuilt ``image:`` references built from a lowercase ``dockerfile``
whose ``CMD ["python", "main.py"]`` starts them.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from ogpu.types import DeliveryMethod, TaskStatus

from ogpu_sim.runtime.gpu import FORCE_EMULATION_ENV
from ogpu_sim.runtime.process import free_port
from ogpu_sim.sources import load_source_folder
from ogpu_sim.vocabulary import ENVIRONMENT_BITS
from tests.runtime.conftest import require_docker

from .conftest import REAL

RUNTIMES = [
    pytest.param("inline", id="inline"),
    pytest.param("process", id="process"),
    pytest.param(
        "docker", id="docker", marks=[pytest.mark.docker, pytest.mark.xdist_group("docker")]
    ),
]


@pytest.fixture(params=RUNTIMES)
def runtime(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "docker":
        require_docker()
    monkeypatch.setenv(FORCE_EMULATION_ENV, "1")
    return str(request.param)


def wait_until_serving(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"the stub model server did not listen on 127.0.0.1:{port}")


@pytest.fixture(scope="module")
def model_server() -> Iterator[str]:
    """The chat stack's stub model server on 127.0.0.1, for runtimes that run no sidecars."""
    port = free_port()
    stub = REAL / "chat-stack" / "stub" / "server.py"
    process = subprocess.Popen(
        [sys.executable, str(stub), "127.0.0.1", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(port)
        yield url
    finally:
        process.kill()
        process.wait()


def test_a_compose_folder_stack_with_a_sidecar_finalizes(sim, runtime, model_server, monkeypatch):
    if runtime != "docker":
        monkeypatch.setenv("MODEL_HOST", model_server)  # ${MODEL_HOST:-...} in the compose file
    else:
        monkeypatch.delenv("MODEL_HOST", raising=False)
    spec = load_source_folder(REAL / "chat-stack", compose_overrides=["tests/compose.override.yml"])
    source = sim.publish_source_from_folder(spec, deliveryMethod=DeliveryMethod.FIRST_RESPONSE)
    sim.add_provider(source, runtime=runtime)
    messages = [{"role": "user", "content": "hello world"}]
    task = sim.publish_task(source, "text2text", {"messages": messages}, payment=10**15)

    sim.run_until_idle()

    assert task.get_status() == TaskStatus.FINALIZED
    assert task.get_responses()[0].fetch_data() == {"role": "assistant", "content": "dlrow olleh"}


def test_an_nvidia_only_root_file_with_an_env_configured_handler_finalizes(sim, runtime):
    source = sim.publish_source_from_folder(
        REAL / "nvidia-single", deliveryMethod=DeliveryMethod.FIRST_RESPONSE
    )
    assert source.get_params().imageEnvironments == ENVIRONMENT_BITS["nvidia"]
    sim.add_provider(source, environment="nvidia", runtime=runtime)
    task = sim.publish_task(source, "inference", {"input": "one two three"}, payment=10**15)

    sim.run_until_idle()

    assert task.get_status() == TaskStatus.FINALIZED
    assert task.get_responses()[0].fetch_data() == {
        "result": {"output": "three two one!", "task": "reverse-words"}
    }
