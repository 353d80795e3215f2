"""The garbage collector while networks run: long-lived objects frozen, young ones collected rarely.

A started network holds a few hundred thousand long-lived objects (imported modules, the
contracts' ABIs, the chain and its caches). CPython's full collections walk all of them though
none is garbage: about 3% of an eth-tester lifecycle's CPU. The first :func:`hold` moves every
object alive then into the permanent generation (``gc.freeze``), so full collections walk only
what was made since; networks started while one is up freeze nothing more (what a stopped one
leaves in cycles is collected as usual). :func:`release`, when the last held network stops,
puts them back (``gc.unfreeze``), so whatever became garbage meanwhile is collected as before.
A process that froze objects itself is left alone (the permanent generation is
all-or-nothing).

The first :func:`hold` also raises the young generation's threshold to
:data:`YOUNG_THRESHOLD` (:func:`loosen`) until the last release (:func:`restore`). A transaction
on eth-tester allocates tens of thousands of short-lived containers (py-evm's messages,
computations, journals, RLP objects) and web3 and the SDK add their request and receipt dicts;
at CPython's default of 700 the young generation is collected several times per task, each
pass promoting what is briefly alive into older generations that later passes walk again
(about 6% of an eth-tester lifecycle's CPU). Unlike ``gc.disable`` the collector still runs,
so a cycle waits at most that many allocations and memory stays bounded however long the run;
reference counting frees objects as always, so no behaviour changes, only when cycles are found.
"""

from __future__ import annotations

import gc
import threading

#: The young generation's threshold while a network runs (CPython's default is 700):
#: collections become rare, and a cycle still waits at most this many container allocations.
YOUNG_THRESHOLD = 100_000

Thresholds = tuple[int, int, int]

_lock = threading.Lock()
_holders = 0
_ours = False
_loosened: tuple[Thresholds, Thresholds] | None = None


def loosen() -> tuple[Thresholds, Thresholds]:
    """Raise the young generation's threshold to :data:`YOUNG_THRESHOLD` (a higher one, and a
    disabled threshold of 0, are left alone).

    Returns:
        ``(before, set)``: the thresholds before and the ones set, for :func:`restore`.
    """
    before: Thresholds = gc.get_threshold()
    young, *older = before
    chosen: Thresholds = (
        young if young == 0 or young >= YOUNG_THRESHOLD else YOUNG_THRESHOLD,
        older[0],
        older[1],
    )
    gc.set_threshold(*chosen)
    return before, chosen


def restore(saved: tuple[Thresholds, Thresholds] | None) -> None:
    """Put back the thresholds :func:`loosen` found, unless someone set others since (theirs
    stay)."""
    if saved is None:
        return
    before, chosen = saved
    if gc.get_threshold() == chosen:
        gc.set_threshold(*before)


def hold() -> None:
    """One more started network; the first freezes every object alive now (unless the process
    froze some itself) and loosens the young generation's threshold."""
    global _holders, _ours, _loosened
    with _lock:
        if _holders == 0:
            _ours = gc.get_freeze_count() == 0
            if _ours:
                gc.freeze()
            _loosened = loosen()
        _holders += 1


def release() -> None:
    """One network fewer: the last one unfreezes what :func:`hold` froze and puts the
    thresholds back."""
    global _holders, _ours, _loosened
    with _lock:
        if _holders == 0:
            return
        _holders -= 1
        if _holders == 0:
            if _ours:
                gc.unfreeze()
                _ours = False
            restore(_loosened)
            _loosened = None


__all__ = ["YOUNG_THRESHOLD", "hold", "loosen", "release", "restore"]
