"""A strict environment (``PYTHONWARNINGS=error``) starts handlers on the process runtime as it
does inline: the handler's launcher ignores the SDK stack's known warnings that this process
ignores, those only, and the handler's own warnings still fail it."""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import pytest

from ogpu_sim.runtime import (
    CallbackServer,
    HandlerStartError,
    create_runtime,
    launcher,
    load_source_folder,
)
from ogpu_sim.runtime.environ import (
    QUIET_WARNINGS_ENV,
    ignored_known_warnings,
    warnings_variables,
)
from ogpu_sim.sdk.warnings import KNOWN_WARNINGS, quiet_known_warnings

from .conftest import SAMPLES

WEB3_LOG = ("The log with transaction hash", "UserWarning", r"(web3|eth_utils|ogpu)(\.|$)")
WEBSOCKETS = ("websockets.legacy is deprecated", "DeprecationWarning", r"websockets(\.|$)")

OWN_WARNING = """\
import warnings

warnings.warn("multiply() will take floats", DeprecationWarning)
"""


@pytest.fixture
def strict(monkeypatch: pytest.MonkeyPatch) -> None:
    """Handlers started from here inherit ``PYTHONWARNINGS=error``."""
    monkeypatch.setenv("PYTHONWARNINGS", "error")
    monkeypatch.delenv(QUIET_WARNINGS_ENV, raising=False)


def test_the_known_warnings_this_process_ignores_are_the_ones_handed_on():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        quiet_known_warnings()

        assert ignored_known_warnings() == [WEB3_LOG, WEBSOCKETS]


def test_no_known_warning_is_handed_on_when_an_error_filter_comes_first():
    with warnings.catch_warnings():
        quiet_known_warnings()
        warnings.simplefilter("error")

        assert ignored_known_warnings() == []
        assert warnings_variables() == {}


def test_an_ignore_aimed_at_other_modules_is_not_taken_for_a_known_one():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", message="websockets.legacy", module="mylib")

        assert ignored_known_warnings() == []


def test_under_the_interpreters_default_filters_only_the_ignored_deprecation_is_handed_on():
    with warnings.catch_warnings():
        warnings.filters[:] = [  # a plain `python script.py`'s, plain strings as the C code has
            ("default", None, DeprecationWarning, "__main__", 0),
            ("ignore", None, DeprecationWarning, None, 0),
            ("ignore", None, PendingDeprecationWarning, None, 0),
            ("ignore", None, ImportWarning, None, 0),
            ("ignore", None, ResourceWarning, None, 0),
        ]

        assert ignored_known_warnings() == [WEBSOCKETS]


def test_the_handed_on_variable_names_each_ignored_warning_in_json():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        quiet_known_warnings()

        variables = warnings_variables()

    assert list(variables) == ["OGPU_SIM_QUIET_WARNINGS"]
    assert json.loads(variables["OGPU_SIM_QUIET_WARNINGS"]) == [list(WEB3_LOG), list(WEBSOCKETS)]


def test_the_launcher_reads_the_variable_the_runtime_sets():
    assert launcher.QUIET_WARNINGS_ENV == QUIET_WARNINGS_ENV


def test_the_launcher_adds_exactly_the_harness_own_filters():
    with warnings.catch_warnings():
        warnings.resetwarnings()
        quiet_known_warnings()
        harness = list(warnings.filters)
    with warnings.catch_warnings():
        warnings.resetwarnings()
        launcher.quiet_known_warnings(json.dumps([list(WEB3_LOG), list(WEBSOCKETS)]))
        handler = list(warnings.filters)

    assert handler == harness
    assert len(handler) == len(KNOWN_WARNINGS)


def test_a_strict_environment_starts_a_handler_when_the_known_warnings_are_hidden(
    strict: None, callbacks: CallbackServer
):
    runtime = create_runtime("process", callbacks)
    with runtime, warnings.catch_warnings():
        warnings.simplefilter("error")
        quiet_known_warnings()
        handler = runtime.start(load_source_folder(SAMPLES / "multiply"))

        assert handler.url is not None and handler.url.startswith("http://127.0.0.1:")


def test_a_handlers_own_deprecation_warning_still_fails_its_start_under_a_strict_environment(
    strict: None, callbacks: CallbackServer, tmp_path: Path
):
    folder = tmp_path / "multiply"
    shutil.copytree(SAMPLES / "multiply", folder)
    handler_py = folder / "handler.py"
    handler_py.write_text(OWN_WARNING + handler_py.read_text())
    runtime = create_runtime("process", callbacks)
    with runtime, warnings.catch_warnings():
        warnings.simplefilter("error")
        quiet_known_warnings()
        with pytest.raises(HandlerStartError) as caught:
            runtime.start(load_source_folder(folder))

    assert caught.value.problem == (
        "handler.py failed to start: DeprecationWarning: multiply() will take floats"
    )
    assert "websockets.legacy" not in caught.value.log


def test_the_known_warnings_fail_a_strict_handler_when_this_process_lets_them_through(
    strict: None, callbacks: CallbackServer
):
    runtime = create_runtime("process", callbacks)
    with runtime, warnings.catch_warnings():
        warnings.simplefilter("error")  # ogpu_sdk_warnings = show: nothing in front of error
        with pytest.raises(HandlerStartError) as caught:
            runtime.start(load_source_folder(SAMPLES / "multiply"))

    assert caught.value.problem.startswith(
        "handler.py failed to start: DeprecationWarning: websockets.legacy is deprecated"
    )
