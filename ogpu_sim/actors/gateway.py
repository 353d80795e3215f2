"""A provider's GET of a task's config from a gateway on this machine, in a few socket calls.

urllib3 (with http.client's email-based header parser under it) spends most of a config
fetch's CPU on framing a tiny request and answer. :class:`LoopbackGateway` keeps one
connection per gateway, writes the very bytes urllib3 writes, and reads a plain answer itself:
``HTTP/1.1``, a status of 200 or more (not 204 or 304), one ``Content-Length``, no transfer or
content coding, no repeated header. Anything else (a dropped or truncated answer, a timeout, a
chunked or compressed body, a malformed head) is handed, with the bytes read so far, to
urllib3 itself through a connection whose socket replays them first, so every answer and every
error (its text included) is urllib3's own; the connection is not reused after that.
"""

from __future__ import annotations

import io
import re
import select
import socket
import threading
from typing import Any

import requests
import urllib3
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

_HEAD_LIMIT = 1 << 16
_STATUS = re.compile(r"HTTP/1\.1 (\d{3})(?: [^\r\n]*)?\Z")
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")


def response_of(url: str, status: int, headers: Any, content: bytes) -> requests.Response:
    """A requests ``Response`` with what ``fetch_config`` reads of it (status, ``json``)."""
    response = requests.Response()
    response.status_code = status
    response.headers = CaseInsensitiveDict(headers)
    response.encoding = get_encoding_from_headers(response.headers)
    response._content = content
    response.url = url
    return response


def urllib3_get(pool: urllib3.HTTPConnectionPool, url: str, uri: str) -> requests.Response:
    """GET ``uri`` through urllib3 as the config fetch always did (no retries, no redirects)."""
    retries = pool.retries
    answer = pool.urlopen("GET", uri, headers=pool.headers, retries=retries, redirect=False)
    return response_of(url, answer.status, answer.headers, answer.data)


