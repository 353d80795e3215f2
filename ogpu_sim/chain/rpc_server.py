"""Serve an in-process chain over HTTP JSON-RPC on 127.0.0.1, so other clients share its state.

The SDK's async event watchers (``AsyncWeb3`` over HTTP), ``RemoteChain`` and other processes
use the same chain as the in-process ``w3``: every request goes through the same handler and
the chain's one lock. The server speaks JSON-RPC 2.0 over HTTP/1.1 and is hardened like a node
facing careless clients:

* every response goes out in one write with an exact ``Content-Length`` (strict clients such
  as aiohttp otherwise see a closed connection), keep-alive as the request asks;
* a body nested deeper than :data:`MAX_JSON_DEPTH` is a -32700 parse error *before* ``json``
  recurses into it (py-evm raises the recursion limit, so the C stack would overflow);
* a body over the size limit gets a 413 that names the limit; chunked bodies are accepted;
* a listen backlog of :data:`LISTEN_BACKLOG` answers bursts of fresh connections, and clients
  that hang up early are logged at debug level, not printed as tracebacks;
* requests whose ``Host`` is not a loopback name are refused (DNS rebinding: the dev accounts
  are unlocked, so a web page must not reach them through a name that resolves here).
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import logging
import re
import socket
import threading
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ..errors import ChainError, InjectedFault
from .faults import answer_over_http
from .jsonrpc import INTERNAL_ERROR, INVALID_REQUEST, PARSE_ERROR, SERVER_ERROR, RpcError

log = logging.getLogger("ogpu_sim.chain")

MAX_BODY_BYTES = 32 * 1024 * 1024
"""Largest request body accepted by default (a batch of big deployments fits easily)."""

MAX_JSON_DEPTH = 128
"""Deepest nesting of arrays and objects accepted in a request (JSON-RPC needs about 6)."""

LISTEN_BACKLOG = 1024
"""Pending connections the kernel queues (the stdlib default of 5 drops bursts)."""

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")

_DRAIN_FACTOR = 4
"""A body up to this many times the limit is read and discarded, so the 413 reaches the client;
a larger one gets the 413 and the connection is closed at once."""

_JSON_TOKENS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


def _error(request_id: Any, code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}


def json_too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when arrays/objects in ``body`` nest deeper than ``limit`` (strings are skipped).

    Scans without recursion; bodies with fewer brackets than ``limit`` are not scanned at all.
    """
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    for token in _JSON_TOKENS.finditer(body):
        char = token.group()[:1]
        if char in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif char in (b"]", b"}"):
            depth -= 1
    return False


