"""The README's code runs: every ```python block is executed (so the README cannot rot).

A block that defines ``test_`` functions runs as a user's test file in an inner pytest session
whose ``ogpu_source_dir`` is the example source repository; any other block runs as a script
from an empty folder (not under ``-W error``: importing the SDK itself warns, which only the
pytest plugin and the ``ogpu-sim`` command keep quiet).
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_REPO = ROOT / "fixtures" / "example-source-repo"
BLOCK = re.compile(r"^( *)```python\n(.*?)^\1```", re.S | re.M)


def _blocks() -> list[tuple[str, str]]:
    text = (ROOT / "README.md").read_text()
    found = []
    for match in BLOCK.finditer(text):
        heading = [h for h in re.findall(r"^## (.+)$", text[: match.start()], re.M)][-1]
        found.append((heading, textwrap.dedent(match.group(2))))
    return found


BLOCKS = _blocks()
(SUMMARY_CONFTEST,) = [c for _, c in BLOCKS if "def pytest_terminal_summary" in c]


def test_the_readme_has_code_to_run() -> None:
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize(
    "code", [c for _, c in BLOCKS if "def test_" not in c], ids=lambda c: c.split("\n", 1)[0]
)
def test_a_readme_script_runs(code: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


@pytest.mark.parametrize(
    "code", [c for _, c in BLOCKS if "def test_" in c], ids=lambda c: c.split("def test_")[1][:40]
)
def test_a_readme_test_file_passes(code: str, pytester: pytest.Pytester) -> None:
    pytester.makeini(f"[pytest]\nogpu_source_dir = {EXAMPLE_REPO}\nfilterwarnings =\n    error\n")
    pytester.makepyfile(test_from_readme=code)
    machine = "LifecycleMachine" in code
    if machine:  # with the README's conftest that prints the rule statistics
        pytester.makeconftest(SUMMARY_CONFTEST)
    backend = ["--ogpu-backend=revm"] if machine else []

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:asyncio", *backend)

    result.assert_outcomes(passed=code.count("def test_"))
    if machine:
        lines = result.stdout.lines
        assert "MyClientMachine rule statistics" in lines
        (row,) = [line.split() for line in lines if line.startswith("my_publish ")]
        assert int(row[1]) > 0, "\n".join(lines)
