"""The revm backend passes the same chain conformance suite as the default backend."""

from __future__ import annotations

from contextlib import ExitStack

import pytest

pytest.importorskip("pyrevm", reason="the revm backend needs PyPI pyrevm")

from ogpu_sim.chain import Chain, create_chain
from ogpu_sim.chain.remote import RemoteChain

from ..chain.conformance import ChainConformance


class TestRevmChain(ChainConformance):
    """The in-process revm chain through its own web3 provider."""

    @classmethod
    def start_chain(cls, stack: ExitStack) -> Chain:
        return stack.enter_context(create_chain("revm"))


class TestServedRevmChain(ChainConformance):
    """The revm chain served over the HTTP JSON-RPC server, driven as a RemoteChain."""

    @classmethod
    def start_chain(cls, stack: ExitStack) -> Chain:
        served = stack.enter_context(create_chain("revm"))
        return stack.enter_context(RemoteChain(served.serve()))
