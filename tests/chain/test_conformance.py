"""The chain conformance suite, run against every backend."""

from __future__ import annotations

from contextlib import ExitStack

import pytest

from ogpu_sim.chain import Chain, create_chain
from ogpu_sim.chain.anvil import AnvilNotFoundError, find_anvil
from ogpu_sim.chain.remote import RemoteChain

from .conformance import ChainConformance
from .helpers import IN_CI


def _anvil_missing() -> str | None:
    try:
        find_anvil()
    except AnvilNotFoundError as exc:
        return str(exc)
    return None


class TestTesterChain(ChainConformance):
    """The in-process eth-tester chain through its own web3 provider."""

    @classmethod
    def start_chain(cls, stack: ExitStack) -> Chain:
        return stack.enter_context(create_chain("eth-tester"))


class TestServedTesterChain(ChainConformance):
    """The eth-tester chain served over our HTTP JSON-RPC server, driven as a RemoteChain."""

    @classmethod
    def start_chain(cls, stack: ExitStack) -> Chain:
        served = stack.enter_context(create_chain("eth-tester"))
        return stack.enter_context(RemoteChain(served.serve()))


@pytest.mark.anvil
@pytest.mark.skipif(
    _anvil_missing() is not None and not IN_CI, reason="anvil binary absent (make install)"
)
class TestAnvilChain(ChainConformance):
    """A private anvil process started by AnvilChain."""

    @classmethod
    def start_chain(cls, stack: ExitStack) -> Chain:
        return stack.enter_context(create_chain("anvil"))


class TestRevmChain(ChainConformance):
    """The in-process revm chain through its own web3 provider."""

    @classmethod
    def start_chain(cls, stack: ExitStack) -> Chain:
        return stack.enter_context(create_chain("revm"))


class TestServedRevmChain(ChainConformance):
    """The revm chain served over our HTTP JSON-RPC server, driven as a RemoteChain."""

    @classmethod
    def start_chain(cls, stack: ExitStack) -> Chain:
        served = stack.enter_context(create_chain("revm"))
        return stack.enter_context(RemoteChain(served.serve()))
