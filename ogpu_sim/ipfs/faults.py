"""Fault injection and the request log of the mock IPFS server.

Faults are set at run time from Python, per route, and let source authors test their retry and
error handling against an IPFS service that misbehaves on demand::

    server.faults.fail_next(2, status=503, route="/file/create")
    server.faults.latency(0.5, route="/ipfs")
    server.faults.reset()

A route matches a request path when it equals it or is a leading run of its segments:
``"/ipfs"`` matches every gateway read, ``"/ipfs/Qm..."`` only that CID, ``None`` everything.
On each request every matching latency-only fault adds its delay, and the first matching fault
with an action (status, drop, truncate, wrong content) decides the answer; a fault with a
``count`` expires after applying that many times.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import overload

from ogpu_sim.errors import ConfigError
from ogpu_sim.ipfs.routes import API_ROUTES, GATEWAY_ROUTE, PIN_ROUTE

WRONG_CONTENT = b"ogpu-sim: injected wrong content\n"
"""What a ``wrong_content`` fault serves unless told otherwise."""


@dataclass
class Fault:
    """One injected misbehaviour. Build them with :class:`FaultInjector`'s methods.

    Attributes:
        route: path prefix (by segments) the fault applies to; ``None`` for every route.
        method: HTTP method it applies to (upper case); ``None`` for every method.
        latency: seconds to wait before answering.
        status: answer with this HTTP status and a JSON error instead of handling the request.
        drop: close the connection without answering.
        truncate: send the headers and only this many bytes of the body, then close.
        wrong_content: answer with these bytes instead of the real body.
        remaining: how many more requests it applies to; ``None`` until reset.
        hits: how many requests it has applied to.
    """

    route: str | None = None
    method: str | None = None
    latency: float = 0.0
    status: int | None = None
    drop: bool = False
    truncate: int | None = None
    wrong_content: bytes | None = None
    remaining: int | None = None
    hits: int = 0

    @property
    def kind(self) -> str:
        """The fault's action in one word: status, drop, truncate, wrong_content or latency."""
        if self.status is not None:
            return "status"
        if self.drop:
            return "drop"
        if self.truncate is not None:
            return "truncate"
        if self.wrong_content is not None:
            return "wrong_content"
        return "latency"

    def matches(self, method: str, path: str) -> bool:
        """Whether the fault applies to a request for ``path`` with ``method``."""
        if self.method is not None and self.method != method:
            return False
        if self.route is None:
            return True
        prefix = self.route.rstrip("/")
        return path == self.route or path == prefix or path.startswith(prefix + "/")


@dataclass(frozen=True)
class FaultPlan:
    """What the server must do to one request: wait ``latency`` s, then apply ``action``."""

    latency: float = 0.0
    action: Fault | None = None


def _whole(value: object, least: int, most: int | None = None) -> bool:
    """Whether ``value`` is an int (not a bool) from ``least`` to ``most``."""
    if isinstance(value, bool) or not isinstance(value, int):
        return False
    return least <= value and (most is None or value <= most)


KNOWN_ROUTES = (PIN_ROUTE, GATEWAY_ROUTE, *API_ROUTES)
"""The routes the mock IPFS answers; a fault's route is one of them, a leading part of one
(``/api/v0``) or a path under the gateway (``/ipfs/<cid>``)."""


def check_route(route: object) -> None:
    """Refuse a fault route that no request could match.

    Raises:
        ConfigError: ``route`` is not a path, or is no known route, leading part or gateway path.
    """
    if route is None:
        return
    if not isinstance(route, str) or not route.startswith("/"):
        raise ConfigError("route", f"must be a path starting with '/' or None, not {route!r}")
    prefix = route.rstrip("/")
    known = (
        not prefix
        or prefix.startswith(GATEWAY_ROUTE + "/")
        or any(r == prefix or r.startswith(prefix + "/") for r in KNOWN_ROUTES)
    )
    if not known:
        raise ConfigError(
            "route",
            f"no route {route!r} on the mock IPFS; known: {', '.join(KNOWN_ROUTES)}, a leading "
            f"part of one (/api/v0) or {GATEWAY_ROUTE}/<cid>",
        )


