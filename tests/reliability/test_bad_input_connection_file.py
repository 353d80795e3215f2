"""``ogpu-sim run`` fails closed: a bad connection file is one line and exit 2, the program
never starts, and the SDK never falls back to its mainnet defaults."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ogpu_sim import Simulator
from ogpu_sim.cli.main import main
from ogpu_sim.cli.node import _SITECUSTOMIZE, NODE_CONTRACTS, connection_info

from .conftest import Tally

HINT = "start a node with `ogpu-sim node`"


def dead_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def well_formed(rpc_url: str, chain_id: int = 200820172034) -> dict[str, Any]:
    """A connection file of the right shape, for a node at ``rpc_url``."""
    key = "0x" + "42" * 32
    return {
        "rpc_url": rpc_url,
        "chain_id": chain_id,
        "addresses": {name: "0x" + f"{i + 1:02x}" * 20 for i, name in enumerate(NODE_CONTRACTS)},
        "ipfs_url": rpc_url,
        "ipfs_publish_url": rpc_url + "/file/create",
        "accounts": {
            role: {"address": "0x" + "aa" * 20, "private_key": key}
            for role in ("client", "provider", "master", "agent")
        },
    }


def run(path: Path, marker: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    """``ogpu-sim run --info path -- python -c <create marker>``: exit code and stderr lines."""
    program = f"open({str(marker)!r}, 'w').close()"
    code = main(["run", "--info", str(path), "--", sys.executable, "-c", program])
    return code, capsys.readouterr().err.splitlines()


def write(tmp_path: Path, content: bytes | str | dict[str, Any]) -> Path:
    path = tmp_path / "node.json"
    if isinstance(content, dict):
        content = json.dumps(content)
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


def without(key: str) -> dict[str, Any]:
    info = well_formed(f"http://127.0.0.1:{dead_port()}")
    del info[key]
    return info


MALFORMED = [
    ("empty", b"", "the connection file is empty"),
    ("blank", b"  \n\t", "the connection file is empty"),
    ("truncated", b'{"rpc_url": "http://127.0.0.1:1",', "not a connection file (not JSON: "),
    ("not utf-8", b"\xff\xfe{}", "not a connection file (not JSON: 'utf-8' codec can't decode"),
    ("a list", b"[1, 2]", "not a connection file (a JSON list, not an object)"),
    ("deep", b"[" * 100_000, "JSON content nests deeper than 8 levels"),
    ("huge", b" " * 2**20 + b"{}", f"({2**20 + 2} bytes, over {2**20})"),
    ("no rpc_url", without("rpc_url"), "rpc_url must be an http(s) URL, not None"),
    ("no chain_id", without("chain_id"), "chain_id must be a positive integer, not None"),
    ("no addresses", without("addresses"), "addresses must be an object, not None"),
    ("no accounts", without("accounts"), "accounts must be an object, not None"),
    (
        "bad address",
        {**without("addresses"), "addresses": {"NEXUS": "0x12"}},
        "addresses.NEXUS must be a 0x-prefixed 20-byte address",
    ),
    (
        "no keys",
        {**without("accounts"), "accounts": {"client": {"address": "0x" + "aa" * 20}}},
        "accounts.client.private_key must be a 0x-prefixed 32-byte key",
    ),
]


@pytest.mark.parametrize(
    ("content", "problem"), [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED]
)
def test_a_malformed_connection_file_is_one_line_and_exit_2_before_the_program(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], tally: Tally, content: Any, problem: str
) -> None:
    path = write(tmp_path, content)
    marker = tmp_path / "ran"

    code, lines = run(path, marker, capsys)

    assert (code, len(lines), marker.exists()) == (2, 1, False)
    assert lines[0].startswith(f"error: --info: {path}: ")
    assert problem in lines[0]
    assert lines[0].endswith(HINT)
    tally("bad_inputs", 1)


def test_a_missing_connection_file_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], tally: Tally
) -> None:
    path = tmp_path / "none.json"
    code, lines = run(path, tmp_path / "ran", capsys)
    assert (code, lines) == (2, [f"error: --info: {path}: no node connection file here; {HINT}"])
    tally("bad_inputs", 1)


def test_a_file_whose_node_is_gone_is_stale(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], tally: Tally
) -> None:
    url = f"http://127.0.0.1:{dead_port()}"
    path = write(tmp_path, well_formed(url))

    code, lines = run(path, tmp_path / "ran", capsys)

    assert (code, lines) == (
        2,
        [
            f"error: --info: {path} is stale: no node answers at {url} (ConnectionError); "
            "the node was stopped or killed, start one with `ogpu-sim node`"
        ],
    )
    assert not (tmp_path / "ran").exists()
    tally("bad_inputs", 1)


def test_a_port_that_answers_but_not_as_a_node_is_stale(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], tally: Tally
) -> None:
    from ogpu_sim.ipfs import IpfsServer

    with IpfsServer() as other:
        url = other.url
        path = write(tmp_path, well_formed(url))
        code, lines = run(path, tmp_path / "ran", capsys)
    assert (code, len(lines)) == (2, 1)
    assert f"{url} does not answer like a JSON-RPC node" in lines[0]
    tally("bad_inputs", 1)


@pytest.mark.xdist_group("reliability-sim")
def test_a_node_of_another_chain_or_without_the_contracts_is_stale(
    sim: Simulator, tmp_path: Path, capsys: pytest.CaptureFixture[str], tally: Tally
) -> None:
    other_chain = write(tmp_path, {**connection_info(sim), "chain_id": 1071})
    code, lines = run(other_chain, tmp_path / "ran", capsys)
    assert (code, len(lines)) == (2, 1)
    assert f"{sim.rpc_url} serves chain {sim.chain_id}, not 1071" in lines[0]

    info = connection_info(sim)
    info["addresses"]["NEXUS"] = sim.accounts.client.address  # no code there
    code, lines = run(write(tmp_path, info), tmp_path / "ran", capsys)
    assert (code, len(lines)) == (2, 1)
    assert f"has no NEXUS contract at {sim.accounts.client.address}" in lines[0]
    assert not (tmp_path / "ran").exists()
    tally("bad_inputs", 2)


@pytest.mark.xdist_group("reliability-sim")
def test_a_good_file_runs_the_program_bound_to_the_node(
    sim: Simulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, connection_info(sim))
    code, lines = run(path, tmp_path / "ran", capsys)
    assert (code, lines, (tmp_path / "ran").exists()) == (0, [], True)


def test_a_child_whose_binding_fails_exits_2_before_its_first_line(
    tmp_path: Path, tally: Tally
) -> None:
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(_SITECUSTOMIZE)
    empty = write(tmp_path, b"")
    env = {**os.environ, "OGPU_SIM_NODE": str(empty), "PYTHONPATH": str(hook)}

    result = subprocess.run(
        [sys.executable, "-c", "print('ran')"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        f"error: ogpu-sim run could not bind the SDK: --info: {empty}: the connection file is "
        f"empty; {HINT}\n"
    )
    tally("bad_inputs", 1)


def test_a_node_answering_hostile_json_is_stale_not_a_crash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], tally: Tally
) -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Deep(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = b"[" * 100_000
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    with ThreadingHTTPServer(("127.0.0.1", 0), Deep) as hostile:
        thread = threading.Thread(target=hostile.serve_forever, daemon=True)
        thread.start()
        url = f"http://127.0.0.1:{hostile.server_address[1]}"
        try:
            code, lines = run(write(tmp_path, well_formed(url)), tmp_path / "ran", capsys)
        finally:
            hostile.shutdown()
            thread.join()
    assert (code, len(lines)) == (2, 1)
    assert f"{url} does not answer like a JSON-RPC node" in lines[0]
    tally("bad_inputs", 1)
