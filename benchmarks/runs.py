"""Whole runs ``make bench`` times on fresh simulators, and the backend-independent rows.

- :func:`simulate_runner`: the ``ogpu-sim simulate`` runner on the fixed scenario
  ``throughput.toml`` (finalized tasks per second of workload).
- :func:`machine_steps`: the :class:`~ogpu_sim.testing.LifecycleMachine` with the CI profile
  (rule steps per second of the whole run, shrinking included should it fail; on eth-tester
  its first examples only, :data:`cases.MACHINE_EXAMPLES`).
- :func:`long_session`: the FIRST_RESPONSE lifecycle well into a session (after
  ``settings.long_tasks`` of them on a fresh Simulator): how a backend's cost grows with the
  chain (anvil's grows; the in-process backends' stays flat).
- :func:`ci_property_test`: the CI-profile property test as CI runs it, in its own pytest
  process (seconds of the test itself, from pytest's JUnit report).
- :func:`runtime_dispatch`: handler dispatch to callback per runtime (no chain involved).
- :func:`vm_reference`: a fixed pure-Python workload, measured every round, that shows how fast
  this machine is at that moment (a shared VM drifts; compare rows of the same run only).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from xml.etree import ElementTree

from cases import MACHINE_EXAMPLES, Settings
from harness import timed

from ogpu_sim.simulate.spec import SAMPLE_SOURCES

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = Path(__file__).resolve().parent / "throughput.toml"
MACHINE_BACKENDS = ("eth-tester", "revm")
"""Where the LifecycleMachine runs: it freezes the chain's clock, which only in-process chains
allow (on anvil, time-dependent rules then disagree with the model)."""


def simulate_runner(backend: str, settings: Settings) -> list[float]:
    """The ``ogpu-sim simulate`` runner on the fixed :data:`SCENARIO`: finalized tasks per second
    of workload (set-up and the report excluded), each run on a fresh Simulator."""
    from ogpu_sim.simulate.runner import RunOptions, simulate
    from ogpu_sim.simulate.scenario import load_scenario

    scenario = load_scenario(SCENARIO).with_overrides(tasks=settings.scenario_tasks)
    samples = []
    with tempfile.TemporaryDirectory(prefix="ogpu-bench-") as folder:
        for index in range(settings.scenario_repeat):
            result = simulate(
                scenario,
                Path(folder) / f"run{index}",
                RunOptions(backend=backend, runtime="inline"),
            )
            finalized = sum(task["status"] == "FINALIZED" for task in result.report["tasks"])
            samples.append(finalized / result.report["timing"]["workload_seconds"])
    return samples


def machine_steps(backend: str, settings: Settings) -> list[float]:
    """One CI-profile run of the LifecycleMachine on a fresh Simulator: rule steps per second.

    A step is one rule's action checked against the model (``MachineCore.act``), the start
    state's set-up included; the invariant read after every step is part of the time. The
    examples are bounded by ``settings.machine_examples``, else :data:`MACHINE_EXAMPLES`.
    """
    from hypothesis import settings as profile

    from ogpu_sim import Simulator
    from ogpu_sim.testing import CI_PROFILE, LifecycleMachine

    chosen = profile.get_profile(CI_PROFILE)
    examples = settings.machine_examples
    if examples is None:
        examples = MACHINE_EXAMPLES.get(backend)
    if examples is not None:
        chosen = profile(chosen, max_examples=examples)
    with Simulator.start(backend=backend, runtime="inline") as sim:
        before = sum(LifecycleMachine.statistics.calls.values())
        started = time.perf_counter()
        LifecycleMachine.run(sim, chosen)
        elapsed = time.perf_counter() - started
        steps = sum(LifecycleMachine.statistics.calls.values()) - before
    return [steps / elapsed]


def long_session(backend: str, settings: Settings) -> list[float]:
    """The FIRST_RESPONSE lifecycle of :func:`cases.lifecycle_first_response` on a fresh
    Simulator, ``settings.long_tasks`` times; the samples are the last ``settings.long_tail``
    (ms): the cost of a lifecycle that far into a session."""
    from cases import Bench
    from ogpu.types import TaskStatus

    from ogpu_sim import Simulator

    with Simulator.start(backend=backend, runtime="inline") as sim:
        bench = Bench(sim)

        def lifecycle() -> None:
            task = bench.task(bench.first)
            sim.run_until_idle()
            assert task.get_status() == TaskStatus.FINALIZED

        tail = min(settings.long_tail, settings.long_tasks)
        return timed(lifecycle, tail, warmup=settings.long_tasks - tail)


PROPERTY_TEST = (
    "tests/properties/test_lifecycle.py::test_random_protocol_sequences_agree_with_the_model"
)
"""The CI-profile property test (its module fixture runs the whole CI profile once)."""
CI_TEST_BACKENDS = ("revm",)
"""Where that row runs: the property tests' backend whenever pyrevm is installed, as in CI."""