class FaultInjector:
    """The run-time set of faults of one server; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(
        self,
        *,
        route: str | None = None,
        method: str | None = None,
        status: int | None = None,
        latency: float = 0.0,
        drop: bool = False,
        truncate: int | None = None,
        wrong_content: bytes | None = None,
        count: int | None = None,
    ) -> Fault:
        """Add a fault; give at most one action and, optionally, a latency.

        Args:
            route: path prefix it applies to (``"/file/create"``, ``"/ipfs"``, ``"/api/v0/cat"``);
                ``None`` for all.
            method: HTTP method it applies to; ``None`` for all.
            status: answer with this status (200-599) and a JSON error body.
            latency: seconds to wait before answering (longer than a client's timeout makes it
                time out).
            drop: close the connection without an answer.
            truncate: send the headers and only this many body bytes, then close.
            wrong_content: serve these bytes instead of the real body (headers keep the CID).
            count: apply to the next ``count`` matching requests only; ``None`` until reset.

        Returns:
            The fault, whose ``hits`` and ``remaining`` the server updates.

        Raises:
            ConfigError: an argument is out of range, or no or several actions are given.
        """
        if status is not None and not _whole(status, 200, 599):
            raise ConfigError("status", f"must be an HTTP status 200-599, not {status!r}")
        number = isinstance(latency, int | float) and not isinstance(latency, bool)
        if not number or not math.isfinite(latency) or latency < 0:
            raise ConfigError("latency", f"must be a finite number >= 0 seconds, not {latency!r}")
        if truncate is not None and not _whole(truncate, 0):
            raise ConfigError("truncate", f"must be a whole number >= 0 bytes, not {truncate!r}")
        if count is not None and not _whole(count, 1):
            raise ConfigError("count", f"must be a whole number >= 1 or None, not {count!r}")
        check_route(route)
        if method is not None and not isinstance(method, str):
            raise ConfigError("method", f"must be an HTTP method name or None, not {method!r}")
        if wrong_content is not None and not isinstance(wrong_content, bytes | bytearray):
            raise ConfigError("wrong_content", f"must be bytes, not {wrong_content!r}")
        actions = [status is not None, bool(drop), truncate is not None, wrong_content is not None]
        if sum(actions) > 1:
            raise ConfigError("fault", "give at most one of status, drop, truncate, wrong_content")
        if sum(actions) == 0 and latency <= 0:
            raise ConfigError("fault", "give an action (status, drop, ...) or a latency > 0")
        fault = Fault(
            route=route,
            method=method.upper() if method else None,
            latency=float(latency),
            status=status,
            drop=drop,
            truncate=truncate,
            wrong_content=bytes(wrong_content) if wrong_content is not None else None,
            remaining=count,
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def latency(
        self,
        seconds: float,
        *,
        route: str | None = None,
        method: str | None = None,
        count: int | None = None,
    ) -> Fault:
        """Delay matching requests by ``seconds`` (stacks with other faults)."""
        return self.add(route=route, method=method, latency=seconds, count=count)

    def status(
        self,
        code: int,
        *,
        route: str | None = None,
        method: str | None = None,
        count: int | None = None,
    ) -> Fault:
        """Answer matching requests with HTTP ``code`` (e.g. 500, 503, 429)."""
        return self.add(route=route, method=method, status=code, count=count)

    def fail_next(
        self, n: int, *, status: int = 500, route: str | None = None, method: str | None = None
    ) -> Fault:
        """Answer the next ``n`` matching requests with HTTP ``status``, then behave again.

        Raises:
            ConfigError: ``status`` is not an error status (400-599), or as :meth:`add`.
        """
        if not _whole(status, 400, 599):
            raise ConfigError(
                "status", f"fail_next needs an HTTP error status 400-599, not {status!r}"
            )
        return self.add(route=route, method=method, status=status, count=n)

    def drop(
        self, *, route: str | None = None, method: str | None = None, count: int | None = None
    ) -> Fault:
        """Close matching connections without answering."""
        return self.add(route=route, method=method, drop=True, count=count)

    def truncate(
        self,
        keep: int = 0,
        *,
        route: str | None = None,
        method: str | None = None,
        count: int | None = None,
    ) -> Fault:
        """Send the full Content-Length but only ``keep`` body bytes, then close."""
        return self.add(route=route, method=method, truncate=keep, count=count)

    def wrong_content(
        self,
        data: bytes = WRONG_CONTENT,
        *,
        route: str | None = "/ipfs",
        method: str | None = None,
        count: int | None = None,
    ) -> Fault:
        """Serve ``data`` instead of the stored content (gateway reads by default)."""
        return self.add(route=route, method=method, wrong_content=data, count=count)

    def reset(self) -> None:
        """Remove every fault."""
        with self._lock:
            self._faults.clear()

    @property
    def active(self) -> list[Fault]:
        """The faults still in force, in the order they were added."""
        with self._lock:
            return list(self._faults)

    @property
    def armed(self) -> bool:
        """Whether any fault is in force (a request may then be shaped by one)."""
        return bool(self._faults)  # a single read of the list: no lock needed

    def plan(self, method: str, path: str) -> FaultPlan:
        """Decide, and count, what the faults do to one request (called by the server)."""
        latency, action = 0.0, None
        with self._lock:
            for fault in self._faults:
                if not fault.matches(method, path):
                    continue
                if fault.kind == "latency":
                    latency += fault.latency
                elif action is None:
                    action = fault
                    latency += fault.latency
                else:
                    continue
                fault.hits += 1
                if fault.remaining is not None:
                    fault.remaining -= 1
            self._faults = [f for f in self._faults if f.remaining is None or f.remaining > 0]
        return FaultPlan(latency=latency, action=action)


@dataclass(frozen=True)
class RequestRecord:
    """One request the server answered (or dropped).

    Attributes:
        method: HTTP method, e.g. ``"POST"``.
        route: the route it matched: ``"/file/create"``, ``"/ipfs"``, ``"/api/v0/add"``, ...;
            the raw path for unknown routes, ``""`` when the request line was unreadable.
        status: HTTP status sent; 0 when the connection was dropped without an answer.
        bytes: request body bytes received.
        cid: the CID stored or read, when there was one.
        time: when the request arrived (``time.time()``).
        path: the full request target, query included.
        bytes_sent: response body bytes actually written.
        fault: the kind of injected fault that shaped the answer, if any.
    """

    method: str
    route: str
    status: int
    bytes: int
    cid: str | None
    time: float
    path: str = ""
    bytes_sent: int = 0
    fault: str | None = None


class RequestLog(Sequence[RequestRecord]):
    """A thread-safe, list-like log of the requests a server answered, oldest first.

    Args:
        maxlen: the most records kept; older ones are dropped first.
    """

    def __init__(self, maxlen: int = 100_000) -> None:
        self._lock = threading.Lock()
        self._records: deque[RequestRecord] = deque(maxlen=maxlen)

    def append(self, record: RequestRecord) -> None:
        """Add a record (called by the server)."""
        with self._lock:
            self._records.append(record)

    def clear(self) -> None:
        """Forget every record."""
        with self._lock:
            self._records.clear()

    def where(
        self, *, method: str | None = None, route: str | None = None, status: int | None = None
    ) -> list[RequestRecord]:
        """Return the records matching every given criterion."""
        return [
            r
            for r in self
            if (method is None or r.method == method)
            and (route is None or r.route == route)
            and (status is None or r.status == status)
        ]

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

    @overload
    def __getitem__(self, index: int) -> RequestRecord: ...
    @overload
    def __getitem__(self, index: slice) -> list[RequestRecord]: ...
    def __getitem__(self, index: int | slice) -> RequestRecord | list[RequestRecord]:
        with self._lock:
            snapshot = list(self._records)
        return snapshot[index]

    def __iter__(self) -> Iterator[RequestRecord]:
        with self._lock:
            return iter(list(self._records))

    def __repr__(self) -> str:
        return f"RequestLog({len(self)} requests)"
