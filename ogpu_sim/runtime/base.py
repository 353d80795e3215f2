"""One interface for running a source's handler, whatever runs it (inline, process, docker).

A :class:`Runtime` starts a :class:`Handler` for a (source folder, environment) pair. Every
handler answers the same contract as an ``ogpu.service`` container (docs/protocol.md, the
handler contract): ``dispatch`` is ``POST /run/{function}/{task_address}``, and the result comes
back through the shared :class:`~ogpu_sim.runtime.callbacks.CallbackServer`. ``run`` is dispatch
plus wait.
"""

from __future__ import annotations

import abc
import re
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import HandlerRaisedError, HandlerStillRunning, HandlerTimeoutError

if TYPE_CHECKING:
    from ..sources import SourceFolder
    from .callbacks import CallbackServer

LOG_LINES_KEPT = 5000

# ogpu.service logs "[<task>] Error in `<fn>`: ..." when a handler raises (no callback follows).
_HANDLER_FAILED = re.compile(r"\[(?P<task>[^\]\s]+)\] Error in `[^`]*`: (?P<error>.*)$")


@dataclass(frozen=True)
class Running:
    """A dispatched task whose callback has not come: its slot and the wait's own deadline.

    A live handle: copies of a provider's memory (simulator snapshots) share it.
    """

    slot: Any
    deadline: float
    timeout: float

    def __deepcopy__(self, memo: dict[int, Any]) -> Running:
        return self


class LogBuffer:
    """A handler's log lines, bounded, thread-safe; spots handler failures as they are logged.

    Args:
        on_failure: called with a task address (the dispatch's callback key) and the error when
            ``ogpu.service`` logs that the task's handler raised, so waiters learn at once that
            no callback will come, and why.
    """

    def __init__(self, on_failure: Any = None) -> None:
        self._lines: deque[str] = deque(maxlen=LOG_LINES_KEPT)
        self._lock = threading.Lock()
        self._partial = ""
        self._written = 0
        self._on_failure = on_failure

    def write(self, text: str) -> None:
        """Append text (may hold several lines, or end mid-line)."""
        with self._lock:
            text = self._partial + text
            *complete, self._partial = text.split("\n")
            self._lines.extend(line.rstrip("\r") for line in complete)
            self._written += len(complete)
        for line in complete:
            self._scan(line)

    def line(self, text: str) -> None:
        """Append one whole line."""
        self.write(text.rstrip("\n") + "\n")

    def tail(self, count: int = 200) -> str:
        """The last ``count`` lines (and any unfinished line) joined by newlines."""
        with self._lock:
            lines = list(self._lines)[-count:] if count > 0 else []
            if self._partial:
                lines.append(self._partial)
        return "\n".join(lines)

    def mark(self) -> int:
        """A position in the log: the number of whole lines written so far."""
        with self._lock:
            return self._written

    def since(self, mark: int, count: int = 200) -> str:
        """The lines written after ``mark`` (at most the last ``count``), joined by newlines."""
        with self._lock:
            new = min(self._written - mark, len(self._lines), max(count, 0))
            lines = list(self._lines)[len(self._lines) - new :] if new > 0 else []
            if self._partial:
                lines.append(self._partial)
        return "\n".join(lines)

    def _scan(self, line: str) -> None:
        if self._on_failure is None:
            return
        match = _HANDLER_FAILED.search(line)
        if match:
            self._on_failure(match.group("task"), match.group("error"))


