"""Every fault kind, its route and count matching, reset, and the request log."""

from __future__ import annotations

import time

import pytest
import requests

from ogpu_sim.errors import ConfigError
from ogpu_sim.ipfs import FaultInjector, IpfsServer
from ogpu_sim.ipfs.faults import WRONG_CONTENT

HELLO = b"hello world\n"
HELLO_V0 = "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"


@pytest.fixture
def hello_url(ipfs: IpfsServer) -> str:
    """Gateway URL of stored content."""
    return ipfs.add(HELLO)


class TestFaultKinds:
    def test_status_fault_answers_a_json_error(self, ipfs: IpfsServer, hello_url: str) -> None:
        ipfs.faults.status(429, route="/ipfs")
        reply = requests.get(hello_url, timeout=5)
        assert (reply.status_code, reply.json()) == (
            429,
            {"error": "injected fault: HTTP 429", "status": 429},
        )

    def test_status_fault_on_rpc_routes_uses_kubos_error_shape(self, ipfs: IpfsServer) -> None:
        ipfs.faults.status(500, route="/api/v0")
        reply = requests.post(f"{ipfs.url}/api/v0/version", timeout=5)
        assert reply.json() == {"Message": "injected fault: HTTP 500", "Code": 0, "Type": "error"}

    def test_latency_delays_the_answer(self, ipfs: IpfsServer, hello_url: str) -> None:
        ipfs.faults.latency(0.3, route="/ipfs")
        started = time.monotonic()
        reply = requests.get(hello_url, timeout=5)
        assert (reply.content, time.monotonic() - started >= 0.3) == (HELLO, True)
        assert ipfs.requests[-1].fault == "latency"

    def test_drop_closes_the_connection_without_an_answer(
        self, ipfs: IpfsServer, hello_url: str
    ) -> None:
        ipfs.faults.drop(route="/ipfs")
        with pytest.raises(requests.ConnectionError):
            requests.get(hello_url, timeout=5)
        assert (ipfs.requests[-1].status, ipfs.requests[-1].fault) == (0, "drop")

    def test_truncate_sends_part_of_the_body_then_closes(
        self, ipfs: IpfsServer, hello_url: str
    ) -> None:
        ipfs.faults.truncate(5, route="/ipfs")
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            requests.get(hello_url, timeout=5)
        assert (ipfs.requests[-1].bytes_sent, ipfs.requests[-1].fault) == (5, "truncate")

    def test_wrong_content_serves_other_bytes_under_the_same_cid(
        self, ipfs: IpfsServer, hello_url: str
    ) -> None:
        ipfs.faults.wrong_content()
        reply = requests.get(hello_url, timeout=5)
        assert (reply.content, reply.headers["ETag"]) == (WRONG_CONTENT, f'"{HELLO_V0}"')

    def test_wrong_content_applies_to_kubo_cat_when_routed_there(
        self, ipfs: IpfsServer, hello_url: str
    ) -> None:
        ipfs.faults.wrong_content(b"evil", route="/api/v0/cat")
        reply = requests.post(f"{ipfs.url}/api/v0/cat", params={"arg": HELLO_V0}, timeout=5)
        assert reply.content == b"evil"


