"""Why a handler did not start, said the same way by every runtime.

A handler that fails at import (the relative-import bug of a ``main.py`` run as
``python main.py``, a missing dependency, a bad environment variable) prints a Python
traceback, whether it runs inline, in a process or in a container. :func:`start_problem` reads
the last traceback of a log and gives the file and exception, so every runtime raises
``HandlerStartError`` with the same ``"main.py failed to start: ImportError: ..."``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from .errors import HandlerStartError

_TRACEBACK = "Traceback (most recent call last):"
_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line \d+, in (?P<scope>.+)$')
_EXCEPTION = re.compile(
    r"^(?P<type>[A-Za-z_][\w.]*(?:Error|Exception|Exit|Warning|Interrupt))(?::\s?(?P<message>.*))?$"
)
_LIBRARY = ("/site-packages/", "/dist-packages/", "/lib/python", "<frozen ", "launcher.py")

NAME_THE_HANDLER = 'name the handler in source.toml: [handler] module = "main.py"'
"""The fix every runtime suggests when it finds no handler module (``entry_problem``)."""


@dataclass(frozen=True)
class StartFailure:
    """The handler file that failed and the exception it raised (``ImportError: ...``)."""

    file: str
    exception: str

    def problem(self) -> str:
        """The ``HandlerStartError.problem`` every runtime uses."""
        return f"{self.file} failed to start: {self.exception}"


def start_failure(log: str, handler_file: str) -> StartFailure | None:
    """The failure the last traceback of a handler's log shows, if any.

    Args:
        log: the handler's output.
        handler_file: the handler file's name relative to the source (``main.py``); used when
            the failing frame is that file seen from another place (``/app/main.py``).

    Returns:
        None when the log holds no traceback.
    """
    lines = log.splitlines()
    starts = [i for i, line in enumerate(lines) if line.strip() == _TRACEBACK]
    if not starts:
        return None
    frames: list[str] = []
    exception = ""
    for line in lines[starts[-1] + 1 :]:
        frame = _FRAME.match(line)
        if frame:
            if frame.group("scope") == "<module>" and not any(
                part in frame.group("file") for part in _LIBRARY
            ):
                frames.append(frame.group("file"))
            continue
        found = _EXCEPTION.match(line.strip())
        if found and not line.startswith((" ", "\t")):
            message = found.group("message")
            exception = (
                f"{found.group('type').rsplit('.', 1)[-1]}: {message}"
                if message
                else found.group("type")
            )
            break
    if not exception:
        return None
    return StartFailure(_name(frames[0] if frames else "", handler_file), exception)


def start_error(
    source: str, environment: str, problem: str, log: str, output: str, handler_file: str
) -> HandlerStartError:
    """The error for a handler that did not start: the file and exception the last traceback
    of ``output`` names when there is one, else ``problem`` (why the runtime gave up).

    Args:
        source: the source's name.
        environment: the environment it was started for.
        problem: what the runtime saw (it exited, it never answered).
        log: the handler log the error carries.
        output: where to look for the traceback (the handler service's own log).
        handler_file: the handler's file, as :func:`handler_name` gives it.
    """
    failure = start_failure(output, handler_file)
    if failure is None:
        return HandlerStartError(source, environment, problem, log)
    return HandlerStartError(
        source,
        environment,
        failure.problem(),
        log,
        file=failure.file,
        exception=failure.exception,
    )


def _name(frame_file: str, handler_file: str) -> str:
    if not frame_file or PurePosixPath(frame_file).name == PurePosixPath(handler_file).name:
        return handler_file
    return frame_file


def handler_name(source_root: object, file: object) -> str:
    """A handler file's name as messages give it: relative to the source folder if inside."""
    from pathlib import Path

    path, root = Path(str(file)), Path(str(source_root))
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name
