"""The HTTP layer of the mock IPFS: framing, fault injection and the request log.

Every request is answered with a well-formed HTTP status line and a JSON error when it cannot
be served (bad request lines and headers included), except when a ``drop`` fault tells the
server to hang up. Nothing a client sends can take the server down: unexpected errors become
a 500 answer for that request only.

The layer serves any :class:`ServedApp` (the store, limits, faults and log it needs), so it
does not depend on :class:`~ogpu_sim.ipfs.server.IpfsServer`, which owns the lifecycle.
"""

from __future__ import annotations

import contextlib
import email.utils
import itertools
import json
import logging
import queue
import socket
import threading
import time
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from ogpu_sim.ipfs import routes
from ogpu_sim.ipfs.errors import BadRequest
from ogpu_sim.ipfs.faults import FaultInjector, RequestLog, RequestRecord
from ogpu_sim.ipfs.head import FastHeadMixin
from ogpu_sim.ipfs.multipart import read_body
from ogpu_sim.ipfs.store import Store


class ServedApp(Protocol):
    """What the HTTP layer reads of the service it serves."""

    @property
    def store(self) -> Store:
        """Where uploads go and reads come from."""

    @property
    def max_upload_bytes(self) -> int:
        """The largest request body accepted (larger ones get 413)."""

    @property
    def faults(self) -> FaultInjector:
        """The faults to apply to each request."""

    @property
    def requests(self) -> RequestLog:
        """Where every answered request is recorded."""

    @property
    def stopping(self) -> threading.Event:
        """Set when the service stops, so injected latency ends early."""

    @property
    def url(self) -> str:
        """The base URL gateway links are built from."""


logger = logging.getLogger("ogpu_sim.ipfs")

_ONE_WRITE = 1 << 16  # bodies up to this size go out in the same write as the headers


_date_kept: tuple[int, str] = (-1, "")  # the last second an answer's Date was spelled for


def http_date() -> str:
    """``BaseHTTPRequestHandler.date_time_string()`` (the time now), spelled once a second."""
    global _date_kept
    now = time.time()
    second = int(now)  # formatdate reads the time through gmtime, which drops the fraction
    kept = _date_kept
    if kept[0] == second:
        return kept[1]
    text = email.utils.formatdate(now, usegmt=True)
    _date_kept = (second, text)
    return text


def answer(app: ServedApp, request: routes.Request) -> routes.Reply:
    """What the routes answer ``request`` with, no fault applied; a bug in a route costs that
    request a 500, never the server. The one place a parsed request meets the routes, over
    HTTP and in process (:mod:`ogpu_sim.ipfs.inprocess`) alike."""
    try:
        return routes.handle(app.store, request)
    except Exception as exc:
        logger.exception("IPFS %s %s failed", request.method, request.path)
        return routes.error_reply(routes.route_of(request.path), 500, f"internal error: {exc}")


class ConnectionWorkers:
    """The threads that serve a server's connections, one connection per thread at a time.

    A thread that finishes its connection waits up to :attr:`idle_seconds` for the next one
    instead of exiting: the SDK opens a new connection for every pin, and starting a thread
    for each cost more than reading the pin. A connection never waits for a busy thread: when
    none is idle a new one starts, as ``ThreadingMixIn`` would.

    Args:
        serve: called with each connection's arguments, on a worker thread.
        name: the workers' thread name prefix.
    """

    idle_seconds = 2.0
    max_idle = 8

    def __init__(self, serve: Callable[..., None], name: str) -> None:
        self._serve = serve
        self._name = name
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue[tuple[Any, ...] | None] = queue.SimpleQueue()
        self._idle = 0
        self._threads: set[threading.Thread] = set()
        self._closed = False
        self._numbers = itertools.count(1)

    @property
    def idle(self) -> int:
        """How many workers wait for a connection."""
        with self._lock:
            return self._idle

    def submit(self, *work: Any) -> None:
        """Serve ``work`` on an idle worker, or on a new one when none is idle."""
        with self._lock:
            if self._idle:
                self._idle -= 1
                self._queue.put(work)
                return
            thread = threading.Thread(
                target=self._run,
                args=(work,),
                name=f"{self._name}-{next(self._numbers)}",
                daemon=False,  # as ThreadingMixIn's were: exit waits for a request in flight
            )
            self._threads.add(thread)
        thread.start()

    def _run(self, work: tuple[Any, ...] | None) -> None:
        while work is not None:
            self._serve(*work)
            with self._lock:
                if self._closed or self._idle >= self.max_idle:
                    break
                self._idle += 1
            try:
                work = self._queue.get(timeout=self.idle_seconds)
            except queue.Empty:
                with self._lock:
                    try:  # submitted just as the wait ended: it counted on this thread
                        work = self._queue.get_nowait()
                    except queue.Empty:
                        self._idle -= 1
                        break
        with self._lock:
            self._threads.discard(threading.current_thread())

    def close(self) -> None:
        """Let every worker finish its connection, then join them all (idempotent)."""
        with self._lock:
            self._closed = True
            threads = list(self._threads)
            for _ in range(self._idle):
                self._queue.put(None)
            self._idle = 0
        for thread in threads:
            thread.join()


