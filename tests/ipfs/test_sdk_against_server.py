"""The unmodified ogpu SDK publishes to and fetches from the mock IPFS, retries included."""

from __future__ import annotations

import json

import pytest
from ogpu.ipfs import fetch_ipfs_json, publish_to_ipfs
from ogpu.types.errors import IPFSFetchError, IPFSGatewayError

from ogpu_sim.ipfs import IpfsServer, cid_v0

FAST = {"backoff": 0.01}  # the SDK's own parameter: keep its retry sleeps short


def test_published_json_comes_back_through_the_gateway(sdk_ipfs: IpfsServer) -> None:
    payload = {"function_name": "multiply", "data": {"a": 5, "b": 7}}
    link = publish_to_ipfs(payload, filename="taskConfig.json")
    assert link == f"{sdk_ipfs.url}/ipfs/{cid_v0(json.dumps(payload).encode())}"
    assert fetch_ipfs_json(link) == payload


def test_the_pin_answer_is_a_cid_v0_link_and_the_log_names_it(sdk_ipfs: IpfsServer) -> None:
    link = publish_to_ipfs({"x": 1})
    cid = link.rsplit("/", 1)[1]
    assert cid.startswith("Qm") and len(cid) == 46
    (record,) = sdk_ipfs.requests
    assert (record.method, record.route, record.status, record.cid) == (
        "POST",
        "/file/create",
        200,
        cid,
    )


def test_published_text_is_stored_verbatim(sdk_ipfs: IpfsServer) -> None:
    link = publish_to_ipfs("plain text ü\n", filename="note.txt", content_type="text/plain")
    assert sdk_ipfs.get(link) == "plain text ü\n".encode()


def test_binary_bytes_survive_the_multipart_round_trip(sdk_ipfs: IpfsServer) -> None:
    blob = bytes(range(256)) * 3 + b"\r\n--\r\n\r"
    link = publish_to_ipfs(blob, filename="blob.bin", content_type="application/octet-stream")  # type: ignore[arg-type]
    assert (sdk_ipfs.get(link), link.rsplit("/", 1)[1]) == (blob, cid_v0(blob))


def test_content_added_from_python_is_fetchable_by_the_sdk(sdk_ipfs: IpfsServer) -> None:
    link = sdk_ipfs.add({"name": "sentiment", "cpu": "compose.yml"})
    assert fetch_ipfs_json(link) == {"name": "sentiment", "cpu": "compose.yml"}


def test_sdk_retries_a_5xx_and_succeeds_on_the_next_attempt(sdk_ipfs: IpfsServer) -> None:
    sdk_ipfs.faults.fail_next(1, status=503, route="/file/create")
    link = publish_to_ipfs({"x": 1}, retries=3, **FAST)
    assert sdk_ipfs.get_json(link) == {"x": 1}
    assert [r.status for r in sdk_ipfs.requests] == [503, 200]


def test_sdk_gives_up_after_its_retries_on_persistent_5xx(sdk_ipfs: IpfsServer) -> None:
    sdk_ipfs.faults.status(500, route="/file/create")
    with pytest.raises(IPFSGatewayError) as caught:
        publish_to_ipfs({"x": 1}, retries=3, **FAST)
    assert caught.value.status_code == 500
    assert [r.status for r in sdk_ipfs.requests] == [500, 500, 500]


@pytest.mark.parametrize("status", [400, 404, 413, 429])
def test_sdk_fails_fast_on_4xx(sdk_ipfs: IpfsServer, status: int) -> None:
    sdk_ipfs.faults.status(status, route="/file/create")
    with pytest.raises(IPFSGatewayError) as caught:
        publish_to_ipfs({"x": 1}, retries=3, **FAST)
    assert caught.value.status_code == status
    assert len(sdk_ipfs.requests) == 1


def test_sdk_retries_timeouts_then_raises_a_fetch_error(sdk_ipfs: IpfsServer) -> None:
    sdk_ipfs.faults.latency(5.0, route="/file/create")
    with pytest.raises(IPFSFetchError, match="timed out"):
        publish_to_ipfs({"x": 1}, timeout=0.1, retries=2, **FAST)
    assert len(sdk_ipfs.requests.where(route="/file/create")) == 0  # still sleeping
    sdk_ipfs.stop()  # wakes the sleeping handlers, which log their dropped answers
    assert [(r.route, r.status, r.fault) for r in sdk_ipfs.requests] == [
        ("/file/create", 0, "stopping"),
        ("/file/create", 0, "stopping"),
    ]


def test_sdk_retries_a_dropped_connection(sdk_ipfs: IpfsServer) -> None:
    sdk_ipfs.faults.drop(route="/file/create", count=1)
    link = publish_to_ipfs({"x": 1}, retries=2, **FAST)
    assert sdk_ipfs.get_json(link) == {"x": 1}
    assert [(r.status, r.fault) for r in sdk_ipfs.requests] == [(0, "drop"), (200, None)]


def test_a_pin_answer_without_a_link_fails_without_retry(sdk_ipfs: IpfsServer) -> None:
    sdk_ipfs.faults.wrong_content(b'{"cid": "Qm..."}', route="/file/create")
    with pytest.raises(IPFSGatewayError) as caught:
        publish_to_ipfs({"x": 1}, retries=3, **FAST)
    assert caught.value.status_code == 200
    assert len(sdk_ipfs.requests) == 1


def test_an_oversized_upload_is_rejected_with_413_without_retry(sdk_ipfs: IpfsServer) -> None:
    with pytest.raises(IPFSGatewayError) as caught:
        publish_to_ipfs("x" * (sdk_ipfs.max_upload_bytes + 1), retries=3, **FAST)
    assert caught.value.status_code == 413
    assert [(r.route, r.status) for r in sdk_ipfs.requests] == [("/file/create", 413)]


def test_fetching_an_unknown_cid_is_a_gateway_error_404(sdk_ipfs: IpfsServer) -> None:
    with pytest.raises(IPFSGatewayError) as caught:
        fetch_ipfs_json(f"{sdk_ipfs.url}/ipfs/{cid_v0(b'never added')}")
    assert caught.value.status_code == 404


def test_fetching_wrong_non_json_content_is_a_fetch_error(sdk_ipfs: IpfsServer) -> None:
    link = sdk_ipfs.add({"x": 1})
    sdk_ipfs.faults.wrong_content(b"<html>not json</html>")
    with pytest.raises(IPFSFetchError, match="Invalid JSON"):
        fetch_ipfs_json(link)


def test_fetching_a_truncated_body_is_a_fetch_error(sdk_ipfs: IpfsServer) -> None:
    link = sdk_ipfs.add({"payload": "x" * 100})
    sdk_ipfs.faults.truncate(10, route="/ipfs")
    with pytest.raises(IPFSFetchError):
        fetch_ipfs_json(link)
    (record,) = sdk_ipfs.requests
    assert (record.status, record.bytes_sent, record.fault) == (200, 10, "truncate")
