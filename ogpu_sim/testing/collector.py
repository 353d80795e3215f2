"""The garbage collector's young-generation threshold while a machine is bound.

A machine's run allocates millions of short-lived containers (hypothesis's choice and span
bookkeeping, web3's request and receipt dicts, the model's copies), and CPython collects its
youngest generation after every 700 net allocations of them: several hundred collections in a
CI-profile run, each promoting what is briefly alive into older generations that full
collections then walk again. :func:`loosen` raises that first threshold to
:data:`YOUNG_THRESHOLD` for the run; :func:`restore` puts the old thresholds back. Unlike
``gc.disable`` the collector still runs, so a cycle waits at most that many allocations and
memory stays bounded however long the run; reference counting frees objects as always, so no
behaviour changes, only when cycles are found.
"""

from __future__ import annotations

import gc

#: The young generation's threshold during a run (CPython's default is 700): collections
#: become rare, and a cycle still waits at most this many container allocations.
YOUNG_THRESHOLD = 100_000

Thresholds = tuple[int, int, int]


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


__all__ = ["YOUNG_THRESHOLD", "loosen", "restore"]
