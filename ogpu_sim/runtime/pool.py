"""Started handlers shared by providers: one per (source folder, environment, runtime).

The pool owns the callback server and one runtime of each kind it was asked for; providers that
serve the same source in the same environment share one running handler, as containers on one
provider machine would. ``close`` stops everything it started.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from ogpu_sim.runtime import create_runtime
from ogpu_sim.runtime.base import Handler, Runtime
from ogpu_sim.runtime.callbacks import CallbackServer
from ogpu_sim.sources import SourceFolder, load_source_folder


class HandlerPool:
    """Handlers started on demand and shared; the callback server starts with the first one.

    Args:
        default_runtime: the runtime used when a caller names none (``auto``, ``inline``, ...).
        **runtime_options: passed to :func:`create_runtime` for every runtime the pool makes,
            e.g. ``image_source="published"`` (which every runtime name accepts).
    """

    def __init__(self, default_runtime: str, **runtime_options: Any) -> None:
        self.default_runtime = default_runtime
        self.runtime_options = dict(runtime_options)
        self._callbacks: CallbackServer | None = None
        self._runtimes: dict[str, Runtime] = {}
        self._handlers: dict[tuple[str, str, str], Handler] = {}
        self._lock = threading.RLock()

    def handler(
        self,
        folder: str | Path | SourceFolder,
        environment: str,
        runtime: str | None = None,
        *,
        source: str = "",
        provider: str = "",
    ) -> Handler:
        """The started handler of ``folder`` for ``environment`` on ``runtime``.

        Raises:
            ConfigError: unknown runtime name, or a runtime option it cannot take (the
                published image on inline or process).
            ComposeError: the folder is not a valid source or lacks the environment.
            HandlerStartError: the handler did not start.
        """
        spec = folder if isinstance(folder, SourceFolder) else load_source_folder(folder)
        name = runtime or self.default_runtime
        key = (str(spec.path), environment, name)
        with self._lock:
            if key not in self._handlers:
                if self._callbacks is None:
                    self._callbacks = CallbackServer().start()
                if name not in self._runtimes:
                    self._runtimes[name] = create_runtime(
                        name, self._callbacks, **self.runtime_options
                    )
                self._handlers[key] = self._runtimes[name].start(
                    spec, environment, source_address=source, provider_address=provider
                )
            return self._handlers[key]

    def runtimes_used(self) -> dict[str, list[str]]:
        """The runtimes that run the started handlers, keyed ``source:environment``: what
        ``auto`` chose (``inline``, ``process``, ``docker``), sorted, for reports."""
        with self._lock:
            items = list(self._handlers.items())
        used: dict[str, set[str]] = {}
        for (_, environment, _), handler in items:
            used.setdefault(f"{handler.source.name}:{environment}", set()).add(handler.runtime)
        return {key: sorted(kinds) for key, kinds in sorted(used.items())}

    def runtime(self, name: str) -> Runtime | None:
        """The runtime ``name`` the pool created, or ``None`` before its first handler."""
        with self._lock:
            return self._runtimes.get(name)

    def logs(self, tail: int = 50) -> dict[str, str]:
        """The last ``tail`` log lines of each handler, keyed ``folder:environment:runtime``."""
        with self._lock:
            items = list(self._handlers.items())
        return {_key(*key): handler.logs(tail) for key, handler in items}

    def log_marks(self) -> dict[str, int]:
        """A position in every handler's log, for :meth:`logs_since`."""
        with self._lock:
            items = list(self._handlers.items())
        return {_key(*key): handler.log.mark() for key, handler in items}

    def logs_since(self, marks: dict[str, int], tail: int = 50) -> dict[str, str]:
        """Log lines written after ``marks`` (a handler started since then: all of its lines),
        at most ``tail`` per handler; handlers that wrote nothing are left out."""
        with self._lock:
            items = list(self._handlers.items())
        logs = {
            _key(*key): handler.log.since(marks.get(_key(*key), 0), tail) for key, handler in items
        }
        return {name: text for name, text in logs.items() if text}

    def close(self) -> None:
        """Stop every handler, runtime and the callback server; idempotent."""
        with self._lock:
            runtimes, self._runtimes, self._handlers = self._runtimes, {}, {}
            callbacks, self._callbacks = self._callbacks, None
        errors: list[BaseException] = []
        for runtime in runtimes.values():
            try:
                runtime.close()
            except Exception as exc:  # one failing runtime must not keep the others running
                errors.append(exc)
        if callbacks is not None:
            callbacks.stop()
        if errors:
            raise errors[0]


def _key(folder: str, environment: str, runtime: str) -> str:
    return f"{Path(folder).name}:{environment}:{runtime}"
