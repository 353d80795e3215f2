"""``ogpu-sim doctor``: what it reports with and without a Docker engine, and its exit code.

"With Docker" talks to a small stand-in engine on a unix socket that answers the three Docker
API calls doctor makes (version, image inspect); "without" points DOCKER_HOST at a dead socket.
A test against a real engine runs when one is reachable (CI provides one).
"""

from __future__ import annotations

import json
import os
import socketserver
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from rich.console import Console

from ogpu_sim.cli import doctor
from ogpu_sim.cli.main import main
from ogpu_sim.errors import AnvilNotFoundError
from ogpu_sim.runtime.images import base_recipe

IMAGE = doctor.base_image()


class _Engine(BaseHTTPRequestHandler):
    images: set[str] = set()

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path.endswith("/version"):
            self._send(200, {"Version": "20.10.24", "ApiVersion": "1.41", "MinAPIVersion": "1.12"})
        elif "/images/" in path and path.endswith("/json"):
            name = path.split("/images/", 1)[1][: -len("/json")]
            if name in self.images:
                self._send(200, {"Id": "sha256:" + "0" * 64, "RepoTags": [name]})
            else:
                self._send(404, {"message": f"No such image: {name}"})
        else:
            self._send(404, {"message": "page not found"})

    def _send(self, code: int, body: dict[str, object]) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def address_string(self) -> str:  # unix sockets have no client address
        return "unix"

    def log_message(self, *args: object) -> None:
        pass


class _UnixHTTPServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


