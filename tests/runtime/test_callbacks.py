"""The callback server: results reach their dispatcher; bad requests get a 4xx, never a crash."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator

import pytest
import requests

from ogpu_sim.runtime import CallbackServer
from ogpu_sim.runtime.callbacks import Rejection

TASK = "0x" + "ab" * 20


@pytest.fixture
def server() -> Iterator[CallbackServer]:
    with CallbackServer() as started:
        yield started


def test_listens_on_127_0_0_1_on_a_free_port(server):
    assert server.url.startswith("http://127.0.0.1:")
    assert server.url_for(None) == server.url


def test_an_expected_callback_is_handed_to_the_waiter(server):
    server.expect(TASK)
    answer = requests.post(f"{server.url}/{TASK}", json={"result": 35}, timeout=5)
    assert (answer.status_code, answer.json()) == (200, {"status": "ok"})
    assert server.wait(TASK, timeout=5) == {"result": 35}


def test_task_addresses_match_whatever_their_case(server):
    server.expect(TASK.upper().replace("0X", "0x"))
    requests.post(f"{server.url}/{TASK}", json={"ok": True}, timeout=5)
    assert server.wait(TASK, timeout=5) == {"ok": True}


def test_a_waiter_blocked_before_the_callback_is_woken_by_it(server):
    server.expect(TASK)
    got: list[dict | None] = []
    waiter = threading.Thread(target=lambda: got.append(server.wait(TASK, timeout=10)))
    waiter.start()
    requests.post(f"{server.url}/{TASK}", json={"label": "positive"}, timeout=5)
    waiter.join(timeout=10)
    assert got == [{"label": "positive"}]


def test_wait_times_out_with_none(server):
    server.expect(TASK)
    assert server.wait(TASK, timeout=0.05) is None


def test_abandon_wakes_the_waiter_with_none(server):
    server.expect(TASK)
    server.abandon(TASK)
    assert server.wait(TASK, timeout=30) is None


def test_waiting_for_a_task_never_expected_is_a_key_error(server):
    with pytest.raises(KeyError, match="never expect"):
        server.wait(TASK, timeout=0)


def test_unknown_task_is_404_and_logged_and_the_server_keeps_serving(server, caplog):
    answer = requests.post(f"{server.url}/0xunknown", json={"result": 1}, timeout=5)
    assert (answer.status_code, answer.json()) == (
        404,
        {"error": "no task expects this callback"},
    )
    assert server.rejected == [Rejection(404, "/0xunknown", "no task expects this callback")]
    assert "callback refused (404) for /0xunknown" in caplog.text
    test_an_expected_callback_is_handed_to_the_waiter(server)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (
            b"{not json",
            "body is not JSON: Expecting property name enclosed in double quotes: "
            "line 1 column 2 (char 1)",
        ),
        (b"[1, 2]", "body must be a JSON object, got list"),
        (b"\xff\xfe", "body is not JSON: Expecting value: line 1 column 1 (char 0)"),
    ],
)
def test_a_malformed_body_is_400_and_the_server_keeps_serving(server, body, reason):
    server.expect(TASK)
    answer = requests.post(f"{server.url}/{TASK}", data=body, timeout=5)
    assert (answer.status_code, answer.json()) == (400, {"error": reason})
    requests.post(f"{server.url}/{TASK}", json={"after": "bad body"}, timeout=5)
    assert server.wait(TASK, timeout=5) == {"after": "bad body"}


def test_a_second_callback_for_the_same_task_is_409(server):
    server.expect(TASK)
    requests.post(f"{server.url}/{TASK}", json={"n": 1}, timeout=5)
    answer = requests.post(f"{server.url}/{TASK}", json={"n": 2}, timeout=5)
    assert answer.status_code == 409
    assert server.wait(TASK, timeout=5) == {"n": 1}


def test_the_late_callback_of_a_timed_out_wait_is_410_not_the_answer_of_a_new_dispatch(server):
    server.expect(TASK)
    assert server.wait(TASK, timeout=0) is None  # the wait gave up; its handler still owes one
    slot = server.expect(TASK)  # the same address dispatched again (after a chain revert)

    fresh = requests.post(f"{server.url}/{slot.key}", json={"new": True}, timeout=5)
    late = requests.post(f"{server.url}/{TASK}", json={"old": True}, timeout=5)

    assert (slot.key, fresh.status_code, late.status_code) == (f"{TASK}-2", 200, 410)
    assert server.wait_on(TASK, slot, 5) == (True, {"new": True})
    assert server.rejected == [
        Rejection(410, f"/{TASK}", "a late callback of a dispatch whose wait timed out")
    ]


def test_a_dispatch_is_under_the_task_address_while_no_other_is_outstanding(server):
    first = server.expect(TASK)
    requests.post(f"{server.url}/{TASK}", json={"n": 1}, timeout=5)
    assert server.wait_on(TASK, first, 5) == (True, {"n": 1})

    assert server.expect(TASK).key == TASK


def test_two_dispatches_of_one_task_each_get_their_own_callback(server):
    one, two = server.expect(TASK), server.expect(TASK)  # two providers run the same task

    requests.post(f"{server.url}/{two.key}", json={"provider": 2}, timeout=5)
    requests.post(f"{server.url}/{one.key}", json={"provider": 1}, timeout=5)

    assert (one.key, two.key) == (TASK, f"{TASK}-2")
    assert server.wait_on(TASK, one, 5) == (True, {"provider": 1})
    assert server.wait_on(TASK, two, 5) == (True, {"provider": 2})


def test_a_given_up_dispatch_whose_handler_failed_owes_nothing(server):
    server.expect(TASK)
    server.wait(TASK, timeout=0)
    server.abandon(TASK)  # its handler's failure line came after the wait gave up

    assert server.expect(TASK).key == TASK


def test_a_task_given_up_before_its_dispatch_owes_no_callback(server):
    server.forget(TASK, server.expect(TASK), dispatched=False)
    slot = server.expect(TASK)

    answer = requests.post(f"{server.url}/{TASK}", json={"result": 1}, timeout=5)

    assert answer.status_code == 200
    assert server.wait_on(TASK, slot, 5) == (True, {"result": 1})


def test_a_wait_on_a_slot_that_ends_early_keeps_it_for_the_next_wait(server):
    slot = server.expect(TASK)

    assert server.wait_on(TASK, slot, 0.01) == (False, None)
    requests.post(f"{server.url}/{TASK}", json={"result": 2}, timeout=5)

    assert server.wait_on(TASK, slot, 5) == (True, {"result": 2})


def test_a_nested_path_is_404(server):
    answer = requests.post(f"{server.url}/a/b", json={}, timeout=5)
    assert answer.status_code == 404


def test_a_body_without_content_length_is_411(server):
    host, port = server.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        connection.putrequest("POST", f"/{TASK}")
        connection.endheaders()
        assert connection.getresponse().status == 411
    finally:
        connection.close()


def test_url_for_a_gateway_adds_a_listener_on_that_address(server):
    # 127.0.0.2 is loopback on Linux: a stand-in for a Docker network's gateway.
    url = server.url_for("127.0.0.2")
    assert url.startswith("http://127.0.0.2:")
    server.expect(TASK)
    requests.post(f"{url}/{TASK}", json={"via": "gateway"}, timeout=5)
    assert server.wait(TASK, timeout=5) == {"via": "gateway"}
    server.release("127.0.0.2")
    with pytest.raises(requests.ConnectionError):
        requests.post(f"{url}/{TASK}", json={}, timeout=5)


def test_stop_wakes_waiters_and_closes_the_port():
    server = CallbackServer().start()
    server.expect(TASK)
    waiter = threading.Thread(target=server.wait, args=(TASK, 30))
    waiter.start()
    server.stop()
    waiter.join(timeout=5)
    assert not waiter.is_alive()
    with pytest.raises(requests.ConnectionError):
        requests.post(f"{server.url}/{TASK}", json={}, timeout=5)
    server.stop()  # idempotent
