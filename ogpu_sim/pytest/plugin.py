"""The pytest plugin source authors put in their CI (entry point ``pytest11: ogpu_sim``).

Fixtures are a public contract: ``ogpu_sim`` (one session :class:`Simulator`, SDK bound),
``ogpu_accounts``, ``ogpu_ipfs``, ``ogpu_provider`` (factory), ``ogpu_source`` (factory), and the
small overridable configuration fixtures ``ogpu_sim_options`` and ``ogpu_source_dir``.

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
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest

from ogpu_sim.pytest.options import OPTIONS, PluginConfig, environment_skip, read_config
from ogpu_sim.sdk.warnings import KNOWN_WARNINGS, preimport_quietly, quietly
from ogpu_sim.vocabulary import ENVIRONMENTS

_CONFIG = pytest.StashKey[PluginConfig]()
_USERS = pytest.StashKey[set[str]]()
_MARK = pytest.StashKey[Any]()

QUIET_WARNINGS = KNOWN_WARNINGS
"""The third-party warnings the plugin hides (see :mod:`ogpu_sim.sdk.warnings`)."""
_SIM: dict[str, Any] = {}
_REPORT: list[dict[str, Any]] = []


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
            config.stash[_CONFIG] = read_config(config)
    except ValueError as exc:
        raise pytest.UsageError(f"ogpu-sim: {exc}") from exc
    _check_tools(config.stash[_CONFIG])


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
    plugin = config.stash[_CONFIG]
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
        items[0].session.stash[_USERS] = users


def _uses_sim(request: pytest.FixtureRequest) -> bool:
    return request.node.nodeid in request.session.stash.get(_USERS, set())


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
    flaky_ipfs = request.config.stash[_CONFIG].ipfs_faults
    rate, method = _chain_faults(request)
    with sim.isolated():
        if flaky_ipfs:
            sim.ipfs.faults.fail_next(1, status=503, route="/file/create")
        request.node.stash[_MARK] = sim.mark()
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
        return request.config.stash[_CONFIG].chain_faults, "eth_sendRawTransaction"
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
    sim = _SIM.get("sim")
    handle = getattr(pyfuncitem.obj, "hypothesis", None)
    if sim is None or handle is None or "ogpu_sim" not in pyfuncitem.fixturenames:
        with _attach_outcomes(pyfuncitem.session):
            return (yield)
    inner = handle.inner_test

    @functools.wraps(inner)  # hypothesis names a falsifying example after the function it runs
    def isolated_example(*args: Any, **kwargs: Any) -> Any:
        with sim.isolated():
            return inner(*args, **kwargs)

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
    if not session.config.stash[_CONFIG].attached:
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
    with _quiet_if(not item.config.stash[_CONFIG].sdk_warnings):
        return (yield)


# -- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def ogpu_sim_options(pytestconfig: pytest.Config) -> dict[str, Any]:
    """Keyword arguments for ``Simulator.start``; override in a conftest to customise."""
    return pytestconfig.stash[_CONFIG].simulator_options()


@pytest.fixture(scope="session")
def ogpu_compose_override(pytestconfig: pytest.Config) -> list[Path]:
    """Compose override files for the source's stacks (ini ``ogpu_compose_override``); override
    in a conftest to compute them."""
    root = pytestconfig.rootpath
    return [root / p for p in pytestconfig.stash[_CONFIG].compose_overrides]


@pytest.fixture(scope="session")
def ogpu_sim(
    ogpu_sim_options: dict[str, Any],
    pytestconfig: pytest.Config,
    ogpu_source_dir: Path | None,
) -> Iterator[Any]:
    """The session's :class:`ogpu_sim.Simulator`, with the real SDK bound to it (attached to
    the ``--ogpu-network`` one in attach mode)."""
    from ogpu_sim.simulator import Simulator

    if pytestconfig.stash[_CONFIG].attached:
        if hasattr(pytestconfig, "workerinput"):
            raise pytest.UsageError(
                "ogpu-sim attach mode signs with one set of keys from one process: run it "
                "without -n (pytest-xdist)"
            )
        sim = Simulator.attach(quiet=True, **ogpu_sim_options)
    else:
        sim = Simulator.start(**ogpu_sim_options)
    if ogpu_source_dir is not None:
        from ogpu_sim.sources import detect_urls, explicit_urls

        prefix = pytestconfig.stash[_CONFIG].source_url
        sim.fleet.urls = (
            explicit_urls(prefix, ogpu_source_dir) if prefix else detect_urls(ogpu_source_dir)
        )
    _SIM["sim"] = sim
    try:
        yield sim
    finally:
        _SIM.pop("sim", None)
        sim.stop()


@pytest.fixture
def ogpu_accounts(ogpu_sim: Any) -> Any:
    """Deterministic funded accounts (``.client``, ``.provider``, ``.master``, ``.agent``)."""
    return ogpu_sim.accounts


@pytest.fixture
def ogpu_ipfs(ogpu_sim: Any) -> Any:
    """The mock IPFS server (``.add``, ``.get``, ``.faults``, ``.requests``)."""
    return ogpu_sim.ipfs


@pytest.fixture(scope="session")
def ogpu_source_dir(pytestconfig: pytest.Config) -> Path | None:
    """The default source folder (ini ``ogpu_source_dir``); override to point elsewhere."""
    value = pytestconfig.getini("ogpu_source_dir")
    return (pytestconfig.rootpath / value) if value else None


@pytest.fixture
def ogpu_source(
    ogpu_sim: Any, ogpu_source_dir: Path | None, ogpu_compose_override: list[Path]
) -> Callable[..., Any]:
    """Factory: ``ogpu_source(folder=None, compose_override=None, **SourceInfo overrides)``
    publishes a source through the SDK and returns the SDK's ``Source``; ``compose_override``
    (a path or a list) replaces the ``ogpu_compose_override`` files for this source."""

    def publish(
        folder: str | Path | None = None,
        compose_override: str | Path | list[str | Path] | None = None,
        **overrides: Any,
    ) -> Any:
        target = folder if folder is not None else ogpu_source_dir
        if target is None:
            raise pytest.UsageError(
                "ogpu_source() needs a folder: pass one, set the ini key ogpu_source_dir, "
                "or override the ogpu_source_dir fixture"
            )
        if compose_override is None:
            extra: list[str | Path] = list(ogpu_compose_override)
        elif isinstance(compose_override, (str, Path)):
            extra = [compose_override]
        else:
            extra = list(compose_override)
        if extra:
            overrides["compose_overrides"] = [Path(p) for p in extra]
        return ogpu_sim.publish_source_from_folder(target, **overrides)

    return publish


@pytest.fixture
def ogpu_provider(ogpu_sim: Any, pytestconfig: pytest.Config) -> Callable[..., Any]:
    """Factory over ``Simulator.add_provider``; returns the new ``SimulatedProvider``.

    ``ogpu_provider(source, environment="cpu", behaviour="honest", handler=None, runtime=None,
    *, stake=None, via_agent=False, delay=1.0, act_after=None)``: ``runtime`` defaults to
    ``--ogpu-runtime``. The provider's ``.address``, ``.master``, ``.account`` and its
    ``.actions`` are there to assert on.
    """
    runtime = pytestconfig.stash[_CONFIG].runtime

    def add(source: Any, environment: str = "cpu", **options: Any) -> Any:
        options.setdefault("runtime", runtime)
        return ogpu_sim.add_provider(source, environment, **options)

    return add


@pytest.fixture
def ogpu_environment(request: pytest.FixtureRequest) -> str:
    """The hardware environment of this run (set by ``@pytest.mark.ogpu_environments``).

    An environment the source does not declare, or that ``--ogpu-environments`` deselects, is
    skipped with the reason. The source folder is the marker's ``source_dir`` argument, else
    the ``ogpu_source_dir`` fixture (so a conftest override of that fixture reaches it).
    """
    environment = str(getattr(request, "param", "cpu"))
    marker = request.node.get_closest_marker("ogpu_environments")
    if marker is None:
        return environment
    folder: Any = marker.args[0] if marker.args else marker.kwargs.get("source_dir")
    if folder is None:
        folder = request.getfixturevalue("ogpu_source_dir")
    elif not Path(folder).is_absolute():
        folder = request.config.rootpath / folder
    reason = environment_skip(folder, environment, request.config.stash[_CONFIG])
    if reason:
        pytest.skip(reason)
    return environment


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
    sim = _SIM.get("sim")
    mark = item.stash.get(_MARK, None)
    if sim is None or mark is None or report.when != "call":
        return report
    from ogpu_sim.pytest.options import failure_text, report_entry

    entries = sim.timeline.since(mark.timeline)
    if report.failed:
        report.sections.append(("ogpu-sim timeline", failure_text(sim, mark)))
    if item.config.stash[_CONFIG].report:
        _REPORT.append(report_entry(item.nodeid, report.outcome, entries))
    return report


def pytest_sessionstart(session: pytest.Session) -> None:
    _REPORT.clear()


def pytest_sessionfinish(session: pytest.Session) -> None:
    path = session.config.stash[_CONFIG].report if _CONFIG in session.config.stash else ""
    if not path:
        return
    target = Path(path)
    if hasattr(session.config, "workerinput"):
        worker = session.config.workerinput["workerid"]
        target = target.with_name(f"{target.stem}.{worker}{target.suffix}")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps({"tests": _REPORT}, indent=2, sort_keys=True))
