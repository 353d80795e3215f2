"""One conformance suite for every handler runtime: each subclass names how to make its runtime.

Every runtime must keep the ``ogpu.service`` contract (docs/protocol.md, the handler contract)
the same way: the callback body is the output model's JSON, bad input is a 422-shaped
HandlerInputError, a handler that raises or times out sends no callback, an init hook failure is
a start-up error carrying the handler's log, and whatever was started is gone after ``close()``.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from ogpu_sim.errors import (
    HandlerRaisedError,
    HandlerStillRunning,
    HandlerTimeoutError,
    UnknownFunctionError,
)
from ogpu_sim.runtime import (
    CallbackServer,
    Handler,
    HandlerDispatchError,
    HandlerInputError,
    HandlerStartError,
    Runtime,
    load_source_folder,
)
from ogpu_sim.runtime.gpu import FORCE_EMULATION_ENV

from .conftest import BROKEN, REAL, SAMPLES

SOURCE_ADDRESS = "0x" + "5" * 40
PROVIDER_ADDRESS = "0x" + "9" * 40

# name -> (folder, environment)
HANDLERS = {
    "multiply": (SAMPLES / "multiply", "cpu"),
    "sentiment": (SAMPLES / "sentiment", "cpu"),
    "raises": (BROKEN / "raises", "cpu"),
    "slow": (BROKEN / "slow", "cpu"),
    "probe-nvidia": (BROKEN / "envprobe", "nvidia"),
    "probe-amd": (BROKEN / "envprobe", "amd"),
}


def new_task() -> str:
    """A fresh task address, so no two dispatches share a callback slot."""
    return "0x" + uuid.uuid4().hex + "0" * 8


class RuntimeConformance:
    """Behaviour every runtime shares. Subclasses implement ``make_runtime``, ``resources`` and
    ``released``."""

    @classmethod
    def make_runtime(cls, callbacks: CallbackServer) -> Runtime:
        raise NotImplementedError

    @classmethod
    def resources(cls, runtime: Runtime, handler: Handler) -> list[Any]:
        """What a started handler holds (a process, a container, a network ...)."""
        raise NotImplementedError

    @classmethod
    def released(cls, resource: Any) -> bool:
        """Whether a resource from ``resources`` is gone."""
        raise NotImplementedError

    @pytest.fixture(scope="class")
    @classmethod
    def runtime(cls, callbacks: CallbackServer) -> Iterator[Runtime]:
        saved = os.environ.get(FORCE_EMULATION_ENV)
        os.environ[FORCE_EMULATION_ENV] = "1"  # emulate GPUs even on a GPU machine
        try:
            with cls.make_runtime(callbacks) as runtime:
                yield runtime
        finally:
            if saved is None:
                os.environ.pop(FORCE_EMULATION_ENV, None)
            else:
                os.environ[FORCE_EMULATION_ENV] = saved

    @pytest.fixture(scope="class")
    @classmethod
    def handlers(cls, runtime: Runtime) -> dict[str, Handler]:
        """Every test source's handler, started at once (start-up dominates the cost)."""

        def start(item: tuple[str, tuple[Any, str]]) -> tuple[str, Handler]:
            name, (folder, environment) = item
            handler = runtime.start(
                load_source_folder(folder),
                environment,
                source_address=SOURCE_ADDRESS,
                provider_address=PROVIDER_ADDRESS,
            )
            return name, handler

        with ThreadPoolExecutor(max_workers=len(HANDLERS)) as pool:
            return dict(pool.map(start, HANDLERS.items()))

    def test_success_calls_back_with_the_output_models_json(self, handlers):
        assert handlers["multiply"].run("multiply", new_task(), {"a": 5, "b": 7}) == {"result": 35}

    def test_init_hook_runs_before_the_first_task(self, handlers):
        result = handlers["sentiment"].run("classify", new_task(), {"text": "Great, fast!"})
        assert result == {"label": "positive", "score": 2.0}

    def test_invalid_input_is_a_422_shaped_input_error(self, handlers):
        with pytest.raises(HandlerInputError) as caught:
            handlers["multiply"].run("multiply", new_task(), {"a": "x"})
        assert caught.value.function_name == "multiply"
        assert caught.value.detail == [
            {
                "type": "int_parsing",
                "loc": ["body", "a"],
                "msg": "Input should be a valid integer, unable to parse string as an integer",
                "input": "x",
            },
            {"type": "missing", "loc": ["body", "b"], "msg": "Field required", "input": {"a": "x"}},
        ]

    def test_a_body_that_is_not_an_object_is_an_input_error(self, handlers):
        with pytest.raises(HandlerInputError) as caught:
            handlers["multiply"].dispatch("multiply", new_task(), [1, 2])  # type: ignore[arg-type]
        assert caught.value.detail == [
            {
                "type": "model_attributes_type",
                "loc": ["body"],
                "msg": "Input should be a valid dictionary or object to extract fields from",
                "input": [1, 2],
            }
        ]

    def test_an_unknown_function_is_an_input_error_naming_what_is_exposed(self, handlers):
        task = new_task()
        with pytest.raises(UnknownFunctionError) as caught:
            handlers["multiply"].dispatch("divide", task, {"a": 1, "b": 2})
        assert isinstance(caught.value, HandlerInputError)
        assert (caught.value.function_name, caught.value.exposed) == ("divide", ["multiply"])
        assert str(caught.value) == (
            f"divide rejected the input of task {task}: path.function_name: "
            "no function 'divide'; the handler exposes: multiply"
        )

    def test_invalid_input_and_an_unknown_function_share_one_message_shape(self, handlers):
        task = new_task()
        with pytest.raises(HandlerInputError) as caught:
            handlers["multiply"].dispatch("multiply", task, {"a": 1})
        assert str(caught.value) == (
            f"multiply rejected the input of task {task}: body.b: Field required"
        )

    def test_a_handler_exception_is_a_raised_error_naming_it_and_sends_no_callback(self, handlers):
        task = new_task()
        with pytest.raises(HandlerRaisedError) as caught:
            handlers["raises"].run("checked", task, {"value": -1}, timeout=10)
        assert str(caught.value) == (
            f"checked raised for task {task}: negative value -1 (the handler's log has the "
            "traceback)"
        )
        assert f"[{task}] Error in `checked`: negative value -1" in handlers["raises"].logs()

    def test_handler_keeps_serving_after_an_exception(self, handlers):
        with pytest.raises(HandlerRaisedError):
            handlers["raises"].run("checked", new_task(), {"value": -2}, timeout=10)
        assert handlers["raises"].run("checked", new_task(), {"value": 4}) == {"value": 4}

    def test_expose_timeout_expiry_sends_no_callback(self, handlers):
        # expose(timeout=1); the function itself finishes at 1.5 s, inside the 3 s wait.
        assert handlers["slow"].run("sleepy", new_task(), {"seconds": 1.5}, timeout=3) is None

    def test_expose_timeout_lets_a_quick_call_through(self, handlers):
        assert handlers["slow"].run("sleepy", new_task(), {"seconds": 0.1}) == {"seconds": 0.1}

    def test_a_wait_cut_at_the_callers_deadline_resumes_and_takes_the_callback(self, handlers):
        task = new_task()
        with pytest.raises(HandlerStillRunning) as caught:
            handlers["slow"].run(
                "sleepy", task, {"seconds": 0.6}, timeout=10, until=time.monotonic() + 0.1
            )
        assert str(caught.value) == f"sleepy is still running task {task}"

        result = handlers["slow"].run(
            "sleepy", task, {"seconds": 0.6}, timeout=10, running=caught.value.running
        )

        assert result == {"seconds": 0.6}

    def test_no_callback_within_the_timeout_is_a_handler_timeout_naming_the_setting(self, handlers):
        task = new_task()
        with pytest.raises(HandlerTimeoutError) as caught:
            handlers["slow"].run("sleepy", task, {"seconds": 0.9}, timeout=0.2)
        assert str(caught.value) == (
            f"sleepy sent no callback for task {task} within 0.2 s (handler_timeout: "
            "Simulator.start(handler_timeout=...), ini ogpu_handler_timeout)"
        )

    def test_two_sources_run_at_once(self, handlers):
        barrier = threading.Barrier(2)

        def run(name: str, function: str, data: dict[str, Any]) -> dict[str, Any] | None:
            barrier.wait()
            return handlers[name].run(function, new_task(), data)

        with ThreadPoolExecutor(max_workers=2) as pool:
            product = pool.submit(run, "multiply", "multiply", {"a": -3, "b": 4})
            mood = pool.submit(run, "sentiment", "classify", {"text": "awful and slow"})
            assert product.result() == {"result": -12}
            assert mood.result() == {"label": "negative", "score": -2.5}

    @pytest.mark.parametrize("environment", ["nvidia", "amd"])
    def test_gpu_environment_without_the_gpu_is_emulated(self, handlers, environment):
        handler = handlers[f"probe-{environment}"]
        assert (handler.environment, handler.emulated) == (environment, True)
        assert f"emulating the {environment} environment" in handler.logs()

    def test_init_hook_failure_is_a_start_error_with_the_handler_log(self, runtime):
        with pytest.raises(HandlerStartError) as caught:
            runtime.start(load_source_folder(BROKEN / "initfail"))
        assert caught.value.source == "initfail"
        assert "Init function `load_weights` failed: weights.bin is missing" in caught.value.log
        assert "FileNotFoundError: weights.bin is missing" in caught.value.log

    def test_a_relative_import_in_a_cmd_script_is_a_start_error_naming_main_py(self, runtime):
        with pytest.raises(HandlerStartError) as caught:
            runtime.start(load_source_folder(REAL / "relative-import"))
        assert (caught.value.file, caught.value.exception) == (
            "main.py",
            "ImportError: attempted relative import with no known parent package",
        )
        assert caught.value.problem == (
            "main.py failed to start: "
            "ImportError: attempted relative import with no known parent package"
        )
        assert "from .models import Echo" in caught.value.log

    def test_everything_started_is_released_when_a_test_fails(self, callbacks):
        held: list[Any] = []
        runtime = self.make_runtime(callbacks)
        with pytest.raises(AssertionError, match="the test failed"), runtime:
            handler = runtime.start(load_source_folder(SAMPLES / "multiply"))
            held = self.resources(runtime, handler)
            raise AssertionError("the test failed")
        assert held, "the runtime reported nothing to release"
        assert [r for r in held if not self.released(r)] == []
        runtime.close()  # idempotent
        with pytest.raises(HandlerDispatchError):
            handler.dispatch("multiply", new_task(), {"a": 1, "b": 1})


class SeparateProcessConformance(RuntimeConformance):
    """Runtimes whose handlers run in their own process and so get their own environment."""

    def test_expose_timeout_expiry_sends_no_callback(self, handlers):
        # expose(timeout=1) logs its timeout without the task's address, so the wait for the
        # callback is what ends it: no callback within the 3 s.
        task = new_task()
        with pytest.raises(HandlerTimeoutError, match=f"^sleepy sent no callback for task {task} "):
            handlers["slow"].run("sleepy", task, {"seconds": 1.5}, timeout=3)

    @pytest.mark.parametrize("environment", ["nvidia", "amd"])
    def test_handler_sees_its_addresses_compose_variables_and_emulated_environment(
        self, handlers, environment
    ):
        result = handlers[f"probe-{environment}"].run("probe", new_task(), {})
        assert result == {
            "values": {
                "OGPU_SIM_ENVIRONMENT": environment,
                "SOURCE_ADDRESS": SOURCE_ADDRESS,
                "PROVIDER_ADDRESS": PROVIDER_ADDRESS,
                "PROBE_FROM_COMPOSE": "compose-value",
            }
        }
