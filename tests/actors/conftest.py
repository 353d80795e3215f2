"""Lifecycle fixtures: the session simulator from tests/sdk, reused."""

from tests.sdk.conftest import isolated, make_source, make_task, sim  # noqa: F401
