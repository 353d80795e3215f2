"""``ogpu-sim doctor``: check this machine can run ogpu-sim, and say how to fix what is missing.

Checks Python and the installed package versions against ogpu-sim's own requirements, the
compiled contract artifacts, loopback ports, and the optional tools: Node.js and solc-js (only
needed to recompile the contracts), anvil (only for ``--backend anvil``) and a Docker engine with
the handler base image (only for ``--runtime docker``). A missing optional tool is a warning
unless the matching flag says it is needed.
"""

from __future__ import annotations

import importlib.metadata as metadata
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

ROOT = Path(__file__).resolve().parents[2]
"""Where ``pyproject.toml``, ``node_modules`` and ``Makefile`` live in a source checkout."""
PACKAGE = Path(__file__).resolve().parents[1]
"""The installed ``ogpu_sim`` package."""
MIN_PYTHON = (3, 10)


def in_checkout() -> bool:
    """True when ogpu-sim runs from its source checkout (not from an installed wheel)."""
    return (ROOT / "pyproject.toml").is_file() and (ROOT / "contracts").is_dir()


def install_fix() -> str:
    """How to (re)install ogpu-sim's Python packages, in a checkout or from a wheel."""
    if in_checkout():
        return "make install   (or: .venv/bin/pip install -e '.[dev]')"
    return "pip install --force-reinstall <the ogpu-sim wheel or git URL you installed from>"


INSTALL_FIX = "make install   (or: .venv/bin/pip install -e '.[dev]')"
"""The checkout's install command (kept for callers; :func:`install_fix` picks per install)."""
DOCKER_FIX = (
    "apt-get install docker.io, then start the engine (no systemd needed): "
    "sudo dockerd --host=unix:///var/run/docker.sock &   "
    "(or point DOCKER_HOST at a running engine)"
)


@dataclass(frozen=True)
class Finding:
    """One doctor check.

    Attributes:
        name: what was checked (``python``, ``package web3``, ``docker engine`` ...).
        status: ``ok``, ``warn`` (optional and missing) or ``fail`` (needed and missing).
        detail: what was found.
        fix: the command that fixes it (empty when nothing needs fixing).
    """

    name: str
    status: str
    detail: str
    fix: str = ""


def _needed(ok: bool, needed: bool) -> str:
    return "ok" if ok else ("fail" if needed else "warn")


def check_python() -> Finding:
    """Python is new enough for ogpu-sim and the SDK."""
    version = ".".join(str(v) for v in sys.version_info[:3])
    ok = sys.version_info[:2] >= MIN_PYTHON
    fix = "" if ok else "install Python >= 3.10 (e.g. apt-get install python3.11 python3.11-venv)"
    return Finding("python", "ok" if ok else "fail", f"{version} at {sys.executable}", fix)


def requirements() -> list[Requirement]:
    """ogpu-sim's runtime requirements: from its installed metadata, else from pyproject.toml."""
    try:
        lines = metadata.requires("ogpu-sim") or []
    except metadata.PackageNotFoundError:
        lines = _pyproject_requirements()
    found = []
    for line in lines:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
            found.append(requirement)
    return found


def _pyproject_requirements() -> list[str]:
    from ogpu_sim.simulate.scenario import tomllib

    path = ROOT / "pyproject.toml"
    if not path.is_file():
        return []
    return list(tomllib.loads(path.read_text())["project"]["dependencies"])


def check_packages(reqs: Iterable[Requirement] | None = None) -> list[Finding]:
    """Each required distribution is installed at a version the requirement accepts."""
    findings = []
    for req in requirements() if reqs is None else reqs:
        try:
            version = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            findings.append(
                Finding(f"package {req.name}", "fail", f"not installed (need {req})", install_fix())
            )
            continue
        if req.specifier and not req.specifier.contains(version, prereleases=True):
            findings.append(
                Finding(
                    f"package {req.name}",
                    "fail",
                    f"{version} installed, need {req}",
                    f"{'.venv/bin/pip' if in_checkout() else 'pip'} install '{req}'",
                )
            )
        else:
            findings.append(Finding(f"package {req.name}", "ok", version))
    return findings


