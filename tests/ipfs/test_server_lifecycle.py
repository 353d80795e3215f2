"""Starting, stopping and the direct Python interface of the server."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st
from multiformats import CID, multihash

from ogpu_sim.errors import ConfigError
from ogpu_sim.ipfs import (
    DEFAULT_MEMORY_STORE_BYTES,
    DirectoryStore,
    InvalidCidError,
    IpfsNotFoundError,
    IpfsServer,
    IpfsServerError,
    cid_from_link,
    file_cids,
)

HELLO = b"hello world\n"
HELLO_V0 = "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"


def test_start_binds_a_free_loopback_port_and_stop_frees_it() -> None:
    server = IpfsServer().start()
    port = server.port
    assert server.url == f"http://127.0.0.1:{port}"
    assert server.publish_url == f"http://127.0.0.1:{port}/file/create"
    server.stop()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))  # would raise if the port were still held


def test_start_and_stop_are_idempotent() -> None:
    server = IpfsServer()
    assert server.start() is server.start()
    server.stop()
    server.stop()
    assert server.running is False


def test_stop_ends_every_thread_even_with_open_and_sleeping_connections() -> None:
    before = set(threading.enumerate())
    server = IpfsServer().start()
    server.faults.latency(30)
    idle = socket.create_connection(("127.0.0.1", server.port))
    outcome: list[BaseException] = []

    def sleeping_client() -> None:
        try:
            requests.get(server.url + "/x", timeout=60)
        except requests.RequestException as exc:
            outcome.append(exc)

    client = threading.Thread(target=sleeping_client)
    client.start()
    for _ in range(500):  # until both connections have a handler thread (plus the acceptor)
        if len(set(threading.enumerate()) - before - {client}) >= 3:
            break
        threading.Event().wait(0.01)
    server.stop()
    client.join(5)
    idle.close()
    assert set(threading.enumerate()) - before == set()
    assert [type(e).__name__ for e in outcome] == ["ConnectionError"]
    assert [(r.status, r.fault) for r in server.requests] == [(0, "stopping")]


def test_a_stopped_server_has_no_url() -> None:
    with pytest.raises(IpfsServerError, match="not started"):
        _ = IpfsServer().url


def test_binding_a_taken_port_is_a_clear_error() -> None:
    with IpfsServer() as first, pytest.raises(IpfsServerError, match="cannot listen on"):
        IpfsServer(port=first.port).start()


@pytest.mark.parametrize("host", ["0.0.0.0", "10.0.0.1", "example.com"])
def test_only_loopback_hosts_are_accepted(host: str) -> None:
    with pytest.raises(ConfigError) as caught:
        IpfsServer(host=host)
    assert caught.value.option == "host"


def test_add_serializes_like_the_sdk_and_get_reads_it_back(ipfs: IpfsServer) -> None:
    link = ipfs.add({"b": 1, "a": [1, 2]})
    assert ipfs.get(link) == b'{"b": 1, "a": [1, 2]}'
    assert ipfs.get_json(link) == {"b": 1, "a": [1, 2]}
    assert ipfs.get(ipfs.add("text")) == b"text"
    assert ipfs.get(ipfs.add([1])) == b"[1]"


@pytest.mark.parametrize("data", [42, None, 1.5])
def test_add_refuses_other_types_naming_the_argument(ipfs: IpfsServer, data: object) -> None:
    with pytest.raises(ConfigError) as caught:
        ipfs.add(data)  # type: ignore[arg-type]

    assert str(caught.value) == (
        f"data: cannot add {type(data).__name__}; give bytes, str, dict or list"
    )


def test_add_refuses_a_dict_json_cannot_write(ipfs: IpfsServer) -> None:
    with pytest.raises(ConfigError) as caught:
        ipfs.add({"when": object()})

    assert str(caught.value) == (
        "data: cannot add it as JSON: Object of type object is not JSON serializable"
    )


def test_add_before_start_is_a_clear_error() -> None:
    with pytest.raises(IpfsServerError, match="not started"):
        IpfsServer().add(HELLO)


@pytest.mark.parametrize(
    "text",
    [
        f"http://127.0.0.1:1/ipfs/{HELLO_V0}",
        f"https://cipfs.ogpuscan.io/ipfs/{HELLO_V0}?filename=x",
        f"/ipfs/{HELLO_V0}",
        HELLO_V0,
    ],
)
def test_get_accepts_links_paths_and_bare_cids(ipfs: IpfsServer, text: str) -> None:
    ipfs.add(HELLO)
    assert (cid_from_link(text), ipfs.get(text)) == (HELLO_V0, HELLO)


def test_get_of_unknown_or_invalid_content_raises_typed_errors(ipfs: IpfsServer) -> None:
    with pytest.raises(IpfsNotFoundError):
        ipfs.get(HELLO_V0)
    with pytest.raises(InvalidCidError):
        ipfs.get("http://127.0.0.1/ipfs/../../etc/passwd")


def test_a_directory_store_serves_old_links_after_a_server_restart(tmp_path: Path) -> None:
    with IpfsServer(DirectoryStore(tmp_path)) as first:
        cid = first.add({"kept": True}).rsplit("/", 1)[1]
    with IpfsServer(DirectoryStore(tmp_path)) as second:
        reply = requests.get(f"{second.url}/ipfs/{cid}", timeout=5)
    assert reply.json() == {"kept": True}


def test_a_multi_chunk_file_is_served_by_its_cid_v1(ipfs: IpfsServer) -> None:
    data = bytes(range(256)) * 1100  # 281 600 bytes: two chunks
    ipfs.add(data)
    v1 = file_cids(data).v1
    assert v1.startswith("bafybei")
    assert requests.get(f"{ipfs.url}/ipfs/{v1}", timeout=5).content == data


@settings(max_examples=200, deadline=None)
@given(digest=st.binary(min_size=32, max_size=32), raw=st.booleans())
def test_cid_text_encoding_agrees_with_multiformats(digest: bytes, raw: bool) -> None:
    from ogpu_sim.ipfs.cid import _CID_V1_PREFIX, _SHA2_256_PREFIX, _cid_text

    mh = multihash.wrap(digest, "sha2-256")
    if raw:
        expected = CID("base32", 1, "raw", mh).encode()
        binary = _CID_V1_PREFIX["raw"] + _SHA2_256_PREFIX + digest
    else:
        expected = str(CID("base58btc", 0, "dag-pb", mh))
        binary = _SHA2_256_PREFIX + digest
    assert _cid_text(binary) == expected


def test_the_default_memory_store_is_capped_at_512_mib() -> None:
    server = IpfsServer()
    assert server.store.max_bytes == DEFAULT_MEMORY_STORE_BYTES == 512 * 2**20


def test_max_store_bytes_caps_the_fresh_memory_store_and_uploads_past_it_get_507() -> None:
    with IpfsServer(max_store_bytes=16) as server:
        first = requests.post(server.publish_url, files={"file": ("a", HELLO)}, timeout=5)
        second = requests.post(server.publish_url, files={"file": ("b", HELLO * 2)}, timeout=5)
        assert first.status_code == 200
        assert (second.status_code, second.json()["error"]) == (
            507,
            "cannot store 24 bytes: 12 of 16 bytes already used "
            "(raise the cap: Simulator.start(ipfs_max_bytes=...) "
            "or IpfsServer(max_store_bytes=...))",
        )
        assert server.store.cids() == [HELLO_V0]


def test_max_store_bytes_none_lifts_the_cap() -> None:
    assert IpfsServer(max_store_bytes=None).store.max_bytes is None


def test_max_store_bytes_with_a_store_of_ones_own_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        IpfsServer(DirectoryStore(tmp_path), max_store_bytes=10)
    assert str(caught.value) == "max_store_bytes: give the limit to the store you pass instead"
