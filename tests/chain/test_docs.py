"""docs/chain.md's worked example runs as written (so it cannot rot); ~4 s: the SDK's retry
backoff and the example's one-second receipt timeout are real waits."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


def test_the_fault_example_in_docs_chain_md_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (ROOT / "docs" / "chain.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) == 1
    monkeypatch.chdir(ROOT)
    exec(compile(blocks[0], "docs/chain.md", "exec"), {"__name__": "docs_chain"})
    kinds = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert kinds == ["fail", "pause", "resume", "reorg"]
