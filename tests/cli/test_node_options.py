"""`ogpu-sim node` refuses, before it starts, what it could only get wrong later and silently;
while it serves, its providers' errors are printed."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ogpu_sim.cli.main import main

HERE = Path(__file__).resolve().parent
INITFAIL = HERE.parent / "runtime" / "sources" / "initfail"


def node(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """Run ``ogpu-sim node ARGS`` in this process; its exit code and its stderr."""
    code = main(["node", *args])
    return code, capsys.readouterr().err


def test_a_handler_folder_that_does_not_exist_is_refused(tmp_path, capsys):
    missing = tmp_path / "nowhere"

    code, err = node(capsys, "--providers", "1", "--handler", str(missing))

    assert code == 2
    assert err == f"error: --handler: {missing}: source folder does not exist\n"


def test_providers_on_the_docker_runtime_without_an_engine_are_refused(capsys, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/ogpu-sim-test.sock")

    code, err = node(capsys, "--providers", "1", "--runtime", "docker")

    assert code == 2
    assert err == (
        "error: --runtime: docker: no Docker engine at unix:///nonexistent/ogpu-sim-test.sock: "
        "cannot connect to /nonexistent/ogpu-sim-test.sock: No such file or directory; start a "
        "Docker engine or use auto or process\n"
    )


def test_a_handler_folder_without_services_is_refused(tmp_path, capsys):
    (tmp_path / "docker-compose.yml").write_text("services: {}\n")

    code, err = node(capsys, "--providers", "1", "--handler", str(tmp_path))

    assert code == 2
    assert err.startswith(f"error: --handler: {tmp_path / 'docker-compose.yml'}: ")


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--handler", "."),
        ("--source-dir", "."),
        ("--source-url", "https://example.org/repo/"),
        ("--behaviour", "late"),
    ],
)
def test_a_providers_option_without_providers_is_refused(capsys, option, value):
    code, err = node(capsys, option, value)

    assert code == 2
    assert err == f"error: {option}: only goes with --providers N (the providers that use it)\n"


def test_a_source_dir_that_is_not_a_folder_is_refused(tmp_path, capsys):
    code, err = node(capsys, "--providers", "1", "--source-dir", str(tmp_path / "nowhere"))

    assert code == 2
    assert err == f"error: --source-dir: no such folder: {tmp_path / 'nowhere'}\n"


def test_a_connection_file_that_cannot_be_written_is_refused(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")

    code, err = node(capsys, "--info", str(blocker / "node.json"))

    assert code == 2
    assert err.startswith(f"error: --info: cannot write {blocker / 'node.json'}: ")


PUBLISH = """
import time
from ogpu.client import publish_source, publish_task
from ogpu.types import ImageEnvironments, SourceInfo, TaskInfo, TaskInput

source = publish_source(SourceInfo(
    name="initfail", description="", logoUrl="",
    imageEnvs=ImageEnvironments(cpu="compose"), minPayment=1, minAvailableLockup=0,
    maxExpiryDuration=3600,
))
publish_task(TaskInfo(
    source=source.address, config=TaskInput(function_name="noop", data={}),
    expiryTime=int(time.time()) + 600, payment=10**15,
))
"""


def test_a_providers_handler_that_fails_to_start_is_printed_by_the_node(tmp_path):
    handler = tmp_path / "initfail"
    shutil.copytree(INITFAIL, handler)
    info = tmp_path / "node.json"
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "ogpu_sim.cli", "node", "--info", str(info)),
            *("--providers", "1", "--handler", str(handler), "--runtime", "inline"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not info.exists():
            assert process.poll() is None and time.monotonic() < deadline, "node did not start"
            time.sleep(0.1)
        assert json.loads(info.read_text())["rpc_url"].startswith("http://127.0.0.1:")
        app = tmp_path / "app.py"
        app.write_text(PUBLISH)
        published = subprocess.run(
            [
                sys.executable,
                "-m",
                "ogpu_sim.cli",
                "run",
                "--info",
                str(info),
                "--",
                *(
                    sys.executable,
                    str(app),
                ),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert published.returncode == 0, published.stderr
        time.sleep(3)  # the autorun thread recruits for the new source on its next steps
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)

    assert process.returncode == 0
    (line,) = [line for line in err.splitlines() if line.startswith("provider error: ")]
    assert "weights.bin is missing" in line
