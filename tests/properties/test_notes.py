"""A choice a rule makes is in the program hypothesis reports for a failing example, and is
written only when hypothesis keeps notes."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import rule

from ogpu_sim.testing import CI_PROFILE, MachineCore, RuleStatistics, drawing
from ogpu_sim.testing import machine as core

WRITTEN: list[str] = []


class ChoosesThenFails(MachineCore):
    """One rule: choose a signer among the cast, then fail."""

    statistics = RuleStatistics()

    @rule(data=st.data())
    def choose_and_fail(self, data: st.DataObject) -> None:
        self.choose(data, "signer", [self.cast["agent"]], list(self.cast.values()))
        raise AssertionError("failing on purpose")


def test_a_failing_programs_choices_are_noted_and_only_then_written(
    property_sim: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    described = core.MachineCore.describe

    def describe(self: Any, value: Any) -> str:
        WRITTEN.append(described(self, value))
        return WRITTEN[-1]

    monkeypatch.setattr(core.MachineCore, "describe", describe)
    profile = settings(settings.get_profile(CI_PROFILE), max_examples=5, stateful_step_count=5)
    with pytest.raises(AssertionError) as failed:
        ChoosesThenFails.run(property_sim, profile)

    notes = getattr(failed.value, "__notes__", [])
    assert "signer: agent" in notes
    assert WRITTEN == ["agent"]  # the final replay only: the runs before wrote nothing


def test_no_note_is_kept_outside_a_test() -> None:
    assert drawing.noting() is False
