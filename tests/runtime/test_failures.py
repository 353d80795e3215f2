"""A start failure read from a handler's log: file and exception, the same for every runtime."""

from __future__ import annotations

from ogpu_sim.runtime.failures import StartFailure, handler_name, start_failure

PROCESS_LOG = """\
ogpu-sim: running CMD ["python", "main.py"] of dockerfile in /src/app
Traceback (most recent call last):
  File "/venv/lib/python3.11/site-packages/ogpu_sim/runtime/launcher.py", line 86, in <module>
    sys.exit(main(sys.argv[1:]))
  File "<frozen runpy>", line 291, in run_path
  File "/src/app/main.py", line 7, in <module>
    from .models import Echo
ImportError: attempted relative import with no known parent package
"""

CONTAINER_LOG = """\
Traceback (most recent call last):
  File "/app/main.py", line 3, in <module>
    import ollama
ModuleNotFoundError: No module named 'ollama'
"""


def test_a_process_traceback_names_the_script_and_the_exception():
    assert start_failure(PROCESS_LOG, "main.py") == StartFailure(
        "main.py", "ImportError: attempted relative import with no known parent package"
    )


def test_a_container_path_of_the_handler_is_named_as_in_the_source():
    failure = start_failure(CONTAINER_LOG, "main.py")
    assert failure is not None
    assert (
        failure.problem()
        == "main.py failed to start: ModuleNotFoundError: No module named 'ollama'"
    )


def test_a_log_without_a_traceback_gives_nothing():
    assert start_failure("INFO Starting OpenGPU Service server...\n", "main.py") is None


def test_a_qualified_exception_type_is_named_by_its_class():
    log = (
        "Traceback (most recent call last):\n"
        '  File "/app/main.py", line 1, in <module>\n'
        "pydantic_core._pydantic_core.ValidationError: 1 validation error\n"
    )
    assert start_failure(log, "main.py") == StartFailure(
        "main.py", "ValidationError: 1 validation error"
    )


def test_handler_names_are_relative_to_the_source(tmp_path):
    assert handler_name(tmp_path, tmp_path / "src" / "main.py") == "src/main.py"
    assert handler_name(tmp_path, "/elsewhere/main.py") == "main.py"
