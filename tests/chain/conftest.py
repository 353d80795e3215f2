"""Module-scoped in-process chain with a funded account and the Probe contract deployed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from ogpu_sim.chain.tester import TesterChain

from .helpers import deploy_probe, funded_account


@pytest.fixture(scope="module")
def chain() -> Iterator[TesterChain]:
    with TesterChain() as chain:
        yield chain


@pytest.fixture(scope="module")
def account(chain: TesterChain) -> LocalAccount:
    return funded_account(chain)


@pytest.fixture(scope="module")
def probe(chain: TesterChain, account: LocalAccount) -> Contract:
    return deploy_probe(chain.w3, account)