def check_artifacts() -> Finding:
    """The compiled protocol (ABI + bytecode) ships in ``ogpu_sim/artifacts``."""
    folder = PACKAGE / "artifacts"
    count = len(list(folder.glob("*.json"))) if folder.is_dir() else 0
    if count:
        return Finding("contract artifacts", "ok", f"{count} compiled contracts in {folder}")
    fix = "make contracts" if in_checkout() else install_fix()
    return Finding("contract artifacts", "fail", f"none in {folder}", fix)


def check_pyrevm(needed: bool) -> Finding:
    """PyPI pyrevm, only needed for ``--backend revm``."""
    try:
        version = metadata.version("pyrevm")
    except metadata.PackageNotFoundError:
        fix = ".venv/bin/pip install pyrevm" if in_checkout() else "pip install 'ogpu-sim[revm]'"
        return Finding(
            "pyrevm", _needed(False, needed), "not installed (only for --backend revm)", fix
        )
    return Finding("pyrevm", "ok", version)


def check_pytest() -> Finding:
    """pytest, which the plugin runs in (ogpu-sim does not install it for you)."""
    try:
        version = metadata.version("pytest")
    except metadata.PackageNotFoundError:
        return Finding(
            "pytest", "warn", "not installed (only for the pytest plugin)", "pip install pytest"
        )
    return Finding("pytest", "ok", f"{version} (the ogpu-sim plugin loads by itself)")


def check_ports() -> Finding:
    """Servers can bind a free loopback port (mock IPFS, RPC, callback, handler processes)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
    except OSError as exc:
        return Finding(
            "free ports",
            "fail",
            f"cannot bind 127.0.0.1: {exc}",
            "free loopback ports or allow binding 127.0.0.1 (check the firewall/sandbox)",
        )
    return Finding("free ports", "ok", f"127.0.0.1 binds (got free port {port})")


def _tool_version(command: list[str], *, line: int = -1) -> str | None:
    """One line (default: the last) of a tool's ``--version`` output, or None if it fails."""
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = [text.strip() for text in result.stdout.splitlines() if text.strip()]
    return lines[line] if result.returncode == 0 and lines else None


def check_node(needed: bool) -> list[Finding]:
    """Node.js and solc-js, only needed to recompile the contracts (``make contracts``).

    From an installed wheel the contracts ship compiled and there is nothing to recompile.
    """
    if not in_checkout():
        detail = "not needed: the contracts ship compiled in the package"
        return [Finding("node / solc-js", "fail" if needed else "ok", detail)]
    node = shutil.which("node")
    version = _tool_version([node, "--version"]) if node else None
    findings = [
        Finding(
            "node",
            _needed(version is not None, needed),
            version or "not found (only needed to recompile the contracts)",
            "" if version else "apt-get install nodejs npm   (Node.js >= 18)",
        )
    ]
    solcjs = ROOT / "node_modules" / ".bin" / "solcjs"
    solc = _tool_version([str(solcjs), "--version"]) if solcjs.exists() and node else None
    findings.append(
        Finding(
            "solc-js",
            _needed(solc is not None, needed),
            solc or f"not found at {solcjs} (only needed to recompile the contracts)",
            "" if solc else "npm ci",
        )
    )
    return findings


def check_anvil(needed: bool) -> Finding:
    """The anvil binary, found where ``--backend anvil`` looks for it (``$OGPU_SIM_ANVIL``,
    ``node_modules/.bin/anvil`` here or in the checkout, then PATH)."""
    from ogpu_sim.chain.anvil import find_anvil
    from ogpu_sim.errors import AnvilNotFoundError

    try:
        anvil = find_anvil()
    except AnvilNotFoundError as exc:
        fix = (
            "npm ci"
            if in_checkout()
            else f"npm install {AnvilNotFoundError.NPM_PACKAGE} (in the folder you run "
            "ogpu-sim from), or foundryup, or set $OGPU_SIM_ANVIL to an anvil binary"
        )
        searched = ", ".join(exc.searched)
        return Finding(
            "anvil",
            _needed(False, needed),
            f"not found ({searched}; only for --backend anvil)",
            fix,
        )
    version = _tool_version([anvil, "--version"], line=0)
    if version is None:
        return Finding("anvil", _needed(False, needed), f"{anvil} does not run", "")
    return Finding("anvil", "ok", f"{version} at {anvil}")


