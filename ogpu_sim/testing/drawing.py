"""Drawing inside a rule: ``data.draw`` with the same choices, for less.

hypothesis's ``DataObject.draw`` wraps every draw in two context managers (one records the
draw's span for the explain phase, one compares the global ``random`` state before and after
to warn about strategies that use it) and asks whether to write a note. For the machine's small
fixed strategies that bookkeeping costs more than the draw itself, and a step makes several.
:func:`draw` does what it does, in the same order, directly: the same count, the same
``ConjectureData.draw`` with the same key for the draw's timing, the same span recorded.
Whenever hypothesis writes notes (the final run of a failing example, a verbose run,
observability) it is ``data.draw`` itself, so the report is hypothesis's own.
"""

from __future__ import annotations

from typing import Any, TypeVar

from hypothesis import strategies as st
from hypothesis.control import should_note
from hypothesis.errors import InvalidArgument
from hypothesis.internal.conjecture.data import ConjectureData
from hypothesis.internal.observability import observability_enabled
from hypothesis.strategies._internal.core import DataObject
from hypothesis.strategies._internal.strategies import check_strategy

T = TypeVar("T")

#: Whether this hypothesis's ``DataObject.draw`` is the one :func:`draw` repeats (it records
#: the draw's span in ``arg_spans``, whose index ``next_span_index`` tells in advance).
FAST = all(hasattr(ConjectureData, name) for name in ("next_span_index", "track_arg_span"))


def noting() -> bool:
    """Whether hypothesis keeps a ``note`` now (the final run of a failing example, a
    verbose run, observability): a choice's note is written only then."""
    try:
        return should_note() or observability_enabled()
    except InvalidArgument:  # a rule called outside a test
        return False


def draw(data: st.DataObject, strategy: st.SearchStrategy[T], label: Any = None) -> T:
    """``data.draw(strategy, label=label)``: the same choices, span and timing records.

    Args:
        data: the rule's ``st.data()`` object.
        strategy: what to draw from.
        label: the draw's label (hypothesis's report names the draw by it).

    Returns:
        The value drawn.
    """
    if not FAST or type(data) is not DataObject or noting():
        return data.draw(strategy, label=label)
    check_strategy(strategy, "strategy")
    data.count += 1
    conjecture = data.conjecture_data
    span = conjecture.next_span_index
    desc = f"Draw {data.count}" if label is None else f"Draw {data.count} ({label})"
    result: T = conjecture.draw(strategy, observe_as=f"generate:{desc}")
    conjecture.arg_spans.add(span)
    return result
