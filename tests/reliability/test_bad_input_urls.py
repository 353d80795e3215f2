"""The public-key guard reads URLs as the HTTP client does; a doubtful URL counts as remote.

Nothing here connects anywhere but 127.0.0.1: hosts that are not loopback use the reserved
``.invalid`` top-level domain, and a guard that fails refuses before any connection is made.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st
from urllib3.util import parse_url

from ogpu_sim import Simulator
from ogpu_sim.chain.base import is_loopback_url as chain_is_loopback_url
from ogpu_sim.chain.urls import is_loopback_url, why_not_loopback
from ogpu_sim.errors import UnsafeSignerError
from ogpu_sim.ipfs import IpfsServer

from .conftest import Tally

PORT = 8545

REFUSED = [
    (f"http://example.com\\@127.0.0.1:{PORT}", "contains a backslash"),
    (f"http://example.invalid\\@127.0.0.1:{PORT}/", "contains a backslash"),
    ("http://127.0.0.1:9@example.com/", "has user info (user@host)"),
    (f"http://example.com%5C@127.0.0.1:{PORT}/", "has user info (user@host)"),
    (f"http://example.com%5c@127.0.0.1:{PORT}/", "has user info (user@host)"),
    ("http://127.0.0.1%2F@example.com/", "has user info (user@host)"),
    (f"http://user:pw@127.0.0.1:{PORT}", "has user info (user@host)"),
    (f"http://%31%32%37.0.0.1:{PORT}/", "has percent-encoded characters in its host"),
    (f"http://[::1%25lo]:{PORT}/", "has percent-encoded characters in its host"),
    (f"http://[::ffff:10.0.0.1]:{PORT}", "host ::ffff:10.0.0.1 is not a loopback address"),
    (f"http://10.0.0.1:{PORT}", "host 10.0.0.1 is not a loopback address"),
    (f"http://[::2]:{PORT}", "host ::2 is not a loopback address"),
    ("http://127.1:1", "host '127.1' is neither localhost nor an IP address"),
    ("http://2130706433:1", "host '2130706433' is neither localhost nor an IP address"),
    ("http://0x7f.0.0.1:1", "host '0x7f.0.0.1' is neither localhost nor an IP address"),
    ("http://localhost.:1", "host 'localhost.' is neither localhost nor an IP address"),
    (
        "http://127.0.0.1.example.invalid/",
        "host '127.0.0.1.example.invalid' is neither localhost nor an IP address",
    ),
    (f" http://127.0.0.1:{PORT}", "contains whitespace, control or non-ASCII characters"),
    (f"http://127.0.0.1:{PORT}\t", "contains whitespace, control or non-ASCII characters"),
    (
        "http://" + "".join(chr(0xFF00 + ord(c) - 0x20) for c in "localhost") + ":1",  # fullwidth
        "contains whitespace, control or non-ASCII characters",
    ),
    (f"ws://127.0.0.1:{PORT}", "scheme 'ws' is not http or https"),
    ("http://127.0.0.1:99999", "cannot be parsed (Failed to parse: http://127.0.0.1:99999)"),
    ("http://", "has no host"),
]

ACCEPTED = [
    f"http://127.0.0.1:{PORT}",
    f"https://127.0.0.1:{PORT}/rpc",
    f"http://127.9.8.7:{PORT}",
    f"http://localhost:{PORT}",
    f"HTTP://LOCALHOST:{PORT}",
    f"http://[::1]:{PORT}",
    f"http://[0:0:0:0:0:0:0:1]:{PORT}",
    f"http://[::ffff:127.0.0.1]:{PORT}",
    f"http://127.0.0.1:{PORT}/#@example.invalid",  # the fragment is never sent
    f"http://127.0.0.1:{PORT}/?@example.invalid",
]


@pytest.mark.parametrize(("url", "reason"), REFUSED)
def test_doubtful_urls_count_as_remote_with_the_reason(url: str, reason: str, tally: Tally) -> None:
    assert (why_not_loopback(url), is_loopback_url(url), chain_is_loopback_url(url)) == (
        reason,
        False,
        False,
    )
    tally("bad_inputs", 1)


@pytest.mark.parametrize("url", ACCEPTED)
def test_plain_loopback_urls_count_as_local(url: str) -> None:
    assert (why_not_loopback(url), chain_is_loopback_url(url)) == (None, True)


@pytest.fixture(scope="module")
def local_server() -> Iterator[IpfsServer]:
    with IpfsServer() as server:
        yield server


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "localhost", "127.0.0.1:PORT/#@example.invalid", "[::ffff:127.0.0.1]"]
)
def test_an_accepted_url_really_reaches_the_local_server(
    local_server: IpfsServer, host: str
) -> None:
    authority = host.replace("PORT", str(local_server.port))
    if ":PORT" not in host:
        authority = f"{host}:{local_server.port}"
    base = f"http://{authority}"
    assert is_loopback_url(base)
    url = base.split("/#", 1)[0] + "/api/v0/version"
    assert requests.post(url, timeout=5).json()["Commit"] == "ogpu-sim"


URL_PIECES = st.sampled_from(
    [
        "127.0.0.1",
        "localhost",
        "[::1]",
        "example.invalid",
        "@",
        "\\",
        "%5C",
        "%2F",
        "%40",
        ":",
        ":8545",
        "/",
        "?",
        "#",
        "[",
        "]",
        "%",
        "user",
        ".",
        "::ffff:127.0.0.1",
        " ",
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    pieces=st.lists(URL_PIECES, min_size=1, max_size=6), scheme=st.sampled_from(["http", "https"])
)
def test_whatever_the_guard_accepts_the_http_client_sends_to_loopback(
    pieces: list[str], scheme: str
) -> None:
    url = f"{scheme}://" + "".join(pieces)
    if not is_loopback_url(url):
        return
    prepared = requests.Request("POST", url).prepare().url
    assert prepared is not None
    host = (parse_url(prepared).host or "").strip("[]")
    assert host in ("127.0.0.1", "localhost", "::1", "::ffff:127.0.0.1"), (url, prepared)


def test_simulator_start_refuses_the_backslash_vector_before_connecting(tally: Tally) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.settimeout(0.2)
        port = listener.getsockname()[1]
        url = f"http://example.invalid\\@127.0.0.1:{port}"
        with pytest.raises(UnsafeSignerError) as caught:
            Simulator.start(backend="rpc", rpc_url=url)
        with pytest.raises(TimeoutError):
            listener.accept()  # nobody came: the guard refused before connecting
    assert caught.value.rpc_url == url
    tally("bad_inputs", 1)


def test_a_connection_file_with_a_doubtful_rpc_url_exports_no_keys(
    tmp_path: Path, tally: Tally
) -> None:
    import json

    from ogpu_sim.cli.node import NODE_CONTRACTS, autobind

    info = {
        "rpc_url": "http://example.invalid\\@127.0.0.1:8545",
        "chain_id": 200820172034,
        "addresses": {name: "0x" + "11" * 20 for name in NODE_CONTRACTS},
        "ipfs_url": "http://127.0.0.1:1",
        "ipfs_publish_url": "http://127.0.0.1:1/file/create",
        "accounts": {"client": {"address": "0x" + "22" * 20, "private_key": "0x" + "33" * 32}},
    }
    path = tmp_path / "node.json"
    path.write_text(json.dumps(info))
    binding = autobind(path)
    try:
        assert binding.env == {}
    finally:
        binding.unbind()
    tally("bad_inputs", 1)