class TestFaultMatching:
    def test_fail_next_n_fails_exactly_n_requests(self, ipfs: IpfsServer, hello_url: str) -> None:
        ipfs.faults.fail_next(2, status=503)
        statuses = [requests.get(hello_url, timeout=5).status_code for _ in range(3)]
        assert statuses == [503, 503, 200]
        assert ipfs.faults.active == []

    def test_a_route_fault_leaves_other_routes_alone(
        self, ipfs: IpfsServer, hello_url: str
    ) -> None:
        ipfs.faults.status(500, route="/file/create")
        assert requests.get(hello_url, timeout=5).status_code == 200

    def test_a_cid_route_matches_only_that_cid(self, ipfs: IpfsServer, hello_url: str) -> None:
        other = ipfs.add(b"other")
        ipfs.faults.status(500, route=f"/ipfs/{HELLO_V0}")
        statuses = [requests.get(u, timeout=5).status_code for u in (hello_url, other)]
        assert statuses == [500, 200]

    def test_a_method_fault_leaves_other_methods_alone(
        self, ipfs: IpfsServer, hello_url: str
    ) -> None:
        ipfs.faults.status(500, method="head")
        assert requests.get(hello_url, timeout=5).status_code == 200
        assert requests.head(hello_url, timeout=5).status_code == 500

    def test_reset_clears_every_fault(self, ipfs: IpfsServer, hello_url: str) -> None:
        ipfs.faults.status(500)
        ipfs.faults.latency(5)
        ipfs.faults.reset()
        assert requests.get(hello_url, timeout=5).status_code == 200

    def test_latency_stacks_with_the_first_matching_action(self) -> None:
        faults = FaultInjector()
        faults.latency(0.25, count=1)
        first = faults.status(503, count=1)
        second = faults.status(500, count=1)
        plan = faults.plan("GET", "/ipfs/x")
        assert (plan.latency, plan.action) == (0.25, first)
        assert faults.active == [second]  # the unused action is not consumed

    @pytest.mark.parametrize(
        ("kwargs", "option"),
        [
            ({"status": 99}, "status"),
            ({"latency": -1, "status": 500}, "latency"),
            ({"status": 500, "count": 0}, "count"),
            ({"truncate": -1}, "truncate"),
            ({"status": 500, "drop": True}, "fault"),
            ({}, "fault"),
            ({"status": 500, "route": "ipfs"}, "route"),
        ],
        ids=["status", "latency", "count", "truncate", "two-actions", "nothing", "route"],
    )
    def test_invalid_faults_are_refused_naming_the_option(
        self, kwargs: dict[str, object], option: str
    ) -> None:
        with pytest.raises(ConfigError) as caught:
            FaultInjector().add(**kwargs)  # type: ignore[arg-type]
        assert caught.value.option == option

    @pytest.mark.parametrize("status", [200, 302, 399, "503"])
    def test_fail_next_refuses_a_status_that_is_not_an_error(self, status: object) -> None:
        with pytest.raises(ConfigError) as caught:
            FaultInjector().fail_next(1, status=status)  # type: ignore[arg-type]
        assert str(caught.value) == (
            f"status: fail_next needs an HTTP error status 400-599, not {status!r}"
        )

    @pytest.mark.parametrize("route", ["/nope", "/files", "/api/v1", "/ipfsx"])
    def test_a_route_no_request_can_match_is_refused_naming_the_known_ones(
        self, route: str
    ) -> None:
        with pytest.raises(ConfigError) as caught:
            FaultInjector().fail_next(1, route=route)
        assert str(caught.value) == (
            f"route: no route {route!r} on the mock IPFS; known: /file/create, /ipfs, "
            "/api/v0/add, /api/v0/cat, /api/v0/pin/ls, /api/v0/version, a leading part of one "
            "(/api/v0) or /ipfs/<cid>"
        )

    @pytest.mark.parametrize(
        "route", ["/", "/api", "/api/v0/", "/file", "/ipfs", f"/ipfs/{HELLO_V0}"]
    )
    def test_a_known_route_its_leading_part_or_a_gateway_path_is_accepted(self, route: str) -> None:
        assert FaultInjector().fail_next(1, route=route).route == route

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"status": "500"}, "status: must be an HTTP status 200-599, not '500'"),
            (
                {"latency": "x"},
                "latency: must be a finite number >= 0 seconds, not 'x'",
            ),
            ({"status": 500, "count": 1.5}, "count: must be a whole number >= 1 or None, not 1.5"),
            ({"truncate": "5"}, "truncate: must be a whole number >= 0 bytes, not '5'"),
            ({"status": 500, "route": 5}, "route: must be a path starting with '/' or None, not 5"),
            (
                {"status": 500, "method": 5},
                "method: must be an HTTP method name or None, not 5",
            ),
            ({"wrong_content": "evil"}, "wrong_content: must be bytes, not 'evil'"),
        ],
        ids=["status", "latency", "count", "truncate", "route", "method", "wrong_content"],
    )
    def test_a_fault_argument_of_the_wrong_type_is_refused_naming_it(
        self, kwargs: dict[str, object], message: str
    ) -> None:
        with pytest.raises(ConfigError) as caught:
            FaultInjector().add(**kwargs)  # type: ignore[arg-type]
        assert str(caught.value) == message


class TestRequestLog:
    def test_the_log_records_method_route_status_bytes_and_cid(
        self, ipfs: IpfsServer, hello_url: str
    ) -> None:
        requests.get(hello_url, timeout=5)
        requests.post(ipfs.publish_url, files={"file": ("h", b"abc")}, timeout=5)
        get, post = ipfs.requests
        assert (get.method, get.route, get.status, get.bytes, get.cid, get.bytes_sent) == (
            "GET",
            "/ipfs",
            200,
            0,
            HELLO_V0,
            12,
        )
        assert (post.method, post.route, post.status, post.bytes > 3) == (
            "POST",
            "/file/create",
            200,
            True,
        )

    def test_where_filters_and_clear_empties(self, ipfs: IpfsServer, hello_url: str) -> None:
        requests.get(hello_url, timeout=5)
        requests.get(f"{ipfs.url}/nowhere", timeout=5)
        assert [r.status for r in ipfs.requests.where(route="/ipfs")] == [200]
        assert [r.route for r in ipfs.requests.where(status=404)] == ["/nowhere"]
        ipfs.requests.clear()
        assert len(ipfs.requests) == 0
