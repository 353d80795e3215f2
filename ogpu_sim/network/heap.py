"""Keep the objects a started network holds out of the garbage collector's full passes.

A started network holds a few hundred thousand long-lived objects (imported modules, the
contracts' ABIs, the chain and its caches). CPython's full collections walk all of them though
none is garbage: about 3% of an eth-tester lifecycle's CPU. The first :func:`hold` moves every
object alive then into the permanent generation (``gc.freeze``), so full collections walk only
what was made since; networks started while one is up freeze nothing more (what a stopped one
leaves in cycles is collected as usual). :func:`release`, when the last held network stops,
puts them back (``gc.unfreeze``), so whatever became garbage meanwhile is collected as before.
Reference counting frees objects as always; only cycles among frozen objects wait for the
release. A process that froze objects itself is left alone (the permanent generation is
all-or-nothing).
"""

from __future__ import annotations

import gc
import threading

_lock = threading.Lock()
_holders = 0
_ours = False


def hold() -> None:
    """One more started network; the first freezes every object alive now (unless the process
    froze some itself)."""
    global _holders, _ours
    with _lock:
        if _holders == 0:
            _ours = gc.get_freeze_count() == 0
            if _ours:
                gc.freeze()
        _holders += 1


def release() -> None:
    """One network fewer: the last one unfreezes what :func:`hold` froze."""
    global _holders, _ours
    with _lock:
        if _holders == 0:
            return
        _holders -= 1
        if _holders == 0 and _ours:
            gc.unfreeze()
            _ours = False


__all__ = ["hold", "release"]
