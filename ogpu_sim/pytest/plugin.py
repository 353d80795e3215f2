"""The pytest plugin source authors put in their CI (entry point ``pytest11: ogpu_sim``).

This module holds the hooks; the fixtures are a public contract, defined in :mod:`.fixtures`
and re-exported here: ``ogpu_sim`` (one session :class:`Simulator`, SDK bound),
``ogpu_accounts``, ``ogpu_ipfs``, ``ogpu_provider`` (factory), ``ogpu_source`` (factory), and the
small overridable configuration fixtures ``ogpu_sim_options`` and ``ogpu_source_dir``. Options
are read and validated in :mod:`.options`, the failure section and the report written by
:mod:`.reporting`.

Isolation is ambient and scope-aware, all through :meth:`Simulator.isolated`: for every module,
class and test that (transitively) uses ``ogpu_sim``, the plugin snapshots the chain before that
scope's fixtures run and reverts after they are torn down, so module- and class-scoped fixtures
keep their state for their tests, each test starts from its scope's state, and nothing leaks
between tests. A hypothesis ``@given`` test is isolated per example as well. Sessions that never
use the fixtures never start a simulator.

Known, harmless third-party warnings of the SDK's stack are kept out of the user's warning
filters (``ogpu_sdk_warnings = show`` lets them through): see :data:`QUIET_WARNINGS`.

Attach mode (``--ogpu-network``) runs the same tests against an already-deployed network with
the user's keys, and the report header says what differs: there are no snapshots, so each
test gets fresh sources and tasks and isolation only stops the test's local providers and its
tasks being waited for; there is no time travel; the providers are the live network's plus the
local ones tests add. A test or fixture that needs what a live network cannot do raises
:class:`~ogpu_sim.errors.AttachModeError`, which the plugin reports as a skip naming the mode;
a transaction past the ``--ogpu-max-spend`` cap fails its test with
:class:`~ogpu_sim.errors.SpendCapError` and stops the session.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import pytest

from ogpu_sim.pytest.fixtures import (
    ogpu_accounts,
    ogpu_compose_override,
    ogpu_environment,
    ogpu_ipfs,
    ogpu_provider,
    ogpu_sim,
    ogpu_sim_options,
    ogpu_source,
    ogpu_source_dir,
)
from ogpu_sim.pytest.options import OPTIONS, PluginConfig, read_config
from ogpu_sim.pytest.state import CONFIG, EXAMPLE, MARK, REPORT, RUNNING, USERS
from ogpu_sim.sdk.warnings import KNOWN_WARNINGS, preimport_quietly, quietly
from ogpu_sim.vocabulary import ENVIRONMENTS

QUIET_WARNINGS = KNOWN_WARNINGS
"""The third-party warnings the plugin hides (see :mod:`ogpu_sim.sdk.warnings`)."""
WORKER_REPORT = "ogpu_sim_report"
"""Where an xdist worker hands its ``--ogpu-report`` records to the controller."""

__all__ = [  # pytest registers the fixtures it finds in this module's namespace
    "QUIET_WARNINGS",
    "ogpu_accounts",
    "ogpu_compose_override",
    "ogpu_environment",
    "ogpu_ipfs",
    "ogpu_provider",
    "ogpu_sim",
    "ogpu_sim_options",
    "ogpu_source",
    "ogpu_source_dir",
]


# -- options ---------------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ogpu-sim", "ogpu-sim local OpenGPU network")
    for option in OPTIONS:
        group.addoption(option.flag, dest=option.dest, default=None, help=option.help)
        # "" stands for unset (pytest 9 deprecates reading config.inicfg to tell): the
        # option's default applies, see options._value.
        parser.addini(option.ini, option.help, default="")
    parser.addini(
        "ogpu_source_dir", "default source folder for ogpu_source / the marker", default=""
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "ogpu_environments(source_dir=None): run the test once per hardware environment "
        "(cpu/nvidia/amd) the source declares, as the `ogpu_environment` fixture",
    )
    config.addinivalue_line(
        "markers",
        "ogpu_chain_faults(rate, method='eth_sendRawTransaction'): during this test, that share "
        "of the method's calls fail transiently (a connection reset), recorded in the timeline",
    )
    hide = _hides_sdk_warnings(config)
    if hide:
        # Imported once here under a narrow filter, the module never warns again (a user's
        # `import ogpu` at collection would otherwise fail under filterwarnings = error).
        preimport_quietly()
    try:
        with _quiet_if(hide):  # attach mode's checks import the SDK's stack
            config.stash[CONFIG] = read_config(config)
    except ValueError as exc:
        raise pytest.UsageError(f"ogpu-sim: {exc}") from exc
    _check_tools(config.stash[CONFIG])
    _check_paths(config)


def _check_paths(config: pytest.Config) -> None:
    """A source folder or compose override that is not there, or an override that is not a
    compose file, stops the session once, before any test, instead of failing every test that
    publishes a source (or, on the inline and process runtimes, none)."""
    root = config.rootpath
    folder = config.getini("ogpu_source_dir")
    if folder and not (root / folder).is_dir():
        problem = "is not a folder" if (root / folder).exists() else "does not exist"
        raise pytest.UsageError(f"ogpu-sim: ogpu_source_dir: {root / folder} {problem}")
    names = "--ogpu-compose-override/ogpu_compose_override"
    for override in config.stash[CONFIG].compose_overrides:
        if not (root / override).is_file():
            raise pytest.UsageError(
                f"ogpu-sim: {names}: {root / override} is not a file (paths are relative to "
                "the rootdir)"
            )
        from ogpu_sim.sources import ComposeError, check_override

        try:
            check_override(root / override)
        except ComposeError as exc:
            raise pytest.UsageError(f"ogpu-sim: {names}: {exc}") from exc


def _check_tools(plugin: PluginConfig) -> None:
    """A backend whose program is missing stops the session once, before any test, instead of
    failing every test that takes the simulator."""
    if plugin.runtime == "docker":
        from ogpu_sim.runtime import docker_available

        usable, reason = docker_available()
        if not usable:
            raise pytest.UsageError(
                f"ogpu-sim: --ogpu-runtime/ogpu_runtime docker: {reason}; start a Docker engine "
                "(or point DOCKER_HOST at one), or use the auto or process runtime"
            )
    if plugin.attached or plugin.backend != "anvil":
        return
    from ogpu_sim.chain.anvil import find_anvil
    from ogpu_sim.errors import AnvilNotFoundError

    try:
        find_anvil()
    except AnvilNotFoundError as exc:
        raise pytest.UsageError(f"ogpu-sim: --ogpu-backend/ogpu_backend anvil: {exc}") from exc


def _hides_sdk_warnings(config: pytest.Config) -> bool:
    """``ogpu_sdk_warnings`` before the options are validated (anything but ``show`` hides)."""
    raw = config.getoption("ogpu_sdk_warnings", default=None) or config.getini("ogpu_sdk_warnings")
    return str(raw or "hide").strip().lower() != "show"


def _quiet_if(hide: bool) -> AbstractContextManager[None]:
    """The known SDK-stack warnings ignored (in front of the user's filters) while inside."""
    return quietly(hide)


def pytest_report_header(config: pytest.Config) -> list[str]:
    plugin = config.stash[CONFIG]
    lines = ["ogpu-sim: " + plugin.header()]
    if plugin.attached:
        with _quiet_if(not plugin.sdk_warnings):  # reads the chain through web3
            lines += [f"ogpu-sim: {line}" for line in _attach_summary(plugin)]
    return lines


def _attach_summary(plugin: PluginConfig) -> list[str]:
    """The accounts an attached session spends from, with balances (or why it cannot start)."""
    from ogpu_sim.errors import OgpuSimError
    from ogpu_sim.network.attach import AttachOptions, describe

    try:
        return describe(AttachOptions(**plugin.simulator_options()))
    except OgpuSimError as exc:
        return [f"cannot attach: {exc}"]


# -- which scopes use the simulator ---------------------------------------------------------


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    users: set[str] = set()
    for item in items:
        if "ogpu_sim" in getattr(item, "fixturenames", ()):
            node: Any = item
            while node is not None:
                users.add(node.nodeid)
                node = node.parent
    if items:
        items[0].session.stash[USERS] = users


def _uses_sim(request: pytest.FixtureRequest) -> bool:
    return request.node.nodeid in request.session.stash.get(USERS, set())


def _isolate(request: pytest.FixtureRequest) -> Iterator[None]:
    """Snapshot before the scope's fixtures, revert after their teardown (scope users only)."""
    if not _uses_sim(request):
        yield
        return
    with request.getfixturevalue("ogpu_sim").isolated():
        yield


@pytest.fixture(scope="module", autouse=True)
def _ogpu_module_isolation(request: pytest.FixtureRequest) -> Iterator[None]:
    yield from _isolate(request)


@pytest.fixture(scope="class", autouse=True)
def _ogpu_class_isolation(request: pytest.FixtureRequest) -> Iterator[None]:
    if request.cls is None:
        yield
        return
    yield from _isolate(request)


@pytest.fixture(autouse=True)
def _ogpu_test_isolation(request: pytest.FixtureRequest) -> Iterator[None]:
    if "ogpu_sim" not in request.fixturenames:
        yield
        return
    sim = request.getfixturevalue("ogpu_sim")
    flaky_ipfs = request.config.stash[CONFIG].ipfs_faults
    rate, method = _chain_faults(request)
    with sim.isolated():
        if flaky_ipfs:
            sim.ipfs.faults.fail_next(1, status=503, route="/file/create")
        request.node.stash[MARK] = sim.mark()
        if rate:
            sim.chain.faults.fail_rate(rate, method=method, seed=len(request.node.nodeid))
        try:
            yield
        finally:
            if rate:
                sim.chain.faults.reset()
            if flaky_ipfs:
                sim.ipfs.faults.reset()


def _chain_faults(request: pytest.FixtureRequest) -> tuple[float, str | None]:
    """The test's chain fault rate and method: its marker, else ``--ogpu-chain-faults``."""
    from ogpu_sim.pytest.options import fault_rate

    marker = request.node.get_closest_marker("ogpu_chain_faults")
    if marker is None:
        return request.config.stash[CONFIG].chain_faults, "eth_sendRawTransaction"
    raw = marker.args[0] if marker.args else marker.kwargs.get("rate", 0.1)
    try:
        rate = fault_rate(raw, "@pytest.mark.ogpu_chain_faults rate")
    except ValueError as exc:
        raise pytest.UsageError(f"ogpu-sim: {exc}") from exc
    return rate, marker.kwargs.get("method", "eth_sendRawTransaction")


@pytest.hookimpl(wrapper=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> Any:
    """Isolate each example of a hypothesis ``@given`` test that uses the simulator; in attach
    mode report what a live network cannot do as a skip, and a spend past the cap as itself."""
    sim = RUNNING.get("sim")
    handle = getattr(pyfuncitem.obj, "hypothesis", None)
    if sim is None or handle is None or "ogpu_sim" not in pyfuncitem.fixturenames:
        with _attach_outcomes(pyfuncitem.session):
            return (yield)
    inner = handle.inner_test

    @functools.wraps(inner)  # hypothesis names a falsifying example after the function it runs
    def isolated_example(*args: Any, **kwargs: Any) -> Any:
        with sim.isolated():
            mark = sim.mark()
            try:
                return inner(*args, **kwargs)
            except BaseException:
                # Kept before the revert undoes it; hypothesis replays the falsifying example
                # last, so the last one kept is the one it reports.
                from ogpu_sim.pytest.reporting import failure_text

                entries = sim.timeline.since(mark.timeline)
                pyfuncitem.stash[EXAMPLE] = (failure_text(sim, mark), entries)
                raise

    handle.inner_test = isolated_example
    try:
        with _attach_outcomes(pyfuncitem.session):
            return (yield)
    finally:
        handle.inner_test = inner


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef: Any, request: pytest.FixtureRequest) -> Any:
    """A fixture that needs what a live network cannot do skips its tests, naming the mode."""
    with _attach_outcomes(request.session):
        return (yield)


@contextmanager
def _attach_outcomes(session: pytest.Session) -> Iterator[None]:
    if not session.config.stash[CONFIG].attached:
        yield
        return
    from ogpu_sim.errors import AttachModeError, SpendCapError

    try:
        yield
    except AttachModeError as exc:
        # Reported at the test, not here (what pytest.mark.skip does).
        raise pytest.skip.Exception(str(exc), _use_item_location=True) from None
    except Exception as exc:
        cap = exc if isinstance(exc, SpendCapError) else exc.__cause__
        if not isinstance(cap, SpendCapError):
            raise
        session.shouldstop = f"ogpu-sim: {cap}"
        if cap is exc:
            raise
        raise cap from None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Any:
    """Inside pytest's own warning capture, so these narrow ignores win over ``error``."""
    with _quiet_if(not item.config.stash[CONFIG].sdk_warnings):
        return (yield)


# -- the environments marker ----------------------------------------------------------------


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One test per environment; whether each runs is decided in ``ogpu_environment``."""
    if metafunc.definition.get_closest_marker("ogpu_environments") is None:
        return
    metafunc.parametrize("ogpu_environment", list(ENVIRONMENTS), indirect=True, scope="function")


# -- failure report -------------------------------------------------------------------------


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    sim = RUNNING.get("sim")
    mark = item.stash.get(MARK, None)
    if sim is None or mark is None or report.when != "call":
        return report
    from ogpu_sim.pytest.reporting import failure_text, report_entry

    entries = sim.timeline.since(mark.timeline)
    text = failure_text(sim, mark) if report.failed else ""
    example = item.stash.get(EXAMPLE, None)
    if report.failed and example is not None:
        text = "the falsifying example (each example runs on its own snapshot):\n" + example[0]
        entries = example[1]
    if text:
        report.sections.append(("ogpu-sim timeline", text))
    if item.config.stash[CONFIG].report:
        REPORT.append(report_entry(item.nodeid, report.outcome, entries))
    return report


def pytest_sessionstart(session: pytest.Session) -> None:
    REPORT.clear()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """pytest-xdist, on the controller: a worker's report records join the session's, in the
    order of their test ids (workers finish in any order)."""
    raw = getattr(node, "workeroutput", {}).get(WORKER_REPORT)
    if raw:
        REPORT.extend(json.loads(raw))
        REPORT.sort(key=lambda entry: str(entry["test"]))


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    path = config.stash[CONFIG].report if CONFIG in config.stash else ""
    if not path:
        return
    workeroutput = getattr(config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: the controller writes the one report
        workeroutput[WORKER_REPORT] = json.dumps(REPORT)
        return
    from ogpu_sim.pytest.reporting import write_report

    write_report(path, REPORT)
