"""The conformance suite on the process runtime (the real ogpu.service app in a subprocess)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Any

import pytest
import requests

from ogpu_sim.runtime import (
    CallbackServer,
    Handler,
    HandlerStartError,
    Runtime,
    create_runtime,
    load_source_folder,
)
from ogpu_sim.runtime.process import ProcessHandler

from .conformance import SeparateProcessConformance
from .conftest import SAMPLES


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.xdist_group("runtime-process")  # one class setup, on one worker (--dist loadgroup)
class TestProcessRuntime(SeparateProcessConformance):
    @classmethod
    def make_runtime(cls, callbacks: CallbackServer) -> Runtime:
        return create_runtime("process", callbacks)

    @classmethod
    def resources(cls, runtime: Runtime, handler: Handler) -> list[Any]:
        assert isinstance(handler, ProcessHandler) and handler._process is not None
        return [handler._process.pid, handler.url]

    @classmethod
    def released(cls, resource: Any) -> bool:
        if isinstance(resource, int):
            return not _pid_alive(resource)
        try:
            requests.get(f"{resource}/openapi.json", timeout=2)
        except requests.ConnectionError:
            return True
        return False

    def test_the_service_listens_on_127_0_0_1_with_its_openapi_document(self, handlers):
        url = handlers["multiply"].url
        assert url is not None and url.startswith("http://127.0.0.1:")
        paths = requests.get(f"{url}/openapi.json", timeout=5).json()["paths"]
        assert list(paths) == ["/run/multiply/{task_address}"]


def test_an_import_error_is_a_start_error_with_the_traceback(callbacks, tmp_path):
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "handler.py").write_text("import not_a_module_anywhere\n")
    compose = (SAMPLES / "multiply" / "docker-compose.yml").read_text()
    (folder / "docker-compose.yml").write_text(compose)
    runtime = create_runtime("process", callbacks)
    with runtime, pytest.raises(HandlerStartError) as caught:
        runtime.start(load_source_folder(folder))
    assert caught.value.problem == (
        "handler.py failed to start: ModuleNotFoundError: No module named 'not_a_module_anywhere'"
    )
    assert "ModuleNotFoundError: No module named 'not_a_module_anywhere'" in caught.value.log


CRASHING_HARNESS = """
import os, sys
sys.path.insert(0, {root!r})
from ogpu_sim.runtime import CallbackServer, create_runtime, load_source_folder
callbacks = CallbackServer().start()
runtime = create_runtime("process", callbacks)
handler = runtime.start(load_source_folder({folder!r}))
print(handler._process.pid, flush=True)
os._exit(1)  # a crash: no close(), no atexit
"""


def test_a_handler_process_ends_when_its_harness_crashes(tmp_path):
    script = tmp_path / "crash.py"
    root = str(SAMPLES.parent.parent)
    script.write_text(CRASHING_HARNESS.format(root=root, folder=str(SAMPLES / "multiply")))
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=False
    )
    pid = int(result.stdout.split()[-1])
    deadline = time.monotonic() + 10
    while _pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _pid_alive(pid)
