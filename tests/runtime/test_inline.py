"""The conformance suite on the inline runtime, and what is particular to importing handlers."""

from __future__ import annotations

import sys
from typing import Any

import ogpu.service.handler as registry
import pytest

from ogpu_sim.errors import HandlerRaisedError
from ogpu_sim.runtime import (
    CallbackServer,
    Handler,
    HandlerInputError,
    Runtime,
    create_runtime,
    load_source_folder,
)
from ogpu_sim.runtime.inline import InlineHandler

from .conformance import RuntimeConformance, new_task
from .conftest import BROKEN, SAMPLES


@pytest.mark.xdist_group("runtime-inline")  # one class setup, on one worker (--dist loadgroup)
class TestInlineRuntime(RuntimeConformance):
    @classmethod
    def make_runtime(cls, callbacks: CallbackServer) -> Runtime:
        return create_runtime("inline", callbacks)

    @classmethod
    def resources(cls, runtime: Runtime, handler: Handler) -> list[Any]:
        assert isinstance(handler, InlineHandler) and handler._module is not None
        return [handler._module.module.__name__]

    @classmethod
    def released(cls, resource: Any) -> bool:
        return resource not in sys.modules


def test_the_same_source_imports_twice_without_a_duplicate_name_error(callbacks):
    with create_runtime("inline", callbacks) as runtime:
        first = runtime.start(load_source_folder(SAMPLES / "multiply"))
        second = runtime.start(load_source_folder(SAMPLES / "multiply"))
        assert first.run("multiply", new_task(), {"a": 2, "b": 3}) == {"result": 6}
        assert second.run("multiply", new_task(), {"a": 4, "b": 3}) == {"result": 12}


def test_importing_handlers_leaves_the_sdk_registry_as_it_was(callbacks):
    before = (list(registry._exposed_handlers), registry._init_handler)
    with create_runtime("inline", callbacks) as runtime:
        runtime.start(load_source_folder(SAMPLES / "sentiment"))
    assert (list(registry._exposed_handlers), registry._init_handler) == before


def test_a_handler_that_raises_is_reported_without_waiting_the_timeout(callbacks):
    with create_runtime("inline", callbacks) as runtime:
        handler = runtime.start(load_source_folder(BROKEN / "raises"))
        # A 10-minute timeout would hang the suite if the failure were not reported at once.
        with pytest.raises(HandlerRaisedError, match=r"^checked raised for task 0x"):
            handler.run("checked", new_task(), {"value": -1}, timeout=600)


def test_the_service_start_call_is_a_no_op_during_import(callbacks):
    import ogpu.service

    start = ogpu.service.start
    with create_runtime("inline", callbacks) as runtime:
        handler = runtime.start(load_source_folder(SAMPLES / "multiply"))
        assert handler.url is None
    assert ogpu.service.start is start


def test_a_fractional_number_is_refused_for_an_int_field(callbacks):
    with create_runtime("inline", callbacks) as runtime:
        handler = runtime.start(load_source_folder(SAMPLES / "multiply"))
        with pytest.raises(HandlerInputError) as caught:
            handler.dispatch("multiply", new_task(), {"a": 1.5, "b": 2})
        assert [e["type"] for e in caught.value.detail] == ["int_from_float"]


def test_extra_input_keys_are_ignored_as_fastapi_does(callbacks):
    with create_runtime("inline", callbacks) as runtime:
        handler = runtime.start(load_source_folder(SAMPLES / "multiply"))
        assert handler.run("multiply", new_task(), {"a": 1, "b": 2, "c": 3}) == {"result": 2}


def test_a_return_value_that_is_not_a_model_is_a_handler_failure(callbacks, tmp_path):
    # The SDK calls result.model_dump(): a plain dict fails there, so no callback is sent.
    folder = tmp_path / "dict-returner"
    folder.mkdir()
    (folder / "handler.py").write_text(
        "from pydantic import BaseModel\nimport ogpu.service\n\n"
        "class Q(BaseModel):\n    x: int\n\n"
        "@ogpu.service.expose()\ndef echo(data: Q) -> Q:\n    return {'x': data.x}\n"
    )
    (folder / "docker-compose.yml").write_text(
        (SAMPLES / "multiply" / "docker-compose.yml").read_text()
    )
    with create_runtime("inline", callbacks) as runtime:
        handler = runtime.start(load_source_folder(folder))
        task = new_task()
        with pytest.raises(HandlerRaisedError) as caught:
            handler.run("echo", task, {"x": 1}, timeout=600)
        assert caught.value.error == "'dict' object has no attribute 'model_dump'"
        assert f"[{task}] Error in `echo`: 'dict' object has no attribute 'model_dump'" in (
            handler.logs()
        )


def test_a_callback_reaches_this_process_when_the_environment_names_a_dead_proxy(
    callbacks, monkeypatch
):
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)

    with create_runtime("inline", callbacks) as runtime:
        handler = runtime.start(load_source_folder(SAMPLES / "multiply"))
        assert handler.run("multiply", new_task(), {"a": 2, "b": 5}, timeout=10) == {"result": 10}