class _ReplayRaw(io.RawIOBase):
    """Bytes already read from a connection, then the connection, an EOF or an error."""

    def __init__(self, prefix: bytes, sock: socket.socket | None, error: BaseException | None):
        self._prefix = memoryview(prefix)
        self._sock = sock
        self._error = error

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._prefix:
            n = min(len(buffer), len(self._prefix))
            buffer[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        if self._error is not None:
            raise self._error
        return 0 if self._sock is None else self._sock.recv_into(buffer)


class _ReplaySocket:
    """What urllib3's connection needs of a socket: the request is already sent, the answer is
    read from a :class:`_ReplayRaw`."""

    def __init__(self, raw: _ReplayRaw) -> None:
        self._raw = raw
        self._timeout: float | None = None

    def sendall(self, data: bytes) -> None:
        """The request went out already, on the real connection."""

    def makefile(self, mode: str = "rb", *args: Any, **kwargs: Any) -> io.BufferedReader:
        return io.BufferedReader(self._raw)

    def settimeout(self, timeout: float | None) -> None:
        self._timeout = timeout

    def gettimeout(self) -> float | None:
        return self._timeout

    def setsockopt(self, *args: Any) -> None:
        """Options of the real connection are set already."""

    def close(self) -> None:
        """The real connection is closed by its :class:`LoopbackGateway`."""

    def shutdown(self, how: int) -> None:
        """As :meth:`close`."""


def replayed_get(
    pool: urllib3.HTTPConnectionPool,
    url: str,
    uri: str,
    prefix: bytes,
    sock: socket.socket | None,
    error: BaseException | None,
) -> requests.Response:
    """Let urllib3 read the answer to a GET already sent, from ``prefix`` then ``sock`` (or an
    EOF when ``None``, or ``error``), on a pool like ``pool``: its answer or its error."""
    replay = _ReplaySocket(_ReplayRaw(prefix, sock, error))

    class Replayed(urllib3.connection.HTTPConnection):
        def _new_conn(self) -> socket.socket:
            return replay  # type: ignore[return-value]

    timeout = pool.timeout
    once = urllib3.HTTPConnectionPool(
        pool.host, pool.port, timeout=timeout, retries=pool.retries, headers=pool.headers
    )
    once.ConnectionCls = Replayed
    try:
        return urllib3_get(once, url, uri)
    finally:
        once.close()


class LoopbackGateway:
    """One kept-alive connection to one plain-HTTP gateway on this machine (one request at a
    time: threads of several simulators on one gateway take turns).

    Args:
        pool: the urllib3 pool of the same gateway: its timeout, retries and headers are the
            ones used, and it serves a GET whenever a connection cannot be opened.
    """

    def __init__(self, pool: urllib3.HTTPConnectionPool) -> None:
        self.pool = pool
        self.sock: socket.socket | None = None
        self._turn = threading.Lock()
        host = f"[{pool.host}]" if ":" in pool.host else pool.host
        host_header = host if pool.port in (None, 80) else f"{host}:{pool.port}"
        lines = [f"Host: {host_header}", *(f"{k}: {v}" for k, v in pool.headers.items())]
        self._head_tail = ("\r\n" + "\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        timeout = pool.timeout
        assert isinstance(timeout, urllib3.Timeout)
        self._timeout = timeout.read_timeout

    def get(self, url: str, uri: str) -> requests.Response:
        """GET ``uri``; the answer as a requests ``Response``, or urllib3's error.

        Raises:
            urllib3.exceptions.HTTPError: as urllib3 raises it for the same answer.
            OSError: as urllib3 raises it for the same answer.
        """
        with self._turn:
            return self._get(url, uri)

    def _get(self, url: str, uri: str) -> requests.Response:
        try:
            request = f"GET {uri} HTTP/1.1".encode("ascii") + self._head_tail
        except UnicodeEncodeError:
            return urllib3_get(self.pool, url, uri)
        sock = self._connected()
        if sock is None:
            return urllib3_get(self.pool, url, uri)  # urllib3 connects and says what fails
        try:
            sock.sendall(request)
        except OSError:
            self.close()
            return urllib3_get(self.pool, url, uri)
        data = bytearray()
        try:
            answer = self._read(sock, data)
        except EOFError:  # the gateway closed before the end of its answer
            self.close()
            return replayed_get(self.pool, url, uri, bytes(data), None, None)
        except OSError as exc:  # a timeout or a reset: urllib3 meets it after the same bytes
            self.close()
            return replayed_get(self.pool, url, uri, bytes(data), None, exc)
        if answer is None:  # not a plain answer: urllib3 reads on from what came so far
            try:
                return replayed_get(self.pool, url, uri, bytes(data), sock, None)
            finally:
                self.close()
        status, headers, body, keep = answer
        if not keep:
            self.close()
        return response_of(url, status, headers, body)

    def _read(
        self, sock: socket.socket, data: bytearray
    ) -> tuple[int, dict[str, str], bytes, bool] | None:
        """Read a plain answer into ``data``: (status, headers, body, keep-alive), or ``None``
        when it is not plain. An EOF before its end raises ``ConnectionError``."""
        end = -1
        while end < 0:
            chunk = sock.recv(_HEAD_LIMIT)
            if not chunk:
                raise EOFError
            data += chunk
            end = data.find(b"\r\n\r\n")
            if end < 0 and (len(data) > _HEAD_LIMIT or b"\n\n" in data):
                return None
        lines = data[:end].decode("iso-8859-1").split("\r\n")
        matched = _STATUS.match(lines[0])
        if matched is None:
            return None
        status = int(matched.group(1))
        headers: dict[str, str] = {}
        seen: set[str] = set()
        for line in lines[1:]:
            name, colon, value = line.partition(":")
            lower = name.lower()
            if not colon or not _TOKEN.match(name) or lower in seen:
                return None
            seen.add(lower)
            headers[name] = value.lstrip(" \t")
        length = headers.get(_name(headers, "content-length"))
        if (
            status < 200
            or status in (204, 304)
            or length is None
            or not length.isdigit()
            or "transfer-encoding" in seen
            or "content-encoding" in seen
        ):
            return None
        need = end + 4 + int(length)
        while len(data) < need:
            chunk = sock.recv(max(need - len(data), 4096))
            if not chunk:
                raise EOFError
            data += chunk
        if len(data) > need:
            return None
        connection = headers.get(_name(headers, "connection")) or ""
        keep = "close" not in connection.lower()
        return status, headers, bytes(data[end + 4 :]), keep

    def _connected(self) -> socket.socket | None:
        """The kept-alive connection (a new one when there is none or the gateway closed it),
        or ``None`` when it cannot be opened."""
        if self.sock is not None and self.dropped():
            self.close()
        if self.sock is None:
            try:
                address = (self.pool.host, self.pool.port or 80)
                sock = socket.create_connection(address, timeout=self._timeout)
            except OSError:
                return None
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.sock = sock
        return self.sock

    def dropped(self) -> bool:
        """True when the idle connection is readable: closed by the gateway, or out of step."""
        if self.sock is None:
            return True
        poll = select.poll()
        poll.register(self.sock, select.POLLIN)
        try:
            return bool(poll.poll(0))
        except OSError:
            return True

    def close(self) -> None:
        """Close the connection (the next GET opens another)."""
        sock, self.sock = self.sock, None
        if sock is not None:
            sock.close()


def _name(headers: dict[str, str], lower: str) -> str:
    for name in headers:
        if name.lower() == lower:
            return name
    return lower


__all__ = ["LoopbackGateway", "replayed_get", "response_of", "urllib3_get"]
