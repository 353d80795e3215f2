"""Run a handler as its image's CMD would, but on a chosen 127.0.0.1 port.

``python <this file> <script.py> <port>`` or ``python <this file> -m <module> <port>`` (run by
path: ogpu-sim need not be importable in the handler's interpreter), from the folder that
stands for the image's working directory. ``ogpu.service.start()`` serves on 0.0.0.0:5555,
hard-coded; this sets ``ogpu.service.server.SERVICE_HOST/SERVICE_PORT`` first, then runs the
script or module as ``__main__`` exactly as ``python script.py`` / ``python -m module`` would
(same ``sys.path[0]``, same ``sys.argv[0]``), and starts the service itself if the handler only
exposes functions. ``CALLBACK_URL`` and friends come from the environment, as in a container.
A handler that raises while importing prints its traceback and exits with code 1.

Before it imports the SDK it ignores the known SDK-stack warnings the harness names in
``OGPU_SIM_QUIET_WARNINGS`` (the ones the harness ignores itself), so a strict
``PYTHONWARNINGS=error`` starts the handler as it does an inline one; every other warning,
the handler's own too, keeps the user's filters.
"""

from __future__ import annotations

import os
import runpy
import sys
import threading
import time
from pathlib import Path

# Run by path, this folder is sys.path[0]; its docker.py would shadow the docker package.
if sys.path and Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    del sys.path[0]


PARENT_ENV = "OGPU_SIM_PARENT_PID"
QUIET_WARNINGS_ENV = "OGPU_SIM_QUIET_WARNINGS"
"""JSON ``[[message, category, module regex], ...]``: the known warnings to ignore (the name is
``environ.QUIET_WARNINGS_ENV``, repeated: this file imports nothing of ogpu-sim)."""
USAGE = "usage: python launcher.py <script.py> <port> | python launcher.py -m <module> <port>"


def exit_with_parent(parent: int) -> None:
    """End this process when the harness that started it dies (a crashed test run)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="ogpu-sim-parent-watch", daemon=True).start()


def quiet_known_warnings(spec: str) -> None:
    """Ignore each warning ``spec`` names (a builtin category's name, the message and module
    regexes), in front of the user's filters, as ``ogpu_sim.sdk.warnings`` does in the
    harness."""
    import builtins
    import json
    import warnings

    for message, category, module in json.loads(spec):
        kind = getattr(builtins, category)
        warnings.filterwarnings("ignore", message=message, category=kind, module=module)


def main(argv: list[str]) -> int:
    """Serve the handler ``argv`` names on 127.0.0.1:<port>."""
    module = None
    if argv[:1] == ["-m"]:
        argv = argv[1:]
        module = argv[0] if argv else None
    if len(argv) != 2 or not argv[1].isdigit():
        print(USAGE, file=sys.stderr)
        return 2
    port = int(argv[1])
    if os.environ.get(PARENT_ENV, "").isdigit():
        exit_with_parent(int(os.environ[PARENT_ENV]))
    if os.environ.get(QUIET_WARNINGS_ENV):
        quiet_known_warnings(os.environ[QUIET_WARNINGS_ENV])
    import ogpu.service
    import ogpu.service.server as server

    server.SERVICE_HOST = "127.0.0.1"
    server.SERVICE_PORT = port
    started: list[bool] = []
    real_start = server.start

    def start() -> None:
        started.append(True)
        real_start()

    ogpu.service.start = server.start = start  # type: ignore[assignment]
    if module is not None:
        sys.path.insert(0, os.getcwd())
        sys.argv = [module]
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    else:
        script = Path(argv[0]).resolve()
        sys.path.insert(0, str(script.parent))
        sys.argv = [argv[0]]
        runpy.run_path(str(script), run_name="__main__")
    if not started:
        start()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
