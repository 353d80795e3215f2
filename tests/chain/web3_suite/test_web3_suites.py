"""web3.py's own module conformance suites, unmodified, over HTTP against each node."""

from __future__ import annotations

import pytest
from web3._utils.module_testing import (
    AsyncEthModuleTest,
    AsyncNetModuleTest,
    EthModuleTest,
    NetModuleTest,
    Web3ModuleTest,
)
from web3._utils.module_testing.web3_module import AsyncWeb3ModuleTest

pytestmark = pytest.mark.slow  # ~1,150 tests: each suite on 3 nodes, 1-2 minutes


def _check_client_version(self: object, client_version: str) -> None:
    assert client_version.startswith(("ogpu-sim/", "anvil/"))


class TestEthModule(EthModuleTest):
    pass


class TestAsyncEthModule(AsyncEthModuleTest):
    pass


class TestWeb3Module(Web3ModuleTest):
    _check_web3_client_version = _check_client_version


class TestAsyncWeb3Module(AsyncWeb3ModuleTest):
    _check_web3_client_version = _check_client_version


class TestNetModule(NetModuleTest):
    pass


class TestAsyncNetModule(AsyncNetModuleTest):
    pass
