"""A rule's ``draw(data, ...)`` is ``data.draw``: the same values, choices, spans, draw count
and timing keys, and hypothesis's own draw notes in a failing example's report."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from ogpu_sim.testing import drawing
from ogpu_sim.testing.machine import POSITIONS, VALID_MOSTLY

Draw = Callable[[st.DataObject, st.SearchStrategy[Any], Any], Any]


def _plain(data: st.DataObject, strategy: st.SearchStrategy[Any], label: Any) -> Any:
    return data.draw(strategy, label=label)


def _run(how: Draw) -> list[Any]:
    """What 25 derandomized examples draw (three draws each), with what each example's
    ConjectureData recorded of them."""
    seen: list[Any] = []

    @settings(max_examples=25, derandomize=True, database=None, phases=[Phase.generate])
    @given(data=st.data())
    def collect(data: st.DataObject) -> None:
        values = (
            how(data, VALID_MOSTLY, "signer valid"),
            how(data, POSITIONS, "signer"),
            how(data, st.lists(st.integers(0, 9), max_size=3), None),
        )
        conjecture = data.conjecture_data
        seen.append(
            (
                values,
                data.count,
                tuple(conjecture.choices),
                sorted(conjecture.arg_spans),
                sorted(conjecture.draw_times),
            )
        )

    collect()
    return seen


def test_the_fast_path_is_the_one_this_hypothesis_takes() -> None:
    assert drawing.FAST is True


def test_draw_makes_the_choices_and_records_that_data_draw_does() -> None:
    fast, plain = _run(drawing.draw), _run(_plain)
    assert len(fast) == 25
    assert fast == plain
    assert fast[0][4] == [
        "generate:Draw 1 (signer valid)",
        "generate:Draw 2 (signer)",
        "generate:Draw 3",
        "generate:data",
    ]


def _report(how: Draw) -> list[str]:
    """The notes of a failing example that draws a position, then fails."""

    @settings(max_examples=5, derandomize=True, database=None)
    @given(data=st.data())
    def fails(data: st.DataObject) -> None:
        how(data, POSITIONS, "signer")
        raise AssertionError("failing on purpose")

    with pytest.raises(AssertionError) as failed:
        fails()
    return list(getattr(failed.value, "__notes__", []))


def test_a_failing_examples_report_has_hypothesiss_draw_notes() -> None:
    notes = _report(drawing.draw)
    # the explain phase varied the draw: the span it recorded is the one data.draw records
    assert notes[1] == "Draw 1 (signer): 0  # or any other generated value"
    assert notes == _report(_plain)
