"""A chain on a private anvil process: the native alternative to the in-process EVM.

:class:`AnvilChain` starts anvil (``$OGPU_SIM_ANVIL``, the npm binary under
``node_modules/.bin``, or ``anvil`` on PATH) bound to 127.0.0.1 on a free port with the chain id
asked for, waits until it answers, and talks to it as a :class:`RemoteChain`. The process is
killed on :meth:`close`, on any start-up error, and at interpreter exit as a last resort.
"""

from __future__ import annotations

import collections
import os
import re
import shutil
import subprocess
import threading
import time
import weakref
from pathlib import Path
from typing import IO

from ..errors import AnvilNotFoundError, AnvilStartError, ChainError  # noqa: F401
from .base import DEFAULT_CHAIN_ID, check_chain_id
from .remote import RemoteChain

ANVIL_ENV = "OGPU_SIM_ANVIL"
"""Environment variable naming the anvil binary to run."""

_LISTENING = re.compile(r"Listening on (\S+):(\d+)")


def find_anvil(binary: str | os.PathLike[str] | None = None) -> str:
    """Locate the anvil executable.

    Args:
        binary: an explicit path; otherwise ``$OGPU_SIM_ANVIL``, ``node_modules/.bin/anvil``
            (in the working directory or the ogpu-sim source checkout), then PATH.

    Raises:
        AnvilNotFoundError: listing every place searched and how to install anvil.
    """
    candidates: list[str] = []
    if binary is not None:
        candidates.append(str(binary))
    elif os.environ.get(ANVIL_ENV):
        candidates.append(os.environ[ANVIL_ENV])
    else:
        for root in (Path.cwd(), Path(__file__).resolve().parents[2]):
            candidates.append(str(root / "node_modules" / ".bin" / "anvil"))
        on_path = shutil.which("anvil")
        candidates.append(on_path or "anvil on PATH")
    for candidate in candidates:
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    raise AnvilNotFoundError(list(dict.fromkeys(candidates)))


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
    if process.stdout is not None:
        process.stdout.close()


class AnvilChain(RemoteChain):
    """A private anvil node on 127.0.0.1, killed when the chain is closed.

    Args:
        chain_id: anvil's ``--chain-id`` (default: the OGPU testnet's).
        binary: path of the anvil executable (default: see :func:`find_anvil`).
        startup_timeout: seconds to wait for anvil to listen and answer.
        extra_args: more anvil command-line arguments.

    Raises:
        ConfigError: bad ``chain_id``.
        AnvilNotFoundError: no binary (names ``make install``).
        AnvilStartError: anvil exited or did not answer in time (with its last output).
    """

    def __init__(
        self,
        chain_id: int = DEFAULT_CHAIN_ID,
        binary: str | os.PathLike[str] | None = None,
        startup_timeout: float = 20.0,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        check_chain_id(chain_id)
        executable = find_anvil(binary)
        command = [executable, "--host", "127.0.0.1", "--port", "0", "--chain-id", str(chain_id)]
        command += list(extra_args)
        self.process: subprocess.Popen[str] = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self._finalizer = weakref.finalize(self, _stop, self.process)
        self._output: collections.deque[str] = collections.deque(maxlen=40)
        self._listening = threading.Event()
        self._address = ""
        assert self.process.stdout is not None
        threading.Thread(
            target=self._drain,
            args=(self.process.stdout,),
            name="ogpu-sim-anvil-output",
            daemon=True,
        ).start()
        try:
            url = self._wait_listening(startup_timeout)
            super().__init__(url)
        except BaseException:
            self._finalizer()
            raise

    def _drain(self, stream: IO[str]) -> None:
        """Read anvil's output forever (a full pipe would block it); remember the tail."""
        try:
            for line in stream:
                self._output.append(line.rstrip())
                match = _LISTENING.search(line)
                if match and not self._listening.is_set():
                    self._address = f"http://{match.group(1)}:{match.group(2)}"
                    self._listening.set()
        except (ValueError, OSError):  # the stream was closed by _stop
            pass

    def _wait_listening(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while not self._listening.wait(0.05):
            if self.process.poll() is not None:
                raise AnvilStartError(
                    f"anvil exited with code {self.process.returncode} before listening; "
                    f"output:\n" + "\n".join(self._output)
                )
            if time.monotonic() > deadline:
                raise AnvilStartError(
                    f"anvil did not listen within {timeout} s; output:\n" + "\n".join(self._output)
                )
        return self._address

    @property
    def pid(self) -> int:
        """Process id of the anvil we started."""
        return int(self.process.pid)

    def close(self) -> None:
        """Drop the HTTP session and stop anvil; idempotent."""
        try:
            super().close()
        finally:
            self._finalizer()
