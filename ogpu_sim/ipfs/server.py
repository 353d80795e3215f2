"""The mock IPFS service the unmodified ``ogpu`` SDK talks to.

One threaded HTTP server on a free loopback port serves:

* ``POST /file/create``: the OGPU pinning endpoint ``ogpu.ipfs.publish_to_ipfs`` posts to
  (multipart, one part named ``file``); answers ``200 {"link": "<url>/ipfs/<CIDv0>"}``.
* ``GET``/``HEAD /ipfs/<cid>``: a gateway (``fetch_ipfs_json`` and friends read links here).
* ``POST /api/v0/add``, ``/api/v0/cat``, ``/api/v0/pin/ls``, ``/api/v0/version``: the kubo RPC
  subset other IPFS clients need.

Files of any size get kubo's CIDs (balanced DAG, 256 KiB chunks); the server stores whole files
and serves them by their root CIDv0 or CIDv1, not by the CIDs of inner DAG blocks.

Run-time misbehaviour comes from :attr:`IpfsServer.faults`; every answered request lands in
:attr:`IpfsServer.requests`. Example::

    with IpfsServer() as ipfs:
        monkeypatch.setattr("ogpu.ipfs.publish._IPFS_PUBLISH_URL", ipfs.publish_url)
        ipfs.faults.fail_next(1, status=503, route="/file/create")
        link = ogpu.ipfs.publish_to_ipfs({"a": 1}, backoff=0.01)
"""

from __future__ import annotations

import ipaddress
import threading
from types import TracebackType
from typing import Any

from ogpu_sim.errors import ConfigError
from ogpu_sim.ipfs import inprocess
from ogpu_sim.ipfs.cid import normalize_cid
from ogpu_sim.ipfs.content import content_bytes, loads_bounded
from ogpu_sim.ipfs.errors import InvalidCidError, IpfsServerError
from ogpu_sim.ipfs.faults import FaultInjector, RequestLog
from ogpu_sim.ipfs.http import HttpServer, HttpServer6
from ogpu_sim.ipfs.routes import PIN_ROUTE
from ogpu_sim.ipfs.store import DEFAULT_MEMORY_STORE_BYTES, MemoryStore, Store

DEFAULT_MAX_UPLOAD = 32 * 2**20


def _loopback(host: str) -> str:
    """Return ``host`` if it is a loopback address; ogpu-sim never listens beyond this machine."""
    if host == "localhost":
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ConfigError("host", f"{host!r} is not an IP address") from None
    if not address.is_loopback:
        raise ConfigError("host", f"{host} is not a loopback address; use 127.0.0.1")
    return host


def cid_from_link(link_or_cid: str) -> str:
    """Extract the CID from a gateway link, an ``/ipfs/<cid>`` path or a bare CID.

    Raises:
        InvalidCidError: no valid CID can be found in the text.
    """
    text = link_or_cid.strip()
    if "/ipfs/" in text:
        text = text.rsplit("/ipfs/", 1)[1]
    text = text.split("?", 1)[0].split("#", 1)[0].split("/", 1)[0]
    normalize_cid(text)  # validates, raising InvalidCidError with the reason
    return text


