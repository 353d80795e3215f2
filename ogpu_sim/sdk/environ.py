"""The environment's proxy settings, read once per change of ``os.environ``.

The SDK pins with the module-level ``requests.post``, so every pin builds a new ``Session``
that trusts the environment: requests asks ``urllib.request.getproxies_environment`` twice
per request (for the proxies and, through ``proxy_bypass``, for ``no_proxy``), and each call
decodes and scans every variable of ``os.environ`` (about 60 us with 40 variables, more on CI
machines). Its answer is a pure function of ``os.environ``'s items in their order (the
lowercase ``*_proxy`` names win by coming second), so :func:`memoize_environment_proxies`
keeps the last answer with the items it was computed from and hands out a copy while they
are the same; any change of ``os.environ`` (a new, changed, removed or reordered variable, or
another mapping put in its place) is computed again by urllib's own function.
"""

from __future__ import annotations

import os
import sys
import threading
import urllib.request
from collections.abc import Callable
from typing import Any

_MODULES = ("urllib", "requests", "ogpu", "ogpu_sim", "web3")
_NAMES = ("getproxies_environment", "getproxies")


def memoize_environment_proxies() -> Callable[[], None]:
    """Install the memoized ``getproxies_environment`` process-wide; returns the undo.

    It replaces urllib's function wherever the loaded urllib, requests, ogpu, ogpu_sim and
    web3 modules bound it by name (as ``getproxies_environment`` or, on platforms where it
    is the same function, ``getproxies``), including the global ``proxy_bypass_environment``
    reads. Each call compares ``os.environ``'s raw items with those of the last answer (a
    copy of it is returned, so callers may change what they get); an environment that
    changed while urllib read it is not remembered.
    """
    raw = urllib.request.getproxies_environment
    lock = threading.Lock()
    last: list[tuple[Any, list[tuple[Any, Any]], dict[str, str]]] = []

    def getproxies_environment() -> dict[str, str]:
        environ = os.environ
        data = getattr(environ, "_data", None)
        if type(data) is not dict:
            return raw()  # not os._Environ (a test put a plain mapping in its place)
        items = list(data.items())
        if last:
            seen_environ, seen_items, proxies = last[0]
            if seen_environ is environ and seen_items == items:
                return dict(proxies)
        proxies = raw()
        if list(data.items()) == items:
            with lock:
                last[:] = [(environ, items, dict(proxies))]
        return proxies

    getproxies_environment.__doc__ = raw.__doc__
    getproxies_environment.__wrapped__ = raw  # type: ignore[attr-defined]
    patched: list[tuple[Any, str]] = []
    for name, module in list(sys.modules.items()):
        if module is None or name.split(".", 1)[0] not in _MODULES:
            continue
        for attribute in _NAMES:
            if getattr(module, attribute, None) is raw:
                setattr(module, attribute, getproxies_environment)
                patched.append((module, attribute))

    def undo() -> None:
        for module, attribute in patched:
            setattr(module, attribute, raw)

    return undo
