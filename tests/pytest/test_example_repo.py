"""The example source repository's own test suite passes, run as its author runs it."""

from __future__ import annotations

import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[2] / "fixtures" / "example-source-repo"


def test_the_example_source_repository_suite_passes(pytester):
    for item in REPO.iterdir():
        target = pytester.path / item.name
        if item.is_dir():
            shutil.copytree(item, target)
        else:
            shutil.copy(item, target)

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-c", "pyproject.toml", "-rs")

    result.assert_outcomes(passed=6)