class HttpServer(ThreadingHTTPServer):
    """A threaded HTTP server that tracks its connections so ``stop`` can close them all."""

    request_queue_size = 128

    def __init__(self, address: tuple[str, int], app: ServedApp) -> None:
        self.app: ServedApp = app
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        self.workers = ConnectionWorkers(self.process_request_thread, "ogpu-sim-ipfs-conn")
        super().__init__(address, IpfsRequestHandler)

    def process_request(self, request: Any, client_address: Any) -> None:
        # Registered here, in the accepting thread, so stop() sees every connection.
        with self.connections_lock:
            self.connections.add(request)
        self.workers.submit(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def server_close(self) -> None:
        """Close the listening socket and join every worker (after their connections)."""
        super().server_close()
        self.workers.close()

    def close_connections(self) -> None:
        """Shut down every open client connection so handler threads finish."""
        with self.connections_lock:
            open_sockets = list(self.connections)
        for sock in open_sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.debug("IPFS connection from %s failed", client_address, exc_info=True)


class HttpServer6(HttpServer):
    """The same server on an IPv6 loopback address (``::1``)."""

    address_family = socket.AF_INET6


class IpfsRequestHandler(FastHeadMixin, BaseHTTPRequestHandler):
    """Serves one connection of the mock IPFS (HTTP/1.1, keep-alive; heads read by
    :mod:`ogpu_sim.ipfs.head`)."""

    server: HttpServer
    protocol_version = "HTTP/1.1"
    default_request_version = "HTTP/1.0"  # never answer HTTP/0.9-style (no status line)
    server_version = "ogpu-sim-ipfs"
    sys_version = ""
    timeout = 30.0  # an idle keep-alive connection is closed after this many seconds
    disable_nagle_algorithm = True  # headers and body go out as separate writes

    def finish(self) -> None:
        with contextlib.suppress(OSError):  # the client went away before the last flush
            super().finish()

    def date_time_string(self, timestamp: float | None = None) -> str:
        return http_date() if timestamp is None else super().date_time_string(timestamp)

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("IPFS %s " + format, self.address_string(), *args)

    # -- request line and header errors ---------------------------------------------------
    def parse_request(self) -> bool:
        raw: bytes = getattr(self, "raw_requestline", b"")
        if not str(raw, "iso-8859-1").split():  # as the stdlib splits it, which then says nothing
            self.command = None  # type: ignore[assignment]  # the stdlib's own convention
            self.request_version = self.default_request_version
            self.requestline = ""
            self.send_error(HTTPStatus.BAD_REQUEST, "empty request line")
            return False
        return super().parse_request()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Answer a request the standard library could not parse, as JSON."""
        self.close_connection = True
        status = HTTPStatus(code)
        body = json.dumps({"error": message or status.phrase, "status": code}).encode()
        with_body = self.command != "HEAD" and code >= 200 and code not in (204, 304)
        sent = len(body) if with_body else 0
        self._record(self.command or "", "", code, 0, None, time.time(), sent, None)
        with contextlib.suppress(OSError):
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if with_body:
                self.wfile.write(body)

    # -- requests --------------------------------------------------------------------------
    def do_GET(self) -> None:
        self._serve()

    do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_GET

    def _serve(self) -> None:
        app = self.server.app
        arrived = time.time()
        method = self.command or ""
        target_error: BadRequest | None = None
        try:
            path, query = routes.parse_target(self.path)
        except BadRequest as exc:
            path, query, target_error = "", {}, exc
        route = routes.route_of(path) if path else self.path[:200]
        try:
            drain_limit = app.max_upload_bytes * 4 + 2**20
            body = read_body(self.rfile, self.header_values, app.max_upload_bytes, drain_limit)
        except BadRequest as exc:
            self.close_connection = True
            self._finish_reply(
                routes.error_reply(route, exc.status, exc.message), method, route, arrived, 0, None
            )
            return
        if target_error is not None:
            reply = routes.error_reply(route, target_error.status, target_error.message)
            self._finish_reply(reply, method, route, arrived, len(body), None)
            return

        plan = app.faults.plan(method, path)
        if plan.latency > 0 and app.stopping.wait(plan.latency):
            self._drop(method, route, arrived, len(body), "stopping")
            return
        action = plan.action
        if action is not None and action.kind == "drop":
            self._drop(method, route, arrived, len(body), "drop")
            return
        if action is not None and action.kind == "status":
            assert action.status is not None
            message = f"injected fault: HTTP {action.status}"
            reply = routes.error_reply(route, action.status, message)
        else:
            headers = {k.lower(): v for k, v in self.header_items}
            reply = answer(app, routes.Request(method, path, query, headers, body, app.url))
            if action is not None and action.wrong_content is not None:
                reply.body = action.wrong_content
        truncate = action.truncate if action is not None else None
        fault = action.kind if action is not None else ("latency" if plan.latency else None)
        self._finish_reply(reply, method, route, arrived, len(body), fault, truncate)

    def _finish_reply(
        self,
        reply: routes.Reply,
        method: str,
        route: str,
        arrived: float,
        received: int,
        fault: str | None,
        truncate: int | None = None,
    ) -> None:
        # Logged before the answer goes out, so a client that asserts on the log right after
        # its reply always finds the record.
        body = b"" if method == "HEAD" or reply.status in (204, 304) else reply.body
        if truncate is not None:
            body = body[:truncate]
            self.close_connection = True
        self._record(method, route, reply.status, received, reply.cid, arrived, len(body), fault)
        try:
            self._send(reply, body, truncate is not None)
        except OSError:
            self.close_connection = True

    def _send(self, reply: routes.Reply, body: bytes, hang_up: bool) -> None:
        # The bytes send_response, send_header and end_headers would write, in one write with
        # a small body (one send, one wake-up of the client, instead of two).
        self.log_request(reply.status)
        phrase = self.responses[reply.status][0] if reply.status in self.responses else ""
        lines = [
            f"{self.protocol_version} {int(reply.status)} {phrase}",
            f"Server: {self.version_string()}",
            f"Date: {self.date_time_string()}",
            f"Content-Type: {reply.content_type}",
            f"Content-Length: {len(reply.body)}",
            *(f"{name}: {value}" for name, value in reply.headers.items()),
        ]
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "strict")
        if len(body) <= _ONE_WRITE:
            self.wfile.write(head + body)
        else:
            self.wfile.write(head)
            self.wfile.write(body)
        if hang_up:
            self.connection.shutdown(socket.SHUT_RDWR)

    def _drop(self, method: str, route: str, arrived: float, received: int, fault: str) -> None:
        self.close_connection = True
        self._record(method, route, 0, received, None, arrived, 0, fault)
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _record(
        self,
        method: str,
        route: str,
        status: int,
        received: int,
        cid: str | None,
        arrived: float,
        sent: int,
        fault: str | None,
    ) -> None:
        record = RequestRecord(
            method=method,
            route=route,
            status=status,
            bytes=received,
            cid=cid,
            time=arrived,
            path=(getattr(self, "path", "") or "")[:1000],
            bytes_sent=sent,
            fault=fault,
        )
        self.server.app.requests.append(record)