def base_image() -> str:
    """The handler base image tag the docker runtime builds on."""
    from ogpu_sim.runtime.images import BASE_IMAGE

    return BASE_IMAGE


def check_docker(needed: bool) -> list[Finding]:
    """A reachable Docker engine (``DOCKER_HOST`` or the default socket) and the base image."""
    try:
        from docker.client import from_env
        from docker.errors import DockerException, ImageNotFound

        from ogpu_sim.runtime import docker_available
    except ImportError as exc:
        return [Finding("docker engine", "fail", f"cannot check: {exc}", install_fix())]
    usable, reason = docker_available()
    if not usable:
        return [
            Finding(
                "docker engine",
                _needed(False, needed),
                f"{reason}; only needed for --runtime docker",
                DOCKER_FIX,
            )
        ]
    findings = [Finding("docker engine", "ok", reason)]
    image = base_image()
    client = from_env(timeout=5)
    try:
        client.images.get(image)
        findings.append(Finding("docker base image", "ok", f"{image} present"))
    except ImageNotFound:
        findings.append(_missing_base_image(image, needed))
    except (DockerException, OSError) as exc:
        findings.append(
            Finding("docker base image", _needed(False, needed), f"cannot list images: {exc}")
        )
    finally:
        client.close()
    return findings


def _missing_base_image(image: str, needed: bool) -> Finding:
    """The base image is absent: the docker runtime builds it with mmdebstrap on first use."""
    from ogpu_sim.runtime.images import base_recipe

    # the recipe ships in the package (checkout and wheel alike), so the command is the same
    recipe = f"bash {base_recipe()}"
    if shutil.which("mmdebstrap") is None:
        return Finding(
            "docker base image",
            _needed(False, needed),
            f"{image} not built, and mmdebstrap (needed to build it) is missing",
            f"apt-get install mmdebstrap && {recipe} {image}",
        )
    return Finding(
        "docker base image",
        _needed(False, needed),
        f"{image} not built yet (the docker runtime builds it on first use, ~10 s)",
        f"{recipe} {image}",
    )


def run_checks(
    *, docker: bool = False, compile: bool = False, anvil: bool = False, revm: bool = False
) -> list[Finding]:
    """Every check, in the order they are printed.

    Args:
        docker: the Docker engine and base image are needed (``--runtime docker``).
        compile: Node.js and solc-js are needed (recompiling the contracts).
        anvil: the anvil binary is needed (``--backend anvil``).
        revm: pyrevm is needed (``--backend revm``).
    """
    return [
        check_python(),
        *check_packages(),
        check_artifacts(),
        check_ports(),
        *check_node(compile),
        check_anvil(anvil),
        check_pyrevm(revm),
        check_pytest(),
        *check_docker(docker),
    ]


def render(findings: list[Finding], console: object | None = None) -> None:
    """Print the findings as a table, then each fix command."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    out = console if isinstance(console, Console) else Console()
    table = Table(title="ogpu-sim doctor", show_lines=False)
    table.add_column("check")
    table.add_column("status")
    table.add_column("found")
    style = {"ok": "[green]ok[/]", "warn": "[yellow]warn[/]", "fail": "[red]FAIL[/]"}
    for finding in findings:
        table.add_row(finding.name, style[finding.status], escape(finding.detail))
    out.print(table)
    todo = [f for f in findings if f.status != "ok" and f.fix]
    for finding in todo:
        label = "missing" if finding.status == "fail" else "optional"
        out.print(
            f"[bold]{finding.name}[/] ({label}): fix with: {escape(finding.fix)}", soft_wrap=True
        )
    failed = sum(f.status == "fail" for f in findings)
    warned = sum(f.status == "warn" for f in findings)
    if failed:
        out.print(f"[red]{failed} problem(s) stop ogpu-sim from running[/]; {warned} warning(s).")
    else:
        out.print(f"[green]ready[/]: everything needed is present; {warned} optional warning(s).")


def exit_code(findings: list[Finding]) -> int:
    """0 when nothing needed is missing, else 1."""
    return 1 if any(f.status == "fail" for f in findings) else 0
