"""Run a handler module as its container would, but on a chosen 127.0.0.1 port.

``python <this file> <handler.py> <port>`` (run by path: ogpu-sim need not be importable in
the handler's interpreter). ``ogpu.service.start()`` serves on 0.0.0.0:5555, hard-coded; this
sets ``ogpu.service.server.SERVICE_HOST/SERVICE_PORT`` first, then runs the module as
``__main__`` (its own ``start()`` call serves), and starts the service itself if the module only
exposes functions. ``CALLBACK_URL`` and friends come from the environment, as in a container.
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


def exit_with_parent(parent: int) -> None:
    """End this process when the harness that started it dies (a crashed test run)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="ogpu-sim-parent-watch", daemon=True).start()


def main(argv: list[str]) -> int:
    """Serve the handler module ``argv[0]`` on 127.0.0.1:``argv[1]``."""
    if len(argv) != 2 or not argv[1].isdigit():
        print("usage: python launcher.py <handler.py> <port>", file=sys.stderr)
        return 2
    handler_file, port = Path(argv[0]).resolve(), int(argv[1])
    if os.environ.get(PARENT_ENV, "").isdigit():
        exit_with_parent(int(os.environ[PARENT_ENV]))
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
    sys.path.insert(0, str(handler_file.parent))
    sys.argv = [str(handler_file)]
    runpy.run_path(str(handler_file), run_name="__main__")
    if not started:
        start()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
