"""The mock IPFS answers hostile uploads and objects with typed errors and keeps serving."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pytest
import requests
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ogpu_sim.ipfs import IpfsServer, MemoryStore, cid_v0

from .conftest import Tally

UPLOAD_LIMIT = 8192
STORE_LIMIT = 4 * 2**20


@pytest.fixture(scope="module")
def server() -> Iterator[IpfsServer]:
    """One server for every example, so damage done by one example shows in the next."""
    with IpfsServer(MemoryStore(max_bytes=STORE_LIMIT), max_upload_bytes=UPLOAD_LIMIT) as ipfs:
        yield ipfs


def post_raw(server: IpfsServer, route: str, content_type: str, body: bytes) -> tuple[int, bytes]:
    """POST a body exactly as given; return the status and the answer's body."""
    head = (
        f"POST {route} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode("latin-1")
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(head + body)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


def still_serving(server: IpfsServer) -> bool:
    return requests.post(f"{server.url}/api/v0/version", timeout=10).status_code == 200


BOUNDARY_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'()+_,-./:=?"
NAME = st.text(
    alphabet=st.characters(blacklist_characters='"\\\r\n', blacklist_categories=["Cs", "Cc"]),
    min_size=1,
    max_size=20,
)
PART = st.fixed_dictionaries(
    {
        "field": st.one_of(st.just("file"), NAME),
        "filename": st.one_of(st.none(), NAME),
        "content_type": st.one_of(st.none(), st.sampled_from(["application/json", "text/plain"])),
        "content": st.binary(max_size=600),
    }
)


def build(boundary: str, parts: list[dict[str, object]]) -> bytes:
    """A well-formed multipart/form-data body."""
    body = b""
    for part in parts:
        disposition = f'form-data; name="{part["field"]}"'
        if part["filename"] is not None:
            disposition += f'; filename="{part["filename"]}"'
        body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode()
        if part["content_type"] is not None:
            body += f"Content-Type: {part['content_type']}\r\n".encode()
        body += b"\r\n" + part["content"] + b"\r\n"  # type: ignore[operator]
    return body + f"--{boundary}--\r\n".encode()


FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(
    boundary=st.text(alphabet=BOUNDARY_CHARS, min_size=1, max_size=70),
    parts=st.lists(PART, max_size=4),
    mangle=st.one_of(
        st.none(),
        st.tuples(st.integers(min_value=0, max_value=4000), st.binary(max_size=30)),
    ),
)
def test_every_multipart_upload_is_stored_exactly_or_refused_with_a_json_error(
    server: IpfsServer,
    tally: Tally,
    boundary: str,
    parts: list[dict[str, object]],
    mangle: tuple[int, bytes] | None,
) -> None:
    assume(all(boundary.encode() not in p["content"] for p in parts))  # type: ignore[operator]
    body = build(boundary, parts)
    if mangle is not None:
        cut, junk = mangle
        body = body[:cut] + junk + body[cut + len(junk) :]
    used_before = server.store.used_bytes

    status, answer = post_raw(
        server, "/file/create", f'multipart/form-data; boundary="{boundary}"', body
    )

    files = [p for p in parts if p["field"] == "file"]
    if mangle is None and files and len(body) <= UPLOAD_LIMIT:
        content: bytes = files[0]["content"]  # type: ignore[assignment]
        assert (status, json.loads(answer)) == (
            200,
            {"link": f"{server.url}/ipfs/{cid_v0(content)}"},
        )
        assert server.get(cid_v0(content)) == content
    elif status == 200:
        assert set(json.loads(answer)) == {"link"}
    else:
        assert status in (400, 413, 415), answer[:200]
        assert json.loads(answer)["status"] == status
        assert json.loads(answer)["error"]
        assert server.store.used_bytes == used_before  # nothing stored on a refusal
    assert still_serving(server)
    if status != 200:
        tally("bad_inputs", 1)


@FUZZ
@given(
    content_type=st.one_of(
        st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=80),
        st.sampled_from(
            [
                "multipart/form-data",
                "multipart/form-data; boundary=",
                'multipart/form-data; boundary=""',
                "multipart/mixed; boundary=x",
                "application/json",
                "multipart/form-data; boundary=x; boundary=y",
            ]
        ),
    ),
    body=st.binary(max_size=500),
    route=st.sampled_from(["/file/create", "/api/v0/add", "/api/v0/add?cid-version=7"]),
)
def test_hostile_content_types_and_bodies_get_a_4xx_json_error(
    server: IpfsServer, tally: Tally, content_type: str, body: bytes, route: str
) -> None:
    status, answer = post_raw(server, route, content_type, body)
    if status != 200:
        assert 400 <= status < 500, answer[:200]
        error = json.loads(answer)
        assert error.get("error") or error.get("Message")
        tally("bad_inputs", 1)
    assert still_serving(server)


def test_a_deep_object_through_the_gateway_in_a_process_running_py_evm(tally: Tally) -> None:
    """The original crash: py-evm raises the recursion limit, json.loads overflowed the stack."""
    program = textwrap.dedent(
        """
        import sys
        import eth  # py-evm: sets the recursion limit to 100,000
        import requests
        from ogpu_sim.ipfs import IpfsServer

        assert sys.getrecursionlimit() >= 100_000
        with IpfsServer() as ipfs:
            for body in (b"[" * 100_000, b'{"a":' * 100_000, b"[1," * 100_000):
                reply = requests.get(ipfs.add(body), timeout=30)
                print(reply.status_code, reply.headers["Content-Type"], reply.content == body)
            print(requests.post(ipfs.url + "/api/v0/version", timeout=5).status_code)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=120, check=False
    )
    assert (result.returncode, result.stdout.splitlines()) == (
        0,
        ["200 text/plain; charset=utf-8 True"] * 3 + ["200"],
    ), result.stderr
    tally("bad_inputs", 3)


def test_a_full_store_answers_507_and_keeps_serving(tally: Tally) -> None:
    with IpfsServer(max_store_bytes=1000, max_upload_bytes=4096) as ipfs:
        first = requests.post(ipfs.publish_url, files={"file": ("a", b"a" * 900)}, timeout=5)
        second = requests.post(ipfs.publish_url, files={"file": ("b", b"b" * 200)}, timeout=5)
        assert (first.status_code, second.status_code) == (200, 507)
        assert second.json()["error"].startswith("cannot store 200 bytes: 900 of 1000 bytes")
        assert (ipfs.store.used_bytes, still_serving(ipfs)) == (900, True)
    tally("bad_inputs", 1)
