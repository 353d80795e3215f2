"""Compose's variable substitution, as inline and process runtimes apply it."""

from __future__ import annotations

import pytest

from ogpu_sim.sources import ComposeError, interpolate

VARIABLES = {"PORT": "8080", "EMPTY": ""}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${PORT}:5555", "8080:5555"),
        ("$PORT", "8080"),
        ("${MISSING}", ""),
        ("${MISSING:-http://model:11434}", "http://model:11434"),
        ("${EMPTY:-fallback}", "fallback"),
        ("${EMPTY-fallback}", ""),
        ("${PORT:+set}", "set"),
        ("${MISSING+set}", ""),
        ("$$PORT", "$PORT"),
        ("${MISSING:-on $PORT}", "on 8080"),
        ('{"task": "vqa"}', '{"task": "vqa"}'),
    ],
)
def test_compose_substitution_forms(text, expected):
    assert interpolate(text, VARIABLES) == expected


def test_a_required_variable_that_is_unset_is_an_error_with_its_message():
    with pytest.raises(ComposeError) as caught:
        interpolate("${TOKEN:?set TOKEN first}", VARIABLES, where="cpu.yml")
    assert (str(caught.value.file), caught.value.problem) == (
        "cpu.yml",
        "variable TOKEN is required: set TOKEN first",
    )