class IpfsServer:
    """A local, fault-injectable IPFS pinning service, gateway and kubo RPC subset.

    Args:
        store: where content lives; a fresh :class:`MemoryStore` when ``None``.
        host: loopback address to bind.
        port: port to bind; 0 picks a free one.
        max_upload_bytes: largest request body accepted; larger uploads get 413.
        max_store_bytes: the most bytes the fresh :class:`MemoryStore` holds when no ``store``
            is given; ``None`` for no limit. Uploads past it get 507.

    Raises:
        ConfigError: ``host`` is not a loopback address, a size or port is out of range, or
            ``max_store_bytes`` is given along with a ``store``.
    """

    def __init__(
        self,
        store: Store | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        max_upload_bytes: int = DEFAULT_MAX_UPLOAD,
        max_store_bytes: int | None = DEFAULT_MEMORY_STORE_BYTES,
    ) -> None:
        if store is not None and max_store_bytes != DEFAULT_MEMORY_STORE_BYTES:
            raise ConfigError("max_store_bytes", "give the limit to the store you pass instead")
        if store is None:
            store = MemoryStore(max_bytes=max_store_bytes)
        if max_upload_bytes < 1:
            raise ConfigError("max_upload_bytes", f"must be >= 1, not {max_upload_bytes}")
        if not 0 <= port <= 65535:
            raise ConfigError("port", f"must be 0-65535, not {port}")
        self.store: Store = store
        self.host = _loopback(host)
        self.max_upload_bytes = max_upload_bytes
        self.faults = FaultInjector()
        self.requests = RequestLog()
        self.stopping = threading.Event()
        self._port = port
        self._httpd: HttpServer | None = None
        self._thread: threading.Thread | None = None
        self._lifecycle = threading.Lock()

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> IpfsServer:
        """Bind and start serving in a background thread (idempotent).

        Returns:
            The server itself, so ``ipfs = IpfsServer().start()`` reads naturally.

        Raises:
            IpfsServerError: the address cannot be bound.
        """
        with self._lifecycle:
            if self._httpd is not None:
                return self
            server_class = HttpServer6 if ":" in self.host else HttpServer
            try:
                httpd = server_class((self.host, self._port), self)
            except OSError as exc:
                raise IpfsServerError(
                    f"cannot listen on {self.host}:{self._port}: {exc.strerror or exc}"
                ) from exc
            self.stopping = threading.Event()
            self._httpd = httpd
            self._thread = threading.Thread(
                target=httpd.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"ogpu-sim-ipfs:{self.port}",
                daemon=True,
            )
            self._thread.start()
            inprocess.register(self.url, self)
        return self

    def stop(self) -> None:
        """Stop serving, close connections, join threads and free the port (idempotent)."""
        with self._lifecycle:
            httpd, thread = self._httpd, self._thread
            if httpd is None:
                return
            inprocess.unregister(self.url, self)
            self.stopping.set()
            httpd.shutdown()
            httpd.close_connections()
            httpd.server_close()  # joins the per-connection threads
            if thread is not None:
                thread.join()
            self._httpd = self._thread = None

    def __enter__(self) -> IpfsServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """Whether the server is started."""
        return self._httpd is not None

    @property
    def port(self) -> int:
        """The bound port.

        Raises:
            IpfsServerError: the server is not started.
        """
        if self._httpd is None:
            raise IpfsServerError("the IPFS server is not started; call start() first")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:40123`` (the server must be started)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def publish_url(self) -> str:
        """What ``ogpu.ipfs.publish._IPFS_PUBLISH_URL`` must be set to."""
        return self.url + PIN_ROUTE

    # -- direct access (no HTTP, no faults) ------------------------------------------------
    def link(self, cid: str) -> str:
        """The gateway link this server hands out for ``cid``."""
        return f"{self.url}/ipfs/{cid}"

    def add(self, data: bytes | str | dict[str, Any] | list[Any]) -> str:
        """Pin content directly and return its gateway link, as ``/file/create`` would.

        Args:
            data: bytes as they are, text as UTF-8, a dict or list as ``json.dumps`` (the
                SDK's serialization).

        Returns:
            ``<url>/ipfs/<CIDv0>``.

        Raises:
            IpfsServerError: the server is not started (the link needs its port).
            StoreFullError: the store is full.
            ConfigError: (``data``) of another type, or a dict or list that is not JSON.
        """
        payload = content_bytes(data)
        base = self.url  # fail before storing when not started
        return f"{base}/ipfs/{self.store.put(payload)}"

    def get(self, link_or_cid: str) -> bytes:
        """Return stored bytes by gateway link, ``/ipfs/<cid>`` path or bare CID.

        Raises:
            InvalidCidError: no valid CID in ``link_or_cid``.
            IpfsNotFoundError: nothing is stored under it.
        """
        return self.store.get(cid_from_link(link_or_cid))

    def get_json(self, link_or_cid: str) -> Any:
        """Return stored content parsed as JSON.

        Raises:
            InvalidCidError: no valid CID in ``link_or_cid``.
            IpfsNotFoundError: nothing is stored under it.
            ValueError: the content is not JSON, or nests deeper than
                :data:`~ogpu_sim.ipfs.content.MAX_JSON_DEPTH` levels.
        """
        return loads_bounded(self.get(link_or_cid))

    def __repr__(self) -> str:
        where = self.url if self.running else "stopped"
        return f"IpfsServer({where}, store={self.store!r})"


__all__ = ["DEFAULT_MAX_UPLOAD", "InvalidCidError", "IpfsServer", "cid_from_link"]
