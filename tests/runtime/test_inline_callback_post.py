"""The inline runtime posts callbacks as ``requests.post(url, json=result)`` does."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Callable
from typing import Any

import pytest
import requests

from ogpu_sim.runtime.inline import _CallbackPoster

PAYLOAD = {"result": 42, "items": [1.5, "ü", None, True]}
ANSWER = (
    b"HTTP/1.1 409 Conflict\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\n"
    b'{"e": 1}\n'
)


def captured(send: Callable[[str], Any]) -> tuple[bytes, Any]:
    """The bytes ``send(url)`` puts on the wire (its Host port masked) and what it returns."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    received: list[bytes] = []

    def serve() -> None:
        connection, _ = listener.accept()
        with connection:
            data = b""
            while b"\r\n\r\n" not in data:
                data += connection.recv(65536)
            length = int(re.search(rb"Content-Length: (\d+)", data).group(1))  # type: ignore[union-attr]
            while len(data.partition(b"\r\n\r\n")[2]) < length:
                data += connection.recv(65536)
            received.append(data)
            connection.sendall(ANSWER)

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        result = send(f"http://127.0.0.1:{port}/0x{'ab' * 20}")
    finally:
        thread.join(10)
        listener.close()
    return received[0].replace(f":{port}".encode(), b":PORT"), result


def test_the_request_and_the_answer_read_are_those_of_requests_post() -> None:
    def with_requests(url: str) -> tuple[int, str]:
        response = requests.post(url, json=PAYLOAD, timeout=30)
        return response.status_code, response.text

    poster = _CallbackPoster()
    try:
        ours = captured(lambda url: poster.post(url, PAYLOAD, timeout=30))
    finally:
        poster.close()
    assert ours == captured(with_requests)
    assert ours[1] == (409, '{"e": 1}\n')


def test_nan_is_refused_with_the_error_requests_raises() -> None:
    payload = {"result": float("nan")}
    with pytest.raises(requests.exceptions.InvalidJSONError) as expected:
        requests.post("http://127.0.0.1:9/x", json=payload, timeout=1)
    with pytest.raises(requests.exceptions.InvalidJSONError) as ours:
        _CallbackPoster().post("http://127.0.0.1:9/x", payload, timeout=1)
    assert (
        str(ours.value) == str(expected.value) == "Out of range float values are not JSON compliant"
    )


def test_a_dead_callback_server_fails_with_the_text_requests_gives() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/0x1"  # bound, never listening
        with pytest.raises(requests.ConnectionError) as expected:
            requests.post(url, json=PAYLOAD, timeout=5)
        with pytest.raises(Exception) as ours:
            _CallbackPoster().post(url, PAYLOAD, timeout=5)

    def masked(text: str) -> str:
        return re.sub(r"0x[0-9a-f]+", "0x?", text)

    assert masked(str(ours.value)) == masked(str(expected.value))
    assert "Max retries exceeded" in str(ours.value)
