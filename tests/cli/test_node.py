"""`ogpu-sim node` serves a network that an unmodified SDK program in another process uses."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

APP = """
import time
from ogpu.client import publish_source, publish_task
from ogpu.types import ImageEnvironments, SourceInfo, TaskInfo, TaskInput

source = publish_source(SourceInfo(
    name="from-another-process", description="", logoUrl="",
    imageEnvs=ImageEnvironments(cpu="compose"), minPayment=1, minAvailableLockup=0,
    maxExpiryDuration=3600,
))
task = publish_task(TaskInfo(
    source=source.address, config=TaskInput(function_name="f", data={"x": 1}),
    expiryTime=int(time.time()) + 600, payment=10**15,
))
print(source.get_params().minPayment, task.get_status().name, task.get_metadata()["data"])
"""


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "ogpu_sim.cli", *args]


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    info = tmp_path_factory.mktemp("node") / "node.json"
    process = subprocess.Popen(
        cli("node", "--info", str(info)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not info.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"node did not start:\n{process.stdout.read()}")
            time.sleep(0.1)
        yield {"path": info, "info": json.loads(info.read_text()), "process": process}
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)


def test_node_writes_a_connection_file_with_addresses_and_keys(node):
    info = node["info"]

    assert set(info["addresses"]) == {"NEXUS", "CONTROLLER", "TERMINAL", "VAULT", "MANAGER"}
    assert info["rpc_url"].startswith("http://127.0.0.1:")
    assert info["accounts"]["client"]["private_key"].startswith("0x")


def test_an_unmodified_sdk_program_runs_against_the_node(node, tmp_path):
    app = tmp_path / "app.py"
    app.write_text(APP)
    env = {k: v for k, v in os.environ.items() if not k.endswith("_PRIVATE_KEY")}

    result = subprocess.run(
        cli("run", "--info", str(node["path"]), "--", sys.executable, str(app)),
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "1 NEW {'x': 1}"


STRICT_APP = """
import warnings

from ogpu.client import publish_source  # already imported by the binding: no import warning
from ogpu.types import ImageEnvironments, SourceInfo

publish_source(SourceInfo(  # the receipt's foreign logs make web3 warn (known, hidden)
    name="strict", description="", logoUrl="", imageEnvs=ImageEnvironments(cpu="compose"),
    minPayment=1, minAvailableLockup=0, maxExpiryDuration=3600,
))
try:
    warnings.warn("the program's own warning", UserWarning)
except UserWarning as exc:
    print("still strict:", exc)
"""


def test_a_program_run_under_w_error_binds_and_runs_with_only_the_known_warnings_hidden(
    node, tmp_path
):
    app = tmp_path / "app.py"
    app.write_text(STRICT_APP)
    env = {k: v for k, v in os.environ.items() if not k.endswith("_PRIVATE_KEY")}
    env.pop("OGPU_SIM_SDK_WARNINGS", None)

    result = subprocess.run(
        cli("run", "--info", str(node["path"]), "--", sys.executable, "-W", "error", str(app)),
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )

    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.strip().splitlines() == ["still strict: the program's own warning"]


def test_the_known_warnings_show_in_a_run_program_when_asked(node, tmp_path):
    app = tmp_path / "app.py"
    app.write_text(STRICT_APP)
    env = {k: v for k, v in os.environ.items() if not k.endswith("_PRIVATE_KEY")}
    env["OGPU_SIM_SDK_WARNINGS"] = "show"

    result = subprocess.run(
        cli("run", "--info", str(node["path"]), "--", sys.executable, "-W", "error", str(app)),
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )

    assert result.returncode == 2
    assert "error: ogpu-sim run could not bind the SDK: websockets.legacy is deprecated" in (
        result.stderr
    )


ANSWERED_APP = """
import time
from ogpu.client import publish_source, publish_task
from ogpu.types import (
    DeliveryMethod, ImageEnvironments, SourceInfo, TaskInfo, TaskInput, TaskStatus,
)

source = publish_source(SourceInfo(
    name="answered", description="", logoUrl="", imageEnvs=ImageEnvironments(cpu="compose"),
    minPayment=1, minAvailableLockup=0, maxExpiryDuration=3600,
    deliveryMethod=DeliveryMethod.FIRST_RESPONSE,
))
task = publish_task(TaskInfo(
    source=source.address, config=TaskInput(function_name="f", data={"x": 1}),
    expiryTime=int(time.time()) + 600, payment=10**15,
))
deadline = time.monotonic() + 60
while task.get_status() != TaskStatus.FINALIZED and time.monotonic() < deadline:
    time.sleep(0.2)