def ci_property_test(backend: str, settings: Settings) -> list[float]:
    """:data:`PROPERTY_TEST` in a pytest process of its own under the repository's pytest
    settings, its Simulator on ``backend``: the seconds pytest reports for the test (set-up,
    that is the session's Simulator start and the machine's whole run, the call and teardown;
    not pytest's start-up or collection)."""
    return [pytest_seconds(ROOT, PROPERTY_TEST, {"OGPU_SIM_PROPERTY_BACKEND": backend})]


def pytest_seconds(rootdir: Path, node_id: str, env: dict[str, str]) -> float:
    """Run one pytest node id in ``rootdir`` with ``env`` added; its time from the JUnit report.

    Raises:
        RuntimeError: pytest failed, or the node id did not name exactly one test.
    """
    with tempfile.TemporaryDirectory(prefix="ogpu-bench-") as folder:
        report = Path(folder) / "junit.xml"
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                node_id,
                "-q",
                "-p",
                "no:cacheprovider",
                f"--junitxml={report}",
            ],
            cwd=rootdir,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=600,
        )
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).splitlines()[-15:])
            raise RuntimeError(f"pytest {node_id} exited {done.returncode}:\n{tail}")
        times = [
            float(case.get("time", "nan")) for case in ElementTree.parse(report).iter("testcase")
        ]
    if len(times) != 1:
        raise RuntimeError(f"pytest {node_id} ran {len(times)} tests, not one")
    return times[0]


def vm_reference(settings: Settings) -> list[float]:
    """A fixed pure-Python workload (integer arithmetic, a dict, attribute and call overhead:
    what the harness's own Python spends its time on), in ms: the same code every run, so its
    drift is the machine's."""

    class Counter:
        def __init__(self) -> None:
            self.total = 0

        def add(self, value: int) -> None:
            self.total += value

    def work() -> None:
        counter, seen = Counter(), {}
        for index in range(200_000):
            seen[index & 1023] = index * index % 7
            counter.add(seen[index & 511])

    return timed(work, settings.repeat)


HANDLER = SAMPLE_SOURCES / "multiply"
RUNTIME_ROWS = ("runtime.inline", "runtime.process", "runtime.docker")


def runtime_dispatch(runtime: str, settings: Settings) -> list[float]:
    """``Handler.run``: POST /run/multiply/{task} (or a direct call inline) until the callback
    arrives, on a started handler of the sample source ``multiply``; backend-independent."""
    from ogpu_sim.runtime import CallbackServer, create_runtime, load_source_folder

    callbacks = CallbackServer().start()
    try:
        with create_runtime(runtime, callbacks) as started:
            handler = started.start(load_source_folder(HANDLER), "cpu")
            tasks = (f"0x{index:040x}" for index in range(1, 10**6))

            def run() -> None:
                assert handler.run("multiply", next(tasks), {"a": 6, "b": 7}) == {"result": 42}

            return timed(run, settings.repeat)
    finally:
        callbacks.stop()
