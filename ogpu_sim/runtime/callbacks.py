"""The callback server: where every handler, in every runtime, POSTs its result.

A handler started by ``ogpu.service`` POSTs its output model's JSON to
``$CALLBACK_URL/{task_address}`` once a task completes (docs/protocol.md, the handler contract);
the body names neither the source nor the provider, so whoever dispatched the task registers
interest first (:meth:`CallbackServer.expect`) and then collects the body
(:meth:`CallbackServer.wait`).

One threaded HTTP server listens on 127.0.0.1; containers on a harness network reach the host
only through that network's gateway address, so :meth:`CallbackServer.url_for` adds a second
listener bound to the gateway (never 0.0.0.0) sharing the same state. Unknown task addresses and
malformed bodies are answered 4xx, logged and remembered in :attr:`CallbackServer.rejected`;
they never stop the server.

Each dispatch has a callback key, the path segment its handler is given in place of the task
address and calls back on: the address itself, unless another dispatch of the same address is
still waited on or still owes its callback (its wait gave up while the handler ran on; a
reverted chain publishes the same addresses again), in which case the new one gets
``{address}-{n}``. The late callback
of a dispatch whose wait gave up is refused (410), so it never answers a later dispatch, and a
later dispatch's callback is never refused for it.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

logger = logging.getLogger("ogpu_sim.runtime.callbacks")

MAX_BODY_BYTES = 16 * 1024 * 1024
"""Callback bodies larger than this are refused with 413 (a result this big is a bug)."""


@dataclass
class _Slot:
    """One expected callback: set once, read by the dispatcher."""

    key: str
    """The callback key: what the handler is dispatched under and calls back on."""
    event: threading.Event = field(default_factory=threading.Event)
    body: dict[str, Any] | None = None
    failure: str = ""
    """Why no callback will come, when the handler said (its logged error)."""


@dataclass(frozen=True)
class Rejection:
    """A callback request the server refused, kept for tests and diagnostics."""

    status: int
    path: str
    reason: str


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], owner: CallbackServer) -> None:
        self.owner = owner
        super().__init__(address, _RequestHandler)


class _RequestHandler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        owner = self.server.owner
        task = self.path.strip("/").split("?", 1)[0]
        if not task or "/" in task:
            self._answer(owner.reject(404, self.path, "path must be /{task_address}"))
            return
        length_text = self.headers.get("Content-Length")
        if length_text is None or not length_text.isdigit():
            self._answer(owner.reject(411, self.path, "Content-Length header required"))
            return
        length = int(length_text)
        if length > MAX_BODY_BYTES:
            self._answer(owner.reject(413, self.path, f"body of {length} bytes is too large"))
            return
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            self._answer(owner.reject(400, self.path, f"body is not JSON: {exc}"))
            return
        if not isinstance(body, dict):
            problem = f"body must be a JSON object, got {type(body).__name__}"
            self._answer(owner.reject(400, self.path, problem))
            return
        self._answer(owner.deliver(task, body, self.path))

    def do_GET(self) -> None:
        self._answer((200, "ogpu-sim callback server") if self.path == "/" else (405, "POST only"))

    def _answer(self, outcome: tuple[int, str]) -> None:
        # The bytes send_response, send_header and end_headers would write, in one write with
        # the body: two small writes wait on each other (Nagle) and wake the client twice.
        status, message = outcome
        key = "status" if status == 200 else "error"
        payload = json.dumps({key: message}).encode()
        self.log_request(status)
        phrase = self.responses[status][0] if status in self.responses else ""
        head = (
            f"{self.protocol_version} {status} {phrase}\r\n"
            f"Server: {self.version_string()}\r\n"
            f"Date: {self.date_time_string()}\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n"
        )
        self.wfile.write(head.encode("latin-1", "strict") + payload)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s %s", self.address_string(), format % args)


class CallbackServer:
    """Receives handler results for every runtime and hands each to its dispatcher.

    Use as ``callbacks = CallbackServer().start()`` (or a context manager); ``stop()`` is
    idempotent.

    Args:
        host: the address of the main listener; 127.0.0.1 unless you know better.
    """

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.url = ""
        self.rejected: list[Rejection] = []
        self._slots: dict[str, _Slot] = {}
        self._owed: set[str] = set()  # keys of given-up dispatches whose callback is to refuse
        self._lock = threading.Lock()
        self._servers: dict[str, tuple[_Server, threading.Thread]] = {}

    def start(self) -> CallbackServer:
        """Start listening on a free port of ``host``; returns self."""
        if not self._servers:
            port = self._listen(self.host, 0)
            self.url = f"http://{self.host}:{port}"
            logger.info("callback server listening on %s", self.url)
        return self

    def stop(self) -> None:
        """Stop every listener and wake every waiter (they get None)."""
        with self._lock:
            servers, self._servers = self._servers, {}
            slots, self._slots = self._slots, {}
        for server, thread in servers.values():
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)
        for slot in slots.values():
            slot.event.set()

    def __enter__(self) -> CallbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def url_for(self, network_gateway: str | None = None) -> str:
        """The callback URL a handler can reach.

        Args:
            network_gateway: the gateway address of the Docker network a container runs on; a
                listener is bound to it on first use (same port when free). None for handlers on
                this host.

        Returns:
            ``http://<address>:<port>`` without a trailing slash.
        """
        if not self._servers:
            raise RuntimeError("CallbackServer.url_for() before start()")
        if network_gateway is None or network_gateway == self.host:
            return self.url
        with self._lock:
            existing = self._servers.get(network_gateway)
        if existing is None:
            main_port = self._servers[self.host][0].server_address[1]
            try:
                port = self._listen(network_gateway, int(main_port))
            except OSError:
                port = self._listen(network_gateway, 0)
            logger.info("callback server also listening on %s:%d", network_gateway, port)
        else:
            port = int(existing[0].server_address[1])
        return f"http://{network_gateway}:{port}"

    def release(self, network_gateway: str) -> None:
        """Stop the listener bound to a network's gateway (before the network is removed)."""
        if network_gateway == self.host:
            return
        with self._lock:
            entry = self._servers.pop(network_gateway, None)
        if entry is not None:
            entry[0].shutdown()
            entry[0].server_close()
            entry[1].join(timeout=5)

    def expect(self, task_address: str) -> _Slot:
        """Register interest in a task's callback; call it before dispatching the task under
        the returned slot's ``key`` (the module docstring says which key).

        Each call is a dispatch of its own: another provider's dispatch of the same task, or
        an earlier one still waited on, keeps its own key and its own callback. Returns the
        slot, for :meth:`wait_on`.
        """
        base = _key(task_address)
        with self._lock:
            key, serial = base, 1
            while key in self._owed or key in self._slots:
                serial += 1
                key = f"{base}-{serial}"
            slot = _Slot(key)
            self._slots[key] = slot
        return slot

    def wait_on(
        self, task_address: str, slot: _Slot, timeout: float
    ) -> tuple[bool, dict[str, Any] | None]:
        """Wait up to ``timeout`` seconds on a slot from :meth:`expect`, keeping it if nothing
        came, so a later wait can take the callback; ``(True, body)`` once one came (body None
        when the handler failed), ``(False, None)`` otherwise."""
        if not slot.event.wait(max(timeout, 0.0)):
            return False, None
        self.forget(task_address, slot)
        return True, slot.body

    def forget(self, task_address: str, slot: _Slot, dispatched: bool = True) -> None:
        """Stop expecting a task's callback on ``slot``. A ``dispatched`` task's handler that
        has not called back yet still will, and that late callback is refused (410), not taken
        for a new dispatch of the same task address (a reverted chain publishes the same
        addresses again)."""
        with self._lock:
            if self._slots.get(slot.key) is slot:
                if dispatched:
                    self._owe_if_waiting(slot.key)
                else:
                    del self._slots[slot.key]

    def _owe_if_waiting(self, key: str) -> None:
        slot = self._slots.pop(key, None)
        if slot is not None and not slot.event.is_set():
            self._owed.add(key)

    def wait(self, task_address: str, timeout: float) -> dict[str, Any] | None:
        """Wait for an expected task's callback body.

        Args:
            task_address: as given to :meth:`expect` (case does not matter).
            timeout: seconds to wait at most.

        Returns:
            The JSON body the handler posted, or None on timeout or when the dispatcher learnt
            the handler failed (:meth:`abandon`). The task is forgotten either way; a late
            callback is then answered 404.
        """
        key = _key(task_address)
        with self._lock:
            slot = self._slots.get(key)
        if slot is None:
            raise KeyError(f"wait() for task {task_address} that was never expect()ed")
        slot.event.wait(timeout)
        self.forget(task_address, slot)
        return slot.body

    def abandon(self, task_address: str, reason: str = "") -> None:
        """Wake the waiter of a dispatch that will never call back (its handler raised, with
        the error ``reason``); its callback key, or its task's address for the dispatch under
        it."""
        with self._lock:
            self._owed.discard(_key(task_address))  # a given-up dispatch failed: nothing to refuse
            slot = self._slots.get(_key(task_address))
        if slot is not None and not slot.event.is_set():
            slot.failure = reason
            slot.event.set()

    def deliver(self, task_address: str, body: dict[str, Any], path: str = "") -> tuple[int, str]:
        """Record a task's callback body; what the HTTP listener does for each valid POST.

        Returns:
            (HTTP status, message): 200 when the task was expected, 404 when unknown, 409 when
            its callback already arrived.
        """
        key = _key(task_address)
        with self._lock:
            late = key in self._owed
            self._owed.discard(key)
            slot = self._slots.get(key)
            if not late and slot is not None and not slot.event.is_set():
                slot.body = body
                slot.event.set()
                return 200, "ok"
        if late:
            reason = "a late callback of a dispatch whose wait timed out"
            return self.reject(410, path or f"/{task_address}", reason)
        if slot is None:
            return self.reject(404, path or f"/{task_address}", "no task expects this callback")
        return self.reject(409, path or f"/{task_address}", "callback already received")

    def reject(self, status: int, path: str, reason: str) -> tuple[int, str]:
        """Log and remember a refused request; returns the (status, reason) to answer."""
        logger.warning("callback refused (%d) for %s: %s", status, path, reason)
        with self._lock:
            self.rejected.append(Rejection(status, path, reason))
        return status, reason

    def _listen(self, host: str, port: int) -> int:
        server = _Server((host, port), self)
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"ogpu-sim-callbacks-{host}",
            daemon=True,
        )
        thread.start()
        with self._lock:
            self._servers[host] = (server, thread)
        return int(server.server_address[1])


def _key(task_address: str) -> str:
    return task_address.strip().lower()
