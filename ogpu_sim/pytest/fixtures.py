"""The plugin's public fixtures, the configuration seams a source author overrides in a conftest.

``ogpu_sim`` (the session's :class:`~ogpu_sim.Simulator`, the SDK bound to it),
``ogpu_accounts``, ``ogpu_ipfs``, the ``ogpu_source`` and ``ogpu_provider`` factories, the
``ogpu_environment`` of ``@pytest.mark.ogpu_environments`` runs, and the small fixtures
``ogpu_sim_options``, ``ogpu_compose_override`` and ``ogpu_source_dir`` that exist to be
overridden. :mod:`ogpu_sim.pytest.plugin` re-exports them, since pytest finds a plugin's
fixtures in the namespace of the module its ``pytest11`` entry point names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ogpu_sim.pytest.options import PluginConfig
from ogpu_sim.pytest.state import CONFIG, RUNNING


@pytest.fixture(scope="session")
def ogpu_sim_options(pytestconfig: pytest.Config) -> dict[str, Any]:
    """Keyword arguments for ``Simulator.start``; override in a conftest to customise."""
    return pytestconfig.stash[CONFIG].simulator_options()


@pytest.fixture(scope="session")
def ogpu_compose_override(pytestconfig: pytest.Config) -> list[Path]:
    """Compose override files for the source's stacks (ini ``ogpu_compose_override``); override
    in a conftest to compute them."""
    root = pytestconfig.rootpath
    return [root / p for p in pytestconfig.stash[CONFIG].compose_overrides]


@pytest.fixture(scope="session")
def ogpu_sim(
    ogpu_sim_options: dict[str, Any],
    pytestconfig: pytest.Config,
    ogpu_source_dir: Path | None,
    request: pytest.FixtureRequest,
) -> Iterator[Any]:
    """The session's :class:`ogpu_sim.Simulator`, with the real SDK bound to it (attached to
    the ``--ogpu-network`` one in attach mode)."""
    from ogpu_sim.errors import OgpuSimError
    from ogpu_sim.simulator import Simulator

    attached = pytestconfig.stash[CONFIG].attached
    if attached and hasattr(pytestconfig, "workerinput"):
        raise pytest.UsageError(
            "ogpu-sim attach mode signs with one set of keys from one process: run it "
            "without -n (pytest-xdist)"
        )
    try:
        if attached:
            sim = Simulator.attach(quiet=True, **ogpu_sim_options)
        else:
            sim = Simulator.start(**ogpu_sim_options)
    except OgpuSimError as exc:
        failure = f"ogpu-sim could not {'attach' if attached else 'start'}: {exc}"
    else:
        failure = ""
    if failure:
        # Every later test would fail on the same cached error: this one reports it, briefly,
        # and the session stops after it (pytest.exit would crash a pytest-xdist worker).
        request.session.shouldstop = failure
        pytest.fail(failure, pytrace=False)
    if ogpu_source_dir is not None:
        from ogpu_sim.sources import detect_urls, explicit_urls

        prefix = pytestconfig.stash[CONFIG].source_url
        sim.fleet.urls = (
            explicit_urls(prefix, ogpu_source_dir) if prefix else detect_urls(ogpu_source_dir)
        )
    RUNNING["sim"] = sim
    try:
        yield sim
    finally:
        RUNNING.pop("sim", None)
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
    runtime = pytestconfig.stash[CONFIG].runtime

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
    reason = environment_skip(folder, environment, request.config.stash[CONFIG])
    if reason:
        pytest.skip(reason)
    return environment


def environment_skip(folder: Path | str | None, environment: str, config: PluginConfig) -> str:
    """Why ``environment`` cannot run for the source in ``folder`` ("" when it can)."""
    declared: tuple[str, ...] = ()
    where = "no source folder (pass one to the marker, or set ogpu_source_dir)"
    if folder is not None:
        from ogpu_sim.runtime import load_source_folder

        spec = load_source_folder(folder)
        declared = tuple(spec.environments)
        where = f"source {spec.name!r} ({spec.path})"
    if environment not in declared:
        return f"{where} declares no {environment} environment"
    if environment not in config.environments:
        return f"{environment} not selected by --ogpu-environments"
    return ""