(response,) = task.get_responses()
print(task.get_status().name, response.fetch_data()["input"])
"""


def test_a_node_with_providers_answers_a_program_that_publishes_a_task(tmp_path):
    info = tmp_path / "node.json"
    process = subprocess.Popen(
        cli("node", "--info", str(info), "--providers", "1"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not info.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"node did not start:\n{process.stdout.read()}")
            time.sleep(0.1)
        app = tmp_path / "app.py"
        app.write_text(ANSWERED_APP)

        result = subprocess.run(
            cli("run", "--info", str(info), "--", sys.executable, str(app)),
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tmp_path,
        )
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "FINALIZED {'x': 1}"


def test_run_without_a_node_names_the_missing_connection_file(tmp_path):
    result = subprocess.run(
        cli("run", "--info", str(tmp_path / "none.json"), "--", "true"),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 2
    assert "none.json" in result.stderr


def test_stopping_the_node_frees_its_port_and_removes_the_file(tmp_path):
    info = tmp_path / "node.json"
    process = subprocess.Popen(cli("node", "--info", str(info)), stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not info.exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.1)
    port = urlparse(json.loads(info.read_text())["rpc_url"]).port

    process.send_signal(signal.SIGTERM)

    assert process.wait(timeout=30) == 0
    assert not info.exists()
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0


PUBLISHER = """
import time
from ogpu.client import publish_source, publish_task
from ogpu.types import (
    DeliveryMethod, ImageEnvironments, SourceInfo, TaskInfo, TaskInput, TaskStatus,
)

RAW = "https://raw.githubusercontent.com/example-org/word-count/refs/heads/main"
source = publish_source(SourceInfo(
    name="word-count", description="", logoUrl="",
    imageEnvs=ImageEnvironments(cpu=f"{RAW}/docker-compose.yml"),
    minPayment=1, minAvailableLockup=0, maxExpiryDuration=3600,
    deliveryMethod=DeliveryMethod.FIRST_RESPONSE,
))
task = publish_task(TaskInfo(
    source=source.address,
    config=TaskInput(function_name="count_words", data={"text": "to be or not to be"}),
    expiryTime=int(time.time()) + 600, payment=10**15,
))
deadline = time.monotonic() + 90
while task.get_status() != TaskStatus.FINALIZED and time.monotonic() < deadline:
    time.sleep(0.2)
(response,) = task.get_responses()
print(task.get_status().name, response.fetch_data())
"""


def test_a_publish_script_naming_raw_github_urls_runs_the_working_copy(tmp_path):
    """The author's script is unchanged: its raw URLs resolve into the checkout's files."""
    import shutil

    repo = tmp_path / "word-count"
    shutil.copytree(Path(__file__).parents[2] / "fixtures" / "example-source-repo", repo)
    for args in (
        ["init", "-q"],
        ["remote", "add", "origin", "https://github.com/example-org/word-count.git"],
    ):
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)
    (repo / "publisher.py").write_text(PUBLISHER)
    info = tmp_path / "node.json"
    process = subprocess.Popen(
        cli("node", "--info", str(info), "--providers", "1", "--runtime", "inline"),
        cwd=repo,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not info.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"node did not start:\\n{process.stdout.read()}")
            time.sleep(0.1)

        result = subprocess.run(
            cli("run", "--info", str(info), "--", sys.executable, "publisher.py"),
            capture_output=True,
            text=True,
            timeout=150,
            cwd=repo,
        )
    finally:
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=30)

    assert result.returncode == 0, result.stderr + out
    assert "working copy    https://raw.githubusercontent.com/example-org/word-count/" in out
    assert result.stdout.strip().splitlines()[-1] == "FINALIZED {'words': 6, 'characters': 18}"


def test_a_program_run_by_a_python_without_ogpu_sim_is_told_which_python_to_use(node, tmp_path):
    bare = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True)
    app = tmp_path / "app.py"
    app.write_text("print('ran against the SDK defaults')\n")

    result = subprocess.run(
        cli("run", "--info", str(node["path"]), "--", str(bare / "bin" / "python"), str(app)),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )

    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "error: ogpu-sim run could not bind the SDK: No module named 'ogpu_sim' "
        f"(in {bare / 'bin' / 'python'}: run it with the Python ogpu-sim is in, {sys.executable})\n"
    )
