"""A chain on a private anvil process: the native alternative to the in-process EVM.

:class:`AnvilChain` starts anvil (``$OGPU_SIM_ANVIL``, the npm binary under
``node_modules/.bin``, or ``anvil`` on PATH) bound to 127.0.0.1 on a free port with the chain id
asked for, waits until it answers, and talks to it as a :class:`RemoteChain`. The process is
killed on :meth:`close`, on any start-up error, and at interpreter exit as a last resort.

Where anvil differs from a live network, :class:`AnvilChain` corrects it on every request it
makes or serves (``chain.w3``, and the URL :meth:`AnvilChain.serve` returns, a thin proxy on
127.0.0.1 that also applies ``chain.faults``):

* calls and gas estimates at ``latest`` run in the pending block, so after an idle period they
  see wall-clock time, not the stale head's (a live chain keeps producing blocks);
* a new log filter from the head's number (what the SDK's watchers send for
  ``from_block=None``) starts after the head instead of replaying the head block's logs;
* while mining is automatic a send returns once its transaction is mined (anvil mines in a
  task of its own and may answer first), so the receipt exists when the send returns and web3's
  100 ms receipt polling never sleeps; a transaction waiting behind a nonce gap returns at once.
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
from typing import IO, Any

from web3 import HTTPProvider
from web3.types import RPCEndpoint

from ..children import popen_tied
from ..errors import AnvilNotFoundError, AnvilStartError, ChainError, RpcError  # noqa: F401
from .base import DEFAULT_CHAIN_ID, check_chain_id
from .faults import SEND_RAW, SEND_RAW_SYNC, faulty_call, sent_hash
from .filters import LATEST_TAGS
from .jsonrpc import confirmation_timeout
from .remote import RemoteChain, loopback_session

RECEIPT_WAIT = 5.0
"""Longest a send waits for anvil to mine an executable transaction (it takes microseconds)."""

ANVIL_ENV = "OGPU_SIM_ANVIL"
"""Environment variable naming the anvil binary to run."""

_LISTENING = re.compile(r"Listening on (\S+):(\d+)")


def _checkout() -> Path | None:
    """The ogpu-sim source checkout this runs from (``make install`` puts anvil there), if any."""
    root = Path(__file__).resolve().parents[2]
    return root if (root / "pyproject.toml").is_file() and (root / "contracts").is_dir() else None


def find_anvil(binary: str | os.PathLike[str] | None = None) -> str:
    """Locate the anvil executable.

    Args:
        binary: an explicit path; otherwise ``$OGPU_SIM_ANVIL``, ``node_modules/.bin/anvil``
            (in the working directory, and in the ogpu-sim source checkout when running from
            one), then PATH.

    Raises:
        AnvilNotFoundError: listing every place searched and how to install anvil (``make
            install`` in a checkout, the npm package or foundryup from a wheel).
    """
    candidates: list[str] = []
    if binary is not None:
        candidates.append(str(binary))
    elif os.environ.get(ANVIL_ENV):
        candidates.append(os.environ[ANVIL_ENV])
    else:
        for root in dict.fromkeys(r for r in (Path.cwd(), _checkout()) if r is not None):
            candidates.append(str(root / "node_modules" / ".bin" / "anvil"))
        on_path = shutil.which("anvil")
        candidates.append(on_path or "anvil on PATH")
    for candidate in candidates:
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    raise AnvilNotFoundError(list(dict.fromkeys(candidates)), checkout=_checkout() is not None)


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
        AnvilNotFoundError: no binary (says how to get one).
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
        self.process: subprocess.Popen[str] = popen_tied(  # killed with this process
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
        self._proxy: Any = None
        try:
            url = self._wait_listening(startup_timeout)
            super().__init__(url)
        except BaseException:
            self._finalizer()
            raise
        self._upstream = HTTPProvider(
            url, request_kwargs={"timeout": 30.0}, session=loopback_session(url)
        )

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

    @property
    def node_url(self) -> str:
        """anvil's own URL (uncorrected, unfaulted)."""
        return self._url

    @property
    def rpc_url(self) -> str:
        """The served proxy's URL once :meth:`serve` ran, else anvil's own."""
        return str(self._proxy.url) if self._proxy is not None else self._url

    def serve(self) -> str:
        """Start (once) the 127.0.0.1 proxy in front of anvil; returns its URL."""
        with self.lock:
            if self._proxy is None:
                from .rpc_server import RpcServer

                self._proxy = RpcServer(self._serve_request).start()
            return str(self._proxy.url)

    def _serve_request(self, method: str, params: Any) -> Any:
        def call(drop: bool) -> Any:
            if drop and method == SEND_RAW_SYNC:  # never mined: it would time out
                raise confirmation_timeout(sent_hash(params))
            if drop:
                return sent_hash(params)
            sent_method, sent_params = self.rewrite(method, params)
            response = self._upstream.make_request(RPCEndpoint(sent_method), sent_params)
            response = self.unwrap(method, sent_method, dict(response))
            error = response.get("error")
            if error is not None:
                if isinstance(error, dict):
                    raise RpcError(
                        error.get("code", -32000), error.get("message", ""), error.get("data")
                    )
                raise RpcError(-32000, str(error))
            return response.get("result")

        return faulty_call(self.faults, method, params, call)

    def rewrite(self, method: str, params: Any) -> tuple[str, Any]:
        """Correct anvil's stale-head calls and head-replaying filters; send synchronously."""
        args = list(params) if isinstance(params, (list, tuple)) else [params]
        if method in ("eth_call", "eth_estimateGas") and self._mining == "auto" and args:
            if len(args) < 2 or args[1] in (None, "latest"):
                return method, [args[0], "pending", *args[2:]]
        elif method == "eth_newFilter" and args and isinstance(args[0], dict):
            start = args[0].get("fromBlock")
            if start in LATEST_TAGS or (
                isinstance(start, str) and start.startswith("0x") and int(start, 16) == self.head()
            ):
                query = {k: v for k, v in args[0].items() if k != "fromBlock"}
                return method, [query, *args[1:]]
        return method, params

    def unwrap(self, method: str, sent_method: str, response: Any) -> Any:
        """After a send (automatic mining), return once anvil has mined the transaction."""
        tx_hash = response.get("result")
        if method == SEND_RAW and isinstance(tx_hash, str):
            self.settle(tx_hash)
        return response

    def settle(self, tx_hash: str) -> None:
        """While mining is automatic, return once anvil mined ``tx_hash`` (unless it waits
        behind a nonce gap)."""
        if self._mining != "auto":
            return
        deadline = time.monotonic() + RECEIPT_WAIT
        while self._result("eth_getTransactionReceipt", [tx_hash]) is None:
            tx = self._result("eth_getTransactionByHash", [tx_hash])
            if tx is None or time.monotonic() > deadline:
                return
            mined = int(self._result("eth_getTransactionCount", [tx["from"], "latest"]), 16)
            if int(tx["nonce"], 16) != mined:
                return  # it waits behind a nonce gap: not mined until the gap fills
            time.sleep(0.0005)

    def close(self) -> None:
        """Stop the proxy and anvil; idempotent."""
        proxy, self._proxy = self._proxy, None
        try:
            if proxy is not None:
                proxy.stop()
            super().close()
        finally:
            self._finalizer()
