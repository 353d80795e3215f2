"""The inline runtime: import a source's handler module in this process and call it directly.

The module is the one the handler service's Dockerfile ``CMD`` runs (``python main.py``,
``python -m pkg.main``; see :mod:`ogpu_sim.sources.dockerfile`), imported the way that command
would import it, so a relative import in a script fails here as it does in the container.

The fastest runtime, for property tests and quick unit tests. It keeps the service contract:
input is validated with the handler's pydantic model (a :class:`HandlerInputError` carries the
same error list FastAPI would answer with 422), ``expose(timeout=...)`` and the init hook are
honoured, and the result goes through the same callback path (an HTTP POST to the
:class:`CallbackServer`).

The SDK keeps one global registry of exposed functions, and ``expose`` refuses a name already
registered; each import therefore runs against an emptied registry, takes what the module
registered, and puts the previous registry back, so two sources may both expose ``predict``,
and a source may be imported twice. ``ogpu.service.start`` is a no-op during the import.

The handler service's ``environment:`` (substituted as Compose would, ``CALLBACK_URL`` and
``PORT`` included) and, when a GPU is emulated, ``OGPU_SIM_ENVIRONMENT`` are set in
``os.environ`` while the module imports and its init hook runs, then put back.

Limits: handler code shares this process (its globals, ``sys.modules`` for helper modules it
imports, the working directory); variables read while a task runs see this process's
environment. Use the process runtime when that matters.
"""

from __future__ import annotations

import contextvars
import importlib.util
import itertools
import json
import logging
import os
import sys
import threading
import traceback
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import requests
import urllib3
from pydantic import BaseModel, ValidationError

from ..errors import UnknownFunctionError
from ..sources import SERVICE_PORT, HandlerEntry, SourceFolder
from .base import Handler, LogBuffer
from .base import Runtime as _Runtime
from .callbacks import CallbackServer
from .environ import provider_variables, service_environment
from .errors import HandlerDispatchError, HandlerInputError, HandlerStartError
from .failures import NAME_THE_HANDLER, StartFailure, handler_name
from .gpu import host_has_gpu

_IMPORT_LOCK = threading.RLock()
_module_ids = itertools.count(1)
_current_log: contextvars.ContextVar[LogBuffer | None] = contextvars.ContextVar(
    "ogpu_sim_inline_log", default=None
)


class _RouteToHandlerLog(logging.Handler):
    """Copies ``ogpu.service`` log records to the log of the inline handler running them."""

    def emit(self, record: logging.LogRecord) -> None:
        buffer = _current_log.get()
        if buffer is not None:
            buffer.line(f"{logging.getLevelName(record.levelno)} {record.getMessage()}")


_ROUTER = _RouteToHandlerLog()


@dataclass(frozen=True)
class ExposedFunction:
    """One ``@expose()``d function as registered (the timeout wrapper when a timeout is set)."""

    name: str
    function: Callable[[BaseModel], BaseModel | None]
    input_model: type[BaseModel]
    output_model: type[BaseModel]


@dataclass(frozen=True)
class HandlerModule:
    """What importing a handler module registered with ``ogpu.service``."""

    module: ModuleType
    functions: dict[str, ExposedFunction]
    init_hook: Callable[[], None] | None


def import_handler_module(
    entry: HandlerEntry | Path, environ: Mapping[str, str] | None = None
) -> HandlerModule:
    """Import a handler module with an isolated ``ogpu.service`` registry.

    A script (``python main.py``) is imported as a top-level module of its folder, so a
    relative import fails exactly as it does under ``python main.py``; a module
    (``python -m pkg.main``) is imported by its name from the entry's folder.

    Args:
        entry: what the Dockerfile's CMD runs (a bare path means a script).
        environ: environment variables set while the module imports (the compose file's).

    Raises:
        Exception: whatever the module raises on import (the caller wraps it).
    """
    import ogpu.service as service
    import ogpu.service.handler as registry
    import ogpu.service.server as server

    if isinstance(entry, Path):
        entry = HandlerEntry("script", str(entry), entry.parent, "a path")
    handler_file = entry.file
    folder = str(handler_file.parent if entry.kind == "script" else entry.cwd)
    name = (
        f"ogpu_sim_handler_{handler_file.parent.name.replace('-', '_')}_{next(_module_ids)}"
        if entry.kind == "script"
        else entry.target
    )
    with _IMPORT_LOCK, environment(environ or {}):
        saved_handlers = list(registry._exposed_handlers)
        saved_init = registry._init_handler
        saved_start = (service.start, server.start)
        registry._exposed_handlers.clear()
        registry._init_handler = None
        service.start = server.start = _no_start  # type: ignore[assignment]
        sys.path.insert(0, folder)
        try:
            if entry.kind == "script":
                spec = importlib.util.spec_from_file_location(name, handler_file)
            else:
                spec = importlib.util.find_spec(name)
            if spec is None or spec.loader is None:
                raise ImportError(f"cannot import {entry.target} from {folder}")
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module  # pydantic resolves postponed annotations through it
            try:
                spec.loader.exec_module(module)
            except BaseException:
                sys.modules.pop(name, None)
                raise
            functions = {
                fn.__name__: ExposedFunction(fn.__name__, fn, in_model, out_model)
                for fn, in_model, out_model in registry._exposed_handlers
            }
            init_hook = registry._init_handler
        finally:
            registry._exposed_handlers[:] = saved_handlers
            registry._init_handler = saved_init
            service.start, server.start = saved_start  # type: ignore[assignment]
            if folder in sys.path:
                sys.path.remove(folder)
    return HandlerModule(module, functions, init_hook)