@pytest.fixture
def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[type[_Engine]]:
    """A stand-in Docker engine; DOCKER_HOST points at it for the test."""
    sock = tmp_path / "docker.sock"
    handler = type("Engine", (_Engine,), {"images": set()})
    server = _UnixHTTPServer(str(sock), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    monkeypatch.setenv("DOCKER_HOST", f"unix://{sock}")
    try:
        yield handler
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def no_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    host = f"unix://{tmp_path}/dead.sock"
    monkeypatch.setenv("DOCKER_HOST", host)
    return host


def by_name(findings: list[doctor.Finding]) -> dict[str, doctor.Finding]:
    return {f.name: f for f in findings}


def test_without_docker_the_engine_is_an_optional_warning_with_the_fix(no_engine: str) -> None:
    (finding,) = doctor.check_docker(needed=False)
    assert finding.name == "docker engine"
    assert finding.status == "warn"
    assert finding.detail.startswith(f"no Docker engine at {no_engine}: ")
    assert finding.detail.endswith("; only needed for --runtime docker")
    assert finding.fix == doctor.DOCKER_FIX


def test_without_docker_a_docker_run_makes_it_a_failure(no_engine: str) -> None:
    (finding,) = doctor.check_docker(needed=True)
    assert finding.status == "fail"


def test_with_docker_the_engine_version_and_a_missing_base_image_are_reported(
    engine: type[_Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(doctor.shutil, "which", lambda name: f"/usr/bin/{name}")
    engine_finding, image_finding = doctor.check_docker(needed=True)
    assert engine_finding.status == "ok"
    assert engine_finding.detail == f"Docker 20.10.24 at {os.environ['DOCKER_HOST']}"
    assert image_finding.name == "docker base image"
    assert image_finding.status == "fail"
    assert image_finding.detail.startswith(f"{IMAGE} not built")
    assert image_finding.fix == f"bash {base_recipe()} {IMAGE}"


def test_without_mmdebstrap_the_base_images_fix_installs_it_first(
    engine: type[_Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(doctor.shutil, "which", lambda name: None)
    _, image_finding = doctor.check_docker(needed=True)
    assert image_finding.detail.startswith(
        f"{IMAGE} not built, and mmdebstrap (needed to build it) is missing"
    )
    assert image_finding.fix == f"apt-get install mmdebstrap && bash {base_recipe()} {IMAGE}"


def test_with_docker_and_the_base_image_everything_is_ok(engine: type[_Engine]) -> None:
    engine.images.add(IMAGE)
    findings = doctor.check_docker(needed=True)
    assert [(f.name, f.status) for f in findings] == [
        ("docker engine", "ok"),
        ("docker base image", "ok"),
    ]
    assert findings[1].detail == f"{IMAGE} present"


def test_a_package_at_the_wrong_version_fails_with_the_pip_command() -> None:
    (finding,) = doctor.check_packages([Requirement("rich<1")])
    assert finding.status == "fail"
    assert finding.detail.endswith("installed, need rich<1")
    assert finding.fix == ".venv/bin/pip install 'rich<1'"


def test_a_missing_package_fails_with_the_install_command() -> None:
    (finding,) = doctor.check_packages([Requirement("ogpu-sim-no-such-package>=1")])
    assert (finding.status, finding.fix) == ("fail", doctor.INSTALL_FIX)
    assert finding.detail == "not installed (need ogpu-sim-no-such-package>=1)"


def test_every_declared_requirement_is_checked() -> None:
    names = {f.name for f in doctor.check_packages()}
    assert {"package ogpu", "package web3", "package rich", "package matplotlib"} <= names


def test_rendered_output_lists_each_fix_and_the_verdict(no_engine: str) -> None:
    console = Console(record=True, width=200)
    findings = [
        doctor.Finding("python", "ok", "3.11.7"),
        *doctor.check_docker(needed=False),
    ]
    doctor.render(findings, console)
    text = console.export_text()
    assert f"docker engine (optional): fix with: {doctor.DOCKER_FIX}" in text
    assert "ready: everything needed is present; 1 optional warning(s)." in text
    assert doctor.exit_code(findings) == 0


def test_rendered_fixes_and_details_keep_their_square_brackets() -> None:
    console = Console(record=True, width=200)
    findings = [
        doctor.Finding("revm", "warn", "pyrevm [not installed]", "pip install 'ogpu-sim[revm]'")
    ]

    doctor.render(findings, console)

    text = console.export_text()
    assert "revm (optional): fix with: pip install 'ogpu-sim[revm]'" in text
    assert "pyrevm [not installed]" in text


def test_doctor_command_exits_non_zero_when_docker_is_required_and_absent(
    no_engine: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["doctor", "--docker"])
    out = capsys.readouterr().out
    assert code == 1
    assert "docker engine (missing): fix with: apt-get install docker.io" in out.replace("\n", " ")


@pytest.mark.docker
def test_against_a_real_engine_when_one_is_reachable() -> None:
    from tests.runtime.conftest import require_docker

    require_docker()
    findings = doctor.check_docker(needed=False)
    assert findings[0].detail.startswith("Docker ")


def test_the_artifacts_check_finds_the_shipped_contracts() -> None:
    finding = doctor.check_artifacts()

    assert finding.status == "ok"
    assert "8 compiled contracts" in finding.detail


def test_pyrevm_is_checked_and_reported_with_its_version() -> None:
    from importlib import metadata

    finding = doctor.check_pyrevm(needed=True)

    assert (finding.name, finding.status) == ("pyrevm", "ok")
    assert finding.detail == metadata.version("pyrevm")


def test_pytest_is_checked_for_the_plugin() -> None:
    from importlib import metadata

    assert doctor.check_pytest() == doctor.Finding(
        "pytest", "ok", f"{metadata.version('pytest')} (the ogpu-sim plugin loads by itself)"
    )


def _uninstalled(monkeypatch: pytest.MonkeyPatch, package: str) -> None:
    """Make ``package`` look not installed to the doctor's metadata lookups."""
    from importlib import metadata

    real = metadata.version

    def version(name: str) -> str:
        if name == package:
            raise metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(doctor.metadata, "version", version)


def test_a_missing_pytest_is_a_warning_with_the_install_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _uninstalled(monkeypatch, "pytest")

    assert doctor.check_pytest() == doctor.Finding(
        "pytest", "warn", "not installed (only for the pytest plugin)", "pip install pytest"
    )


def test_a_missing_pyrevm_is_a_warning_with_the_install_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _uninstalled(monkeypatch, "pyrevm")

    finding = doctor.check_pyrevm(needed=False)

    assert (finding.status, finding.fix) == ("warn", ".venv/bin/pip install pyrevm")


def test_an_anvil_on_path_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "anvil"
    fake.write_text("#!/bin/sh\necho 'anvil Version: 9.9.9-test'\n")
    fake.chmod(0o755)
    elsewhere = tmp_path / "site-packages" / "ogpu_sim" / "chain"
    elsewhere.mkdir(parents=True)
    monkeypatch.chdir(elsewhere)
    monkeypatch.delenv("OGPU_SIM_ANVIL", raising=False)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}/usr/bin:/bin")
    import ogpu_sim.chain.anvil as anvil_module

    monkeypatch.setattr(anvil_module, "__file__", str(elsewhere / "anvil.py"))

    finding = doctor.check_anvil(needed=True)

    assert finding.status == "ok"
    assert finding.detail == f"anvil Version: 9.9.9-test at {fake}"


def test_from_a_wheel_install_the_hints_are_pip_not_make(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(doctor, "in_checkout", lambda: False)

    node = doctor.check_node(needed=False)
    missing = doctor.check_packages([Requirement("surely-not-installed-ogpu-pkg>=1")])

    assert [(f.name, f.status) for f in node] == [("node / solc-js", "ok")]
    assert "npm" not in " ".join(f.fix for f in node)
    assert missing[0].fix.startswith("pip install --force-reinstall")


def test_from_a_wheel_a_missing_anvil_is_fixed_with_npm_or_foundryup(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import ogpu_sim.chain.anvil as anvil_module

    def missing() -> str:
        raise AnvilNotFoundError(["anvil on PATH"])

    monkeypatch.setattr(doctor, "in_checkout", lambda: False)
    monkeypatch.setattr(anvil_module, "find_anvil", missing)

    finding = doctor.check_anvil(needed=False)

    assert (finding.status, finding.fix) == (
        "warn",
        "npm install @foundry-rs/anvil-linux-amd64@1.7.1 (in the folder you run ogpu-sim from), "
        "or foundryup, or set $OGPU_SIM_ANVIL to an anvil binary",
    )
