"""Strategies the rules build from the state are built once per equal arguments, and draw
exactly what a fresh strategy draws."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from ogpu_sim.testing import strategies as ost
from ogpu_sim.testing.machine import memoized, sampled
from ogpu_sim.testing.rules.common import near


def test_equal_values_give_the_same_strategy_object() -> None:
    assert sampled(["a", "b"]) is sampled(("a", "b"))
    assert memoized(st.integers, 3, 9) is memoized(st.integers, 3, 9)
    assert near(10) is near(10)


def test_values_that_are_equal_but_of_other_types_give_other_strategies() -> None:
    assert sampled([1, 0]) is not sampled([True, False])
    assert sampled([(1,)]) is not sampled([(True,)])


def test_unhashable_values_give_a_fresh_strategy_each_time() -> None:
    first, second = sampled([[1], [2]]), sampled([[1], [2]])
    assert first is not second
    assert repr(first) == "sampled_from([[1], [2]])"


def test_a_memoized_strategy_is_the_strategy_it_stands_for() -> None:
    assert repr(sampled(["x", "y", "z"])) == repr(st.sampled_from(["x", "y", "z"]))
    assert repr(near(5)) == repr(st.one_of(st.just(5), st.just(6), st.integers(0, 5)))


def _draws(strategy: Callable[[], st.SearchStrategy[Any]]) -> list[Any]:
    """What 20 derandomized examples draw from ``strategy()`` (called in every example)."""
    drawn: list[Any] = []

    @settings(max_examples=20, derandomize=True, database=None, phases=[Phase.generate])
    @given(data=st.data())
    def collect(data: st.DataObject) -> None:
        drawn.append(data.draw(strategy()))

    collect()
    return drawn


def test_a_memoized_strategy_draws_what_a_fresh_one_draws() -> None:
    pool = ["first", "second", "third"]
    assert _draws(lambda: sampled(pool)) == _draws(lambda: st.sampled_from(pool))
    fresh_near = st.one_of(st.just(7), st.just(8), st.integers(0, 7))
    assert _draws(lambda: near(7)) == _draws(lambda: fresh_near)


def test_the_parametrised_strategies_are_built_once_per_arguments() -> None:
    assert ost.amounts(5 * ost.OGPU) is ost.amounts(5 * ost.OGPU)
    assert ost.around(60) is ost.around(60)
    assert ost.image_environments(allow_empty=True) is ost.image_environments(allow_empty=True)
    assert ost.amounts(5) is not ost.amounts(6)