class Handler(abc.ABC):
    """A started handler of one source in one environment.

    Attributes:
        environment: one of ``ENVIRONMENTS`` (cpu, nvidia, amd).
        emulated: True when a GPU environment runs without that GPU (OGPU_SIM_ENVIRONMENT set).
        url: the base URL of its ``ogpu.service`` HTTP API, or None (inline).
        runtime: the runtime that runs it (``inline``, ``process`` or ``docker``), which is
            what ``auto`` chose for it.
    """

    runtime: ClassVar[str] = ""
    environment: str
    emulated: bool
    url: str | None

    def __init__(self, callbacks: CallbackServer, source: SourceFolder, environment: str) -> None:
        self.callbacks = callbacks
        self.source = source
        self.environment = environment
        self.emulated = False
        self.url = None
        self.log = LogBuffer(on_failure=callbacks.abandon)

    @abc.abstractmethod
    def dispatch(
        self, function_name: str, task_address: str, data: dict[str, Any], key: str | None = None
    ) -> None:
        """Start a task: ``POST /run/{function_name}/{key}`` with ``data`` as the body.

        ``key`` is the callback key :meth:`CallbackServer.expect` gave the dispatch (the task's
        address unless another dispatch of it is outstanding); errors name ``task_address``.

        Raises:
            HandlerInputError: the input does not validate against the handler's input model.
            UnknownFunctionError: the handler exposes no such function (a HandlerInputError).
            HandlerDispatchError: the handler is not running.
        """

    def run(
        self,
        function_name: str,
        task_address: str,
        data: dict[str, Any],
        *,
        timeout: float = 30.0,
        until: float | None = None,
        running: Running | None = None,
    ) -> dict[str, Any] | None:
        """Dispatch a task and wait for its callback.

        Args:
            timeout: seconds from dispatch the handler has to call back.
            until: a ``time.monotonic()`` deadline of the caller's (``run_until_idle``'s
                timeout); reached first, the wait stops with :class:`HandlerStillRunning`.
            running: what that error carried: resume its wait instead of dispatching again.

        Returns:
            The callback's JSON body, or None when the handler gave nothing without an error
            (its ``expose(timeout=...)`` ran out, or it returned nothing).

        Raises:
            HandlerInputError: as :meth:`dispatch`.
            HandlerRaisedError: the handler raised (the error it logged).
            HandlerTimeoutError: no callback within ``timeout`` seconds.
            HandlerStillRunning: ``until`` came first.
        """
        if running is None:
            slot = self.callbacks.expect(task_address)
            try:
                self.dispatch(function_name, task_address, data, slot.key)
            except BaseException:
                self.callbacks.forget(task_address, slot, dispatched=False)
                raise
            running = Running(slot, time.monotonic() + timeout, timeout)
        cut = until is not None and until < running.deadline
        end = until if until is not None and cut else running.deadline
        came, body = self.callbacks.wait_on(task_address, running.slot, end - time.monotonic())
        if came:
            if body is None and running.slot.failure:
                raise HandlerRaisedError(function_name, task_address, running.slot.failure)
            return body
        if cut:
            raise HandlerStillRunning(function_name, task_address, running)
        self.callbacks.forget(task_address, running.slot)
        raise HandlerTimeoutError(function_name, task_address, running.timeout)

    def logs(self, tail: int = 200) -> str:
        """The last ``tail`` lines of the handler's log."""
        return self.log.tail(tail)

    @abc.abstractmethod
    def stop(self) -> None:
        """Stop the handler and free what it holds; idempotent."""


class Runtime(abc.ABC):
    """Starts handlers of source folders; ``close`` stops all of them (idempotent)."""

    name: str = ""

    def __init__(self, callbacks: CallbackServer) -> None:
        self.callbacks = callbacks
        self._handlers: list[Handler] = []
        self._lock = threading.Lock()

    @abc.abstractmethod
    def start(
        self,
        source: SourceFolder,
        environment: str = "cpu",
        *,
        source_address: str = "",
        provider_address: str = "",
    ) -> Handler:
        """Start the source's handler for an environment and wait until it serves.

        Raises:
            HandlerStartError: it failed to start; ``.log`` holds its log tail.
            ComposeError: the environment is not among the source's compose files.
        """

    def _track(self, handler: Handler) -> Handler:
        with self._lock:
            self._handlers.append(handler)
        return handler

    def close(self) -> None:
        """Stop every handler this runtime started; safe to call twice."""
        with self._lock:
            handlers, self._handlers = self._handlers, []
        errors: list[BaseException] = []
        for handler in handlers:
            try:
                handler.stop()
            except Exception as exc:  # keep stopping the others
                errors.append(exc)
        if errors:
            raise errors[0]

    def __enter__(self) -> Runtime:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
