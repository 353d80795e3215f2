"""The runtime package's layout: the factory above the runtimes, no module importing it back."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import ogpu_sim.errors
import ogpu_sim.runtime
from ogpu_sim.runtime import errors as runtime_errors

PACKAGE = Path(ogpu_sim.runtime.__file__).parent
# pool.py composes runtimes made by the factory: it sits above it, and nothing below imports it.
MODULES = sorted(
    p for p in PACKAGE.glob("*.py") if p.name not in ("__init__.py", "launcher.py", "pool.py")
)


def imported_modules(path: Path) -> set[str]:
    """Absolute names of what a runtime module imports (relative imports resolved)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:
                base = "ogpu_sim.runtime" + (f".{node.module}" if node.module else "")
            elif node.level == 2:
                base = "ogpu_sim" + (f".{node.module}" if node.module else "")
            else:
                base = node.module or ""
            names.add(base)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.stem)
def test_no_runtime_module_imports_the_factory_package(module):
    assert "ogpu_sim.runtime" not in imported_modules(module)


def test_base_holds_the_interface_and_imports_no_runtime():
    runtimes = ("inline", "process", "docker", "auto")
    runtime_modules = {f"ogpu_sim.runtime.{name}" for name in runtimes}
    assert imported_modules(PACKAGE / "base.py") & runtime_modules == set()


def test_runtime_errors_are_the_classes_of_ogpu_sim_errors():
    for name in runtime_errors.__all__:
        assert getattr(runtime_errors, name) is getattr(ogpu_sim.errors, name)
        assert issubclass(getattr(runtime_errors, name), ogpu_sim.errors.OgpuSimError)


def test_the_runtime_names_are_the_vocabularys():
    from ogpu_sim import vocabulary

    assert ogpu_sim.runtime.RUNTIMES is vocabulary.RUNTIMES
    assert ogpu_sim.runtime.ENVIRONMENTS is vocabulary.ENVIRONMENTS
    assert ogpu_sim.runtime.ENVIRONMENT_BITS is vocabulary.ENVIRONMENT_BITS