@contextmanager
def environment(variables: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the duration of a block, then put the old values back."""
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def fastapi_detail(error: ValidationError) -> list[dict[str, Any]]:
    """A pydantic error as FastAPI answers a request body's 422 (``loc`` starts with "body")."""
    detail = []
    for item in error.errors(include_url=False):
        entry = dict(item)
        entry["loc"] = ["body", *item["loc"]]
        detail.append(entry)
    return json.loads(json.dumps(detail, default=str))


def _no_start() -> None:
    """Stands in for ``ogpu.service.start`` while a handler module is imported inline."""


@contextmanager
def _logging_to(buffer: LogBuffer) -> Iterator[None]:
    token = _current_log.set(buffer)
    try:
        yield
    finally:
        _current_log.reset(token)


class _CallbackPoster:
    """Posts a callback as the SDK's ``requests.post(url, json=result)`` does, on one kept
    urllib3 pool: the same request (headers, JSON, timeouts, no retries, no redirects) and the
    same error texts, without the dozen layers ``requests`` prepares a request through (most of
    an inline callback's CPU). Blind to proxy and ``.netrc`` environment variables: the
    callback server is this process's own, and a dead proxy must not lose callbacks."""

    def __init__(self) -> None:
        self._pool = urllib3.PoolManager(maxsize=64, retries=urllib3.Retry(0, read=False))
        self._headers = dict(requests.utils.default_headers())

    def post(self, url: str, payload: Any, timeout: float) -> tuple[int, str]:
        """POST ``payload`` as JSON; returns the answer's status and text.

        Raises:
            requests.exceptions.InvalidJSONError: the payload has NaN or infinite numbers.
            TypeError: the payload is not JSON-serializable.
            urllib3.exceptions.HTTPError: no answer (the texts ``requests`` would give).
        """
        try:
            body = json.dumps(payload, allow_nan=False).encode("utf-8")
        except ValueError as exc:
            raise requests.exceptions.InvalidJSONError(exc) from exc
        headers = {
            **self._headers,
            "Content-Length": str(len(body)),
            "Content-Type": "application/json",
        }
        response = self._pool.request(
            "POST", url, body=body, headers=headers, timeout=timeout, redirect=False
        )
        return response.status, response.data.decode("utf-8", "replace")

    def close(self) -> None:
        """Close the kept connections (a callback still on its way opens a fresh one)."""
        self._pool.clear()


class InlineHandler(Handler):
    """A handler module imported in this process."""

    runtime = "inline"

    def __init__(
        self,
        callbacks: CallbackServer,
        source: SourceFolder,
        environment: str,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(callbacks, source, environment)
        self._environ = dict(environ or {})
        self._module: HandlerModule | None = None
        self._threads: set[threading.Thread] = set()
        self._lock = threading.Lock()
        self._poster = _CallbackPoster()

    def load(self) -> None:
        """Import the module and run its init hook, as the service's start-up would."""
        service = self.source.service(self.environment)
        if service.entry is None:
            raise HandlerStartError(
                self.source.name,
                self.environment,
                f"nothing to run inline: {service.entry_problem}; {NAME_THE_HANDLER}",
            )
        entry = service.entry
        name = handler_name(self.source.path, entry.file)
        logger = logging.getLogger("ogpu.service")
        if _ROUTER not in logger.handlers:
            logger.addHandler(_ROUTER)
        if service.gpu is not None and not host_has_gpu(service.gpu):
            self.emulated = True
            self._environ["OGPU_SIM_ENVIRONMENT"] = self.environment
            self.log.line(
                f"INFO emulating the {self.environment} environment: no {service.gpu} GPU on "
                "this machine"
            )
        with _logging_to(self.log):
            try:
                module = import_handler_module(entry, self._environ)
            except Exception as exc:
                self.log.write(traceback.format_exc())
                failure = StartFailure(name, f"{type(exc).__name__}: {exc}")
                raise HandlerStartError(
                    self.source.name,
                    self.environment,
                    failure.problem(),
                    self.log.tail(),
                    file=failure.file,
                    exception=failure.exception,
                ) from exc
            if module.init_hook is not None:
                hook = module.init_hook.__name__
                self.log.line(f"INFO Executing init function: `{hook}`")
                try:
                    with _IMPORT_LOCK, environment(self._environ):
                        module.init_hook()
                except Exception as exc:
                    self.log.line(f"ERROR Init function `{hook}` failed: {exc}")
                    self.log.write(traceback.format_exc())
                    sys.modules.pop(module.module.__name__, None)
                    raise HandlerStartError(
                        self.source.name,
                        self.environment,
                        f"init hook `{hook}` raised {exc!r}",
                        self.log.tail(),
                        file=name,
                        exception=f"{type(exc).__name__}: {exc}",
                    ) from exc
                self.log.line(f"INFO Init function `{hook}` completed successfully")
        self._module = module
        for function in module.functions:
            self.log.line(f"INFO Registered function `{function}`")

    def dispatch(
        self, function_name: str, task_address: str, data: dict[str, Any], key: str | None = None
    ) -> None:
        module = self._module
        if module is None:
            raise HandlerDispatchError(function_name, task_address, "handler is stopped")
        exposed = module.functions.get(function_name)
        if exposed is None:
            raise UnknownFunctionError(function_name, task_address, list(module.functions))
        try:
            payload = json.loads(json.dumps(data))  # what the HTTP body would have carried
            model = exposed.input_model.model_validate(payload, from_attributes=True)
        except ValidationError as exc:
            raise HandlerInputError(function_name, task_address, fastapi_detail(exc)) from exc
        except (TypeError, ValueError) as exc:
            raise HandlerDispatchError(
                function_name, task_address, f"input is not JSON: {exc}"
            ) from exc
        thread = threading.Thread(
            target=self._execute,
            args=(exposed, model, key or task_address),
            name=f"ogpu-sim-inline-{function_name}-{task_address[:10]}",
            daemon=True,
        )
        with self._lock:
            self._threads = {t for t in self._threads if t.is_alive()}
            self._threads.add(thread)
        thread.start()

    def _execute(self, exposed: ExposedFunction, model: BaseModel, task: str) -> None:
        """The service's background runner: call, then POST the output model's JSON."""
        with _logging_to(self.log):
            try:
                result = exposed.function(model)
                if not result:
                    self.log.line(f"INFO [{task}] `{exposed.name}` returned nothing: no callback")
                    self.callbacks.abandon(task)
                    return
                self.log.line(f"SUCCESS [{task}] Function: `{exposed.name}` completed successfully")
                url = f"{self.callbacks.url}/{task}"
                status, text = self._poster.post(url, result.model_dump(), timeout=30)
                if status != 200:
                    self.log.line(f"ERROR Failed to send callback: {status} {text}")
                self.log.line(f"INFO Callback sent to {url}")
            except Exception as exc:
                # As the SDK's runner logs it (a bad return value or a failed POST included);
                # LogBuffer spots the line and wakes the waiter with None.
                self.log.line(f"FAIL [{task}] Error in `{exposed.name}`: {exc}")
                self.log.write(traceback.format_exc())

    def stop(self) -> None:
        module, self._module = self._module, None
        self._poster.close()
        if module is not None:
            sys.modules.pop(module.module.__name__, None)
            self.log.line("INFO stopped")


class InlineRuntime(_Runtime):
    """Runs handlers by importing the module their Dockerfile's CMD runs into this process."""

    name = "inline"

    def start(
        self,
        source: SourceFolder,
        environment: str = "cpu",
        *,
        source_address: str = "",
        provider_address: str = "",
    ) -> Handler:
        service = source.service(environment)  # ComposeError when the source lacks it
        variables = provider_variables(
            port=SERVICE_PORT,
            callback_url=self.callbacks.url_for(None),
            source_address=source_address,
            provider_address=provider_address,
        )
        handler = InlineHandler(
            self.callbacks, source, environment, service_environment(service, variables)
        )
        handler.load()
        return self._track(handler)
