"""The package's shape: the layer contracts hold, no import cycles, few top-level modules."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import grimp

PACKAGE = Path(__file__).resolve().parents[1] / "ogpu_sim"


def _cycles() -> list[list[str]]:
    """Strongly connected groups of modules (Tarjan), imports under TYPE_CHECKING excluded."""
    graph = grimp.build_graph("ogpu_sim", exclude_type_checking_imports=True)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = [0]

    def visit(module: str) -> None:
        index[module] = low[module] = counter[0]
        counter[0] += 1
        stack.append(module)
        on_stack.add(module)
        for target in graph.find_modules_directly_imported_by(module):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return groups


def test_no_module_imports_another_that_imports_it_back() -> None:
    assert _cycles() == []


def test_the_import_linter_contracts_are_kept() -> None:
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint is not None, "import-linter is a dev dependency (make install)"
    result = subprocess.run([lint], capture_output=True, text=True, cwd=PACKAGE.parent)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout, result.stdout


def test_at_most_ten_modules_sit_directly_in_the_package() -> None:
    modules = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(modules) <= 10, modules


def test_no_test_lets_ci_skip_a_backend_by_a_missing_import() -> None:
    tests = Path(__file__).resolve().parent
    offenders = [
        str(path.relative_to(tests))
        for path in tests.rglob("*.py")
        if path.name != Path(__file__).name and "importorskip(" in path.read_text()
    ]
    assert offenders == []
