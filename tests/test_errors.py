"""One error tree: everything the package raises derives from OgpuSimError, all in one module."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import ogpu_sim.errors as errors

PACKAGE = Path(errors.__file__).parent


def _error_classes() -> list[type[BaseException]]:
    return [
        value
        for value in vars(errors).values()
        if inspect.isclass(value)
        and issubclass(value, BaseException)
        and value.__module__ == errors.__name__
    ]


def test_every_error_class_derives_from_ogpu_sim_error() -> None:
    assert [c.__name__ for c in _error_classes() if not issubclass(c, errors.OgpuSimError)] == []


def test_the_module_docstring_draws_every_error() -> None:
    assert [c.__name__ for c in _error_classes() if c.__name__ not in errors.__doc__] == []


def test_no_exception_class_is_defined_outside_the_errors_module() -> None:
    stray = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "errors.py" and path.parent == PACKAGE:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and any(
                (isinstance(base, ast.Name) and base.id.endswith(("Error", "Exception")))
                or (isinstance(base, ast.Name) and base.id in {"Exception", "BaseException"})
                for base in node.bases
            ):
                stray.append(f"{path.relative_to(PACKAGE)}:{node.name}")
    assert stray == []


def test_unsafe_signer_hint_names_an_option_that_exists() -> None:
    from ogpu_sim.network import NetworkOptions

    message = str(errors.UnsafeSignerError("http://example.com:8545"))
    assert "mnemonic=" in message
    assert "mnemonic" in NetworkOptions.__dataclass_fields__