class _Httpd(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # idle keep-alive clients must not block stop()
    request_queue_size = LISTEN_BACKLOG

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up is routine; anything else is a bug worth a logged traceback."""
        import sys

        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)):
            log.debug("rpc client %s went away: %r", client_address, error)
            return
        log.error("rpc request from %s failed", client_address, exc_info=True)


class _Httpd6(_Httpd):
    address_family = socket.AF_INET6


class RpcServer:
    """A threaded HTTP JSON-RPC server for one chain, bound to 127.0.0.1 on a free port.

    Args:
        handler: either a callable ``(method, params) -> result`` that raises
            :class:`~ogpu_sim.chain.jsonrpc.RpcError` (and locks by itself), or a web3 provider
            whose ``make_request`` returns a JSON-RPC response dict.
        lock: taken around every ``make_request`` of a provider handler (callables lock
            themselves).
        host: interface to bind; only loopback addresses are accepted.
        max_body_bytes: largest request body answered (larger ones get a 413 naming it).

    Raises:
        ChainError: ``host`` is not a loopback address.
    """

    def __init__(
        self,
        handler: Any,
        lock: threading.RLock | None = None,
        host: str = "127.0.0.1",
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        if host not in LOOPBACK_HOSTS:
            raise ChainError(f"the RPC server binds loopback only, not {host!r}")
        self._handler = handler
        self._lock = lock
        self._host = host
        self.max_body_bytes = max_body_bytes
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` of the running server."""
        if self._httpd is None:
            raise ChainError("the RPC server is not running")
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}"

    @property
    def port(self) -> int:
        """The bound TCP port."""
        if self._httpd is None:
            raise ChainError("the RPC server is not running")
        return int(self._httpd.server_address[1])

    def start(self) -> RpcServer:
        """Bind a free port and serve in a daemon thread; returns self."""
        if self._httpd is not None:
            return self
        server_class: type[_Httpd] = _Httpd6 if ":" in self._host else _Httpd
        httpd = server_class((self._host, 0), _make_handler(self))
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"ogpu-sim-rpc-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, drop open connections and free the port; idempotent."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        with self._connections_lock:
            connections, self._connections = self._connections, set()
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> RpcServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- request handling ---------------------------------------------------------------------
    def _track(self, conn: socket.socket, add: bool) -> None:
        with self._connections_lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def answer(self, body: bytes) -> Any:
        """The JSON-RPC response (object or batch list) for one HTTP request body."""
        if json_too_deep(body):
            return _error(
                None, PARSE_ERROR, f"parse error: JSON nested deeper than {MAX_JSON_DEPTH} levels"
            )
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            return _error(None, PARSE_ERROR, f"parse error: {exc}")
        if isinstance(payload, list):
            if not payload:
                return _error(None, INVALID_REQUEST, "invalid request: empty batch")
            return [self._answer_one(item) for item in payload]
        return self._answer_one(payload)

    def _answer_one(self, request: Any) -> dict[str, Any]:
        if not isinstance(request, dict):
            return _error(None, INVALID_REQUEST, "invalid request: expected a JSON object")
        request_id = request.get("id")
        method = request.get("method")
        if not isinstance(method, str):
            return _error(request_id, INVALID_REQUEST, "invalid request: missing method")
        params = request.get("params", [])
        if params is None:
            params = []
        if not isinstance(params, (list, dict)):
            return _error(request_id, INVALID_REQUEST, "invalid request: params must be a list")
        try:
            if hasattr(self._handler, "make_request"):
                with self._lock if self._lock is not None else contextlib.nullcontext():
                    response = dict(self._handler.make_request(method, params))
                response["id"] = request_id
                response["jsonrpc"] = "2.0"
                return response
            result = self._handler(method, params)
        except RpcError as exc:
            return {"jsonrpc": "2.0", "id": request_id, "error": exc.to_dict()}
        except InjectedFault:
            raise  # the whole HTTP exchange misbehaves (see do_POST)
        except ChainError as exc:
            return _error(request_id, SERVER_ERROR, str(exc))
        except Exception as exc:  # a bug must answer this request, not kill the server
            log.exception("JSON-RPC %s failed", method)
            return _error(
                request_id, INTERNAL_ERROR, f"internal error: {type(exc).__name__}: {exc}"
            )
        return {"jsonrpc": "2.0", "id": request_id, "result": result}


@dataclass(frozen=True)
class _Refusal:
    """A request body refused before parsing: the status and message to answer, and how many
    body bytes are still to be read and dropped (0: close the connection instead)."""

    status: HTTPStatus
    message: str
    drain: int = 0


