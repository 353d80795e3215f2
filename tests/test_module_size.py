"""The size rule of docs/architecture.md: a module over about 400 lines says in its docstring why.

A long module is usually two modules; when it is not (one loop that must stay one function, one
table of every JSON-RPC method), its docstring gives the reason, as "About N lines: ..." or
"Over 400 lines ...". This test keeps the rule from living in memory only.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import ogpu_sim

PACKAGE = Path(ogpu_sim.__file__).parent
LIMIT = 420
"""Lines a module may have without a reason ("about 400", with room for a docstring's growth)."""
REASON = re.compile(r"\b(about|over)\s+~?\d[\d,]*\s+lines\b", re.IGNORECASE)


def long_modules_without_a_reason() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if text.count("\n") <= LIMIT:
            continue
        docstring = ast.get_docstring(ast.parse(text)) or ""
        if not REASON.search(" ".join(docstring.split())):
            found.append(f"{path.relative_to(PACKAGE.parent)} ({text.count(chr(10))} lines)")
    return found


def test_every_module_over_about_400_lines_says_why_in_its_docstring():
    assert long_modules_without_a_reason() == []
