"""Serve an in-process chain over HTTP JSON-RPC on 127.0.0.1, so other clients share its state.

The SDK's async event watchers (``AsyncWeb3`` over HTTP), ``RemoteChain`` and other processes
use the same chain as the in-process ``w3``: every request goes through the same handler and
the chain's one lock. The server speaks JSON-RPC 2.0 over HTTP/1.1 (keep-alive), answers batch
requests, and turns garbage into JSON-RPC errors instead of dropping the connection.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ..errors import ChainError
from .jsonrpc import INTERNAL_ERROR, INVALID_REQUEST, PARSE_ERROR, SERVER_ERROR, RpcError

log = logging.getLogger("ogpu_sim.chain")

MAX_BODY_BYTES = 32 * 1024 * 1024
"""Largest request body accepted (a batch of big deployments fits easily)."""


def _error(request_id: Any, code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}


class RpcServer:
    """A threaded HTTP JSON-RPC server for one chain, bound to 127.0.0.1 on a free port.

    Args:
        handler: either a callable ``(method, params) -> result`` that raises
            :class:`~ogpu_sim.chain.jsonrpc.RpcError` (and locks by itself), or a web3 provider
            whose ``make_request`` returns a JSON-RPC response dict.
        lock: taken around every ``make_request`` of a provider handler (callables lock
            themselves).
        host: interface to bind; only loopback addresses are accepted.
    """

    def __init__(
        self, handler: Any, lock: threading.RLock | None = None, host: str = "127.0.0.1"
    ) -> None:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ChainError(f"the RPC server binds loopback only, not {host!r}")
        self._handler = handler
        self._lock = lock
        self._host = host
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` of the running server."""
        if self._httpd is None:
            raise ChainError("the RPC server is not running")
        return f"http://{self._host}:{self.port}"

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
        httpd = ThreadingHTTPServer((self._host, 0), _make_handler(self))
        httpd.daemon_threads = True
        httpd.block_on_close = False  # idle keep-alive clients must not block stop()
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
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
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
        except ChainError as exc:
            return _error(request_id, SERVER_ERROR, str(exc))
        except Exception as exc:  # a bug must answer this request, not kill the server
            log.exception("JSON-RPC %s failed", method)
            return _error(
                request_id, INTERNAL_ERROR, f"internal error: {type(exc).__name__}: {exc}"
            )
        return {"jsonrpc": "2.0", "id": request_id, "result": result}


def _make_handler(server: RpcServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "ogpu-sim-rpc"
        timeout = 60  # idle keep-alive connections end eventually

        def setup(self) -> None:
            super().setup()
            # Headers and body go out in separate writes: without this, Nagle's algorithm
            # and delayed ACKs stall every keep-alive request by ~40 ms.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            server._track(self.connection, True)

        def finish(self) -> None:
            try:
                super().finish()
            finally:
                server._track(self.connection, False)

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("rpc %s", format % args)

        def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                length = -1
            if not 0 <= length <= MAX_BODY_BYTES:
                body = json.dumps(_error(None, INVALID_REQUEST, "invalid Content-Length"))
                self.close_connection = True
                self._send(400, body.encode())
                return
            response = server.answer(self.rfile.read(length))
            self._send(200, json.dumps(response).encode())

        def do_GET(self) -> None:
            message = b"ogpu-sim JSON-RPC endpoint: POST JSON-RPC 2.0 requests here\n"
            self._send(405, message, "text/plain")

    return Handler