def _make_handler(server: RpcServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "ogpu-sim-rpc"
        timeout = 60  # idle keep-alive connections end eventually

        def setup(self) -> None:
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            server._track(self.connection, True)

        def finish(self) -> None:
            try:
                with contextlib.suppress(ConnectionError):
                    super().finish()
            finally:
                server._track(self.connection, False)

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("rpc %s", format % args)

        def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
            """Status line, headers and body in one write, so no client sees half an answer."""
            if self.request_version == "HTTP/0.9":
                self.close_connection = True
            reason = HTTPStatus(status).phrase
            head = [
                f"{self.protocol_version} {int(status)} {reason}",
                f"Server: {self.server_version}",
                f"Date: {email.utils.formatdate(usegmt=True)}",
                f"Content-Type: {content_type}",
                f"Content-Length: {len(body)}",
            ]
            if self.close_connection:
                head.append("Connection: close")
            elif self.request_version == "HTTP/1.0":
                head.append("Connection: keep-alive")
            self.log_request(status, len(body))
            self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)

        def _send_error_json(self, status: HTTPStatus, message: str) -> None:
            body = json.dumps(_error(None, INVALID_REQUEST, message)).encode()
            self._send(status, body)

        def _host_allowed(self) -> bool:
            host = (self.headers.get("Host") or "").strip().lower()
            if host.startswith("["):
                name = host[1 : host.find("]")] if "]" in host else host
            else:
                name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
            return name in LOOPBACK_HOSTS or name.startswith("127.")

        def _read_body(self) -> bytes | _Refusal:
            limit = server.max_body_bytes
            encoding = (self.headers.get("Transfer-Encoding") or "").strip().lower()
            if encoding == "chunked":
                return self._read_chunked(limit)
            if encoding:
                return _Refusal(
                    HTTPStatus.NOT_IMPLEMENTED, f"unsupported Transfer-Encoding {encoding!r}"
                )
            raw = self.headers.get("Content-Length")
            if raw is None:
                return _Refusal(
                    HTTPStatus.LENGTH_REQUIRED, "a JSON-RPC POST needs a Content-Length header"
                )
            try:
                length = int(raw)
            except ValueError:
                length = -1
            if length < 0:
                return _Refusal(HTTPStatus.BAD_REQUEST, f"invalid Content-Length {raw!r}")
            if length > limit:
                return _Refusal(
                    HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                    f"request body of {length} bytes is over the limit of {limit} bytes",
                    drain=length,
                )
            body = self.rfile.read(length)
            if len(body) < length:
                raise ConnectionResetError("client closed the connection mid-body")
            return body

        def _read_chunked(self, limit: int) -> bytes | _Refusal:
            parts: list[bytes] = []
            size = 0
            while True:
                line = self.rfile.readline(1024)
                try:
                    chunk = int(line.split(b";", 1)[0].strip() or b"x", 16)
                except ValueError:
                    return _Refusal(HTTPStatus.BAD_REQUEST, "malformed chunked body")
                if chunk == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(parts)
                size += chunk
                if size > limit:
                    self.close_connection = True
                    return _Refusal(
                        HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                        f"request body of more than {limit} bytes is over the limit of "
                        f"{limit} bytes",
                    )
                data = self.rfile.read(chunk)
                if len(data) < chunk:
                    raise ConnectionResetError("client closed the connection mid-body")
                parts.append(data)
                self.rfile.readline(1024)

        def _drain(self, length: int) -> None:
            """Read and drop a refused body, so the client reads our answer, not a reset."""
            if length > server.max_body_bytes * _DRAIN_FACTOR:
                self.close_connection = True
                return
            while length > 0:
                data = self.rfile.read(min(length, 1 << 20))
                if not data:
                    self.close_connection = True
                    return
                length -= len(data)

        def do_POST(self) -> None:
            if not self._host_allowed():
                self.close_connection = True
                self._send_error_json(
                    HTTPStatus.FORBIDDEN,
                    f"invalid host {self.headers.get('Host')!r}: this node answers loopback "
                    "names only",
                )
                return
            body = self._read_body()
            if isinstance(body, _Refusal):
                self._drain(body.drain)
                if body.drain == 0:
                    self.close_connection = True
                self._send_error_json(body.status, body.message)
                return
            try:
                response = server.answer(body)
            except InjectedFault as fault:
                answer_over_http(self, fault)
                return
            self._send(HTTPStatus.OK, json.dumps(response).encode())

        def do_GET(self) -> None:
            message = b"ogpu-sim JSON-RPC endpoint: POST JSON-RPC 2.0 requests here\n"
            self._send(HTTPStatus.METHOD_NOT_ALLOWED, message, "text/plain")

    return Handler
