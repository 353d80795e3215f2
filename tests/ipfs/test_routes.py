"""The gateway, the kubo RPC subset and every bad-input case answer with exact, clear replies."""

from __future__ import annotations

import json
import socket

import pytest
import requests

from ogpu_sim.ipfs import IpfsServer, cid_v0, cid_v1

HELLO = b"hello world\n"
HELLO_V0 = "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"
HELLO_V1 = "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4"


def raw_exchange(server: IpfsServer, request: bytes) -> bytes:
    """Send raw bytes, half-close, and return everything the server answers."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(request)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def multipart(
    fields: list[tuple[str, str, bytes]], boundary: str = "b0undary"
) -> tuple[str, bytes]:
    """Build a multipart/form-data body by hand (to send what requests would refuse to)."""
    body = b""
    for name, filename, content in fields:
        body += f"--{boundary}\r\n".encode()
        body += f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'.encode()
        body += b"Content-Type: application/octet-stream\r\n\r\n" + content + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return f"multipart/form-data; boundary={boundary}", body


class TestGateway:
    def test_get_serves_bytes_with_type_length_and_etag(self, ipfs: IpfsServer) -> None:
        link = ipfs.add({"a": 1})
        reply = requests.get(link, timeout=5)
        cid = link.rsplit("/", 1)[1]
        assert (reply.status_code, reply.content) == (200, b'{"a": 1}')
        assert reply.headers["Content-Type"] == "application/json"
        assert reply.headers["Content-Length"] == "8"
        assert reply.headers["ETag"] == f'"{cid}"'

    def test_head_sends_the_headers_without_the_body(self, ipfs: IpfsServer) -> None:
        ipfs.add(HELLO)
        reply = requests.head(f"{ipfs.url}/ipfs/{HELLO_V0}", timeout=5)
        assert (reply.status_code, reply.content) == (200, b"")
        assert (reply.headers["Content-Length"], reply.headers["Content-Type"]) == (
            "12",
            "text/plain; charset=utf-8",
        )

    def test_binary_content_is_served_as_octet_stream(self, ipfs: IpfsServer) -> None:
        reply = requests.get(ipfs.add(b"\xff\xfe\x00"), timeout=5)
        assert reply.headers["Content-Type"] == "application/octet-stream"

    def test_a_file_added_is_reachable_by_its_cid_v1_too(self, ipfs: IpfsServer) -> None:
        ipfs.add(HELLO)
        assert requests.get(f"{ipfs.url}/ipfs/{HELLO_V1}", timeout=5).content == HELLO

    def test_if_none_match_with_the_etag_answers_304(self, ipfs: IpfsServer) -> None:
        ipfs.add(HELLO)
        reply = requests.get(
            f"{ipfs.url}/ipfs/{HELLO_V0}", headers={"If-None-Match": f'"{HELLO_V0}"'}, timeout=5
        )
        assert (reply.status_code, reply.content) == (304, b"")

    def test_unknown_cid_is_404_with_a_json_error(self, ipfs: IpfsServer) -> None:
        reply = requests.get(f"{ipfs.url}/ipfs/{HELLO_V0}", timeout=5)
        assert reply.status_code == 404
        assert reply.json() == {"error": f"no content stored under CID {HELLO_V0}", "status": 404}

    @pytest.mark.parametrize(
        "path", ["/ipfs/not-a-cid", "/ipfs/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/ipfs/", "/ipfs/Qm123"]
    )
    def test_malformed_ids_are_400(self, ipfs: IpfsServer, path: str) -> None:
        reply = requests.get(ipfs.url + path, timeout=5)
        assert reply.status_code == 400
        assert reply.json()["error"].startswith(("invalid CID", "missing CID"))

    def test_a_path_inside_a_file_is_404(self, ipfs: IpfsServer) -> None:
        ipfs.add(HELLO)
        reply = requests.get(f"{ipfs.url}/ipfs/{HELLO_V0}/etc/passwd", timeout=5)
        assert reply.status_code == 404
        assert reply.json()["error"] == f"{HELLO_V0} is a file; it has no path 'etc/passwd'"

    def test_posting_to_the_gateway_is_405(self, ipfs: IpfsServer) -> None:
        reply = requests.post(f"{ipfs.url}/ipfs/{HELLO_V0}", timeout=5)
        assert (reply.status_code, reply.headers["Allow"]) == (405, "GET, HEAD")


class TestKuboRpc:
    def test_add_then_cat_round_trips_and_reports_kubo_fields(self, ipfs: IpfsServer) -> None:
        added = requests.post(
            f"{ipfs.url}/api/v0/add", files={"file": ("hello.txt", HELLO)}, timeout=5
        )
        assert added.json() == {"Name": "hello.txt", "Hash": HELLO_V0, "Size": "20"}
        cat = requests.post(f"{ipfs.url}/api/v0/cat", params={"arg": HELLO_V0}, timeout=5)
        assert (cat.status_code, cat.content) == (200, HELLO)

    def test_add_with_cid_version_1_answers_the_raw_cid(self, ipfs: IpfsServer) -> None:
        added = requests.post(
            f"{ipfs.url}/api/v0/add?cid-version=1", files={"file": ("h", HELLO)}, timeout=5
        )
        assert added.json()["Hash"] == HELLO_V1

    def test_add_of_several_files_answers_one_json_line_each(self, ipfs: IpfsServer) -> None:
        files = [("file", ("a", b"A")), ("file", ("b", b"B"))]
        added = requests.post(f"{ipfs.url}/api/v0/add", files=files, timeout=5)
        lines = [json.loads(line) for line in added.text.splitlines()]
        assert [(x["Name"], x["Hash"]) for x in lines] == [("a", cid_v0(b"A")), ("b", cid_v0(b"B"))]

    def test_add_with_only_hash_stores_nothing(self, ipfs: IpfsServer) -> None:
        added = requests.post(
            f"{ipfs.url}/api/v0/add?only-hash=true", files={"file": ("h", HELLO)}, timeout=5
        )
        assert (added.json()["Hash"], len(ipfs.store)) == (HELLO_V0, 0)

    def test_cat_accepts_an_ipfs_path_and_offset_length(self, ipfs: IpfsServer) -> None:
        ipfs.add(HELLO)
        cat = requests.post(
            f"{ipfs.url}/api/v0/cat",
            params={"arg": f"/ipfs/{HELLO_V1}", "offset": "6", "length": "5"},
            timeout=5,
        )
        assert cat.content == b"world"

    def test_cat_without_arg_is_a_kubo_style_400(self, ipfs: IpfsServer) -> None:
        cat = requests.post(f"{ipfs.url}/api/v0/cat", timeout=5)
        assert (cat.status_code, cat.json()) == (
            400,
            {"Message": 'argument "ipfs-path" is required', "Code": 0, "Type": "error"},
        )

    def test_cat_of_unknown_content_is_kubos_500(self, ipfs: IpfsServer) -> None:
        cat = requests.post(f"{ipfs.url}/api/v0/cat", params={"arg": HELLO_V0}, timeout=5)
        assert cat.status_code == 500
        assert cat.json()["Message"].endswith(f"could not find {HELLO_V0}")

    def test_pin_ls_lists_every_stored_file_as_recursive(self, ipfs: IpfsServer) -> None:
        ipfs.add(HELLO)
        ipfs.add(b"other")
        listed = requests.post(f"{ipfs.url}/api/v0/pin/ls", timeout=5).json()
        assert listed == {
            "Keys": {HELLO_V0: {"Type": "recursive"}, cid_v0(b"other"): {"Type": "recursive"}}
        }

    def test_pin_ls_of_one_cid_answers_it_or_kubos_not_pinned(self, ipfs: IpfsServer) -> None:
        ipfs.add(HELLO)
        url = f"{ipfs.url}/api/v0/pin/ls"
        assert requests.post(url, params={"arg": HELLO_V1}, timeout=5).json() == {
            "Keys": {HELLO_V1: {"Type": "recursive"}}
        }
        missing = requests.post(url, params={"arg": cid_v1(b"x")}, timeout=5)
        assert (missing.status_code, missing.json()["Message"]) == (
            500,
            f"path '{cid_v1(b'x')}' is not pinned",
        )

    def test_version_names_the_kubo_it_imitates(self, ipfs: IpfsServer) -> None:
        version = requests.post(f"{ipfs.url}/api/v0/version", timeout=5).json()
        assert (version["Version"], version["Commit"]) == ("0.43.0", "ogpu-sim")

    def test_rpc_routes_refuse_get_like_kubo(self, ipfs: IpfsServer) -> None:
        reply = requests.get(f"{ipfs.url}/api/v0/version", timeout=5)
        assert (reply.status_code, reply.json()["Message"]) == (405, "GET not allowed; use POST")


class TestBadInput:
    def test_missing_file_part_is_400(self, ipfs: IpfsServer) -> None:
        reply = requests.post(ipfs.publish_url, files={"upload": ("a", b"x")}, timeout=5)
        assert (reply.status_code, reply.json()["error"]) == (
            400,
            "multipart body has no part named 'file' (parts: 'upload')",
        )

    def test_empty_body_is_400(self, ipfs: IpfsServer) -> None:
        reply = requests.post(ipfs.publish_url, data=b"", timeout=5)
        assert reply.status_code == 400
        assert reply.json()["error"].startswith("empty request body")

    def test_a_body_that_is_not_multipart_is_415(self, ipfs: IpfsServer) -> None:
        reply = requests.post(ipfs.publish_url, json={"file": "x"}, timeout=5)
        assert (reply.status_code, reply.json()["error"]) == (
            415,
            "expected multipart/form-data, got 'application/json'",
        )

    def test_malformed_multipart_is_400(self, ipfs: IpfsServer) -> None:
        reply = requests.post(
            ipfs.publish_url,
            data=b"no boundary anywhere",
            headers={"Content-Type": "multipart/form-data; boundary=zz"},
            timeout=5,
        )
        assert reply.status_code == 400
        assert reply.json()["error"].startswith("malformed multipart body")

    def test_multipart_without_boundary_is_400(self, ipfs: IpfsServer) -> None:
        reply = requests.post(
            ipfs.publish_url, data=b"x", headers={"Content-Type": "multipart/form-data"}, timeout=5
        )
        assert reply.json()["error"] == "multipart Content-Type has no boundary parameter"

    def test_non_utf8_file_name_is_400(self, ipfs: IpfsServer) -> None:
        content_type, body = multipart([("file", "x.json", b"{}")])
        body = body.replace(b'filename="x.json"', b'filename="\xff\xfe.json"')
        reply = requests.post(
            ipfs.publish_url, data=body, headers={"Content-Type": content_type}, timeout=5
        )
        assert (reply.status_code, reply.json()["error"]) == (
            400,
            "Content-Disposition header (form field or file name) is not valid UTF-8",
        )

    def test_utf8_file_names_are_fine(self, ipfs: IpfsServer) -> None:
        reply = requests.post(ipfs.publish_url, files={"file": ("données.json", b"{}")}, timeout=5)
        assert reply.json() == {"link": f"{ipfs.url}/ipfs/{cid_v0(b'{}')}"}

    def test_oversized_upload_is_413_and_the_connection_closes_cleanly(
        self, ipfs: IpfsServer
    ) -> None:
        big = b"x" * (ipfs.max_upload_bytes + 1)
        reply = requests.post(ipfs.publish_url, files={"file": ("big", big)}, timeout=5)
        assert reply.status_code == 413
        assert reply.json()["error"].startswith("upload of ")
        assert len(ipfs.store) == 0

    def test_full_store_is_507(self) -> None:
        from ogpu_sim.ipfs import MemoryStore

        with IpfsServer(MemoryStore(max_bytes=4)) as server:
            reply = requests.post(server.publish_url, files={"file": ("a", b"12345")}, timeout=5)
        assert (reply.status_code, reply.json()["error"]) == (
            507,
            "cannot store 5 bytes: 0 of 4 bytes already used "
            "(raise the cap: Simulator.start(ipfs_max_bytes=...) "
            "or IpfsServer(max_store_bytes=...))",
        )

    def test_bad_content_length_is_400(self, ipfs: IpfsServer) -> None:
        answer = raw_exchange(ipfs, b"POST /file/create HTTP/1.1\r\nContent-Length: -5\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 400 ")
        assert b"Content-Length '-5' is not a non-negative integer" in answer

    def test_a_body_shorter_than_declared_is_400(self, ipfs: IpfsServer) -> None:
        answer = raw_exchange(ipfs, b"POST /file/create HTTP/1.1\r\nContent-Length: 50\r\n\r\nabc")
        assert answer.startswith(b"HTTP/1.1 400 ")
        assert b"body ended after 3 of 50 declared bytes" in answer

    def test_chunked_uploads_are_accepted(self, ipfs: IpfsServer) -> None:
        content_type, body = multipart([("file", "h.txt", HELLO)])

        def chunks():  # a generator body makes requests use chunked transfer coding
            yield body[:10]
            yield body[10:]

        reply = requests.post(
            ipfs.publish_url, data=chunks(), headers={"Content-Type": content_type}, timeout=5
        )
        assert reply.json() == {"link": f"{ipfs.url}/ipfs/{HELLO_V0}"}

    def test_garbage_request_line_gets_a_json_400(self, ipfs: IpfsServer) -> None:
        answer = raw_exchange(ipfs, b"\x00\x01 garbage\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 400 ")
        assert answer.endswith(b'"status": 400}')

    def test_an_unknown_route_is_404(self, ipfs: IpfsServer) -> None:
        reply = requests.get(f"{ipfs.url}/etc/passwd", timeout=5)
        assert (reply.status_code, reply.json()["error"]) == (404, "no route '/etc/passwd'")
