"""AnvilChain's process management: finding the binary, start-up failures, clean shutdown."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from ogpu_sim.chain.anvil import (
    ANVIL_ENV,
    AnvilChain,
    AnvilNotFoundError,
    AnvilStartError,
    find_anvil,
)
from tests.chain.helpers import SKIP_WITHOUT_ANVIL


def test_a_missing_binary_raises_AnvilNotFoundError_naming_make_install() -> None:
    with pytest.raises(AnvilNotFoundError) as info:
        AnvilChain(binary="/nonexistent/anvil")
    assert str(info.value).startswith(
        "the anvil binary was not found (looked at: /nonexistent/anvil)"
    )
    assert "run `make install`" in str(info.value)


def test_the_environment_variable_names_the_binary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ANVIL_ENV, "/nowhere/anvil-from-env")
    with pytest.raises(AnvilNotFoundError, match="looked at: /nowhere/anvil-from-env"):
        find_anvil()


def test_an_anvil_that_exits_at_once_raises_AnvilStartError_with_its_output(
    tmp_path: Path,
) -> None:
    fake = tmp_path / "anvil"
    fake.write_text("#!/bin/sh\necho 'error: port in use'\nexit 3\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    with pytest.raises(AnvilStartError) as info:
        AnvilChain(binary=fake)
    assert (
        str(info.value) == "anvil exited with code 3 before listening; output:\nerror: port in use"
    )


def test_an_anvil_that_never_listens_is_killed_after_the_timeout(tmp_path: Path) -> None:
    fake = tmp_path / "anvil"
    marker = tmp_path / "pid"
    fake.write_text(f"#!/bin/sh\necho $$ > {marker}\nexec sleep 30\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    with pytest.raises(AnvilStartError, match=r"anvil did not listen within 0\.5 s"):
        AnvilChain(binary=fake, startup_timeout=0.5)
    pid = int(marker.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


@pytest.mark.anvil
@SKIP_WITHOUT_ANVIL
def test_close_kills_anvil_and_frees_its_port() -> None:
    chain = AnvilChain(chain_id=1071)
    assert chain.w3.eth.chain_id == 1071
    url, process = chain.rpc_url, chain.process
    port = int(url.rsplit(":", 1)[1])
    chain.close()
    chain.close()
    assert process.returncode is not None
    with pytest.raises(requests.ConnectionError):
        requests.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}, timeout=2)
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))


OWNER = """
import os, sys
from ogpu_sim.chain.anvil import AnvilChain

chain = AnvilChain(chain_id=1071)
print(chain.process.pid, flush=True)
if sys.argv[1] == "SIGTERM":
    os.kill(os.getpid(), 15)
os._exit(3)  # a crash: no close, no finalizer
"""


@pytest.mark.anvil
@SKIP_WITHOUT_ANVIL
@pytest.mark.parametrize(("how", "code"), [("SIGTERM", -15), ("crash", 3)])
def test_anvil_dies_with_a_process_killed_before_closing_it(how: str, code: int) -> None:
    result = subprocess.run(
        [sys.executable, "-c", OWNER, how],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == code, result.stderr
    pid = int(result.stdout.split()[0])
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, killed and not yet reaped by init, does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"
