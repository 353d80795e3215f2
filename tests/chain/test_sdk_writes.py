"""The real SDK's transaction pipeline (TxExecutor) against the in-process chain."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from eth_account.signers.local import LocalAccount
from ogpu.chain.nonce import NonceManager
from ogpu.protocol import _base as sdk_base
from ogpu.protocol._base import TxExecutor
from ogpu.types.errors import NotTaskOwnerError, TaskExpiredError
from web3.contract import Contract

from ogpu_sim.chain.tester import TesterChain


@pytest.fixture(autouse=True)
def sdk_on_chain(
    chain: TesterChain, account: LocalAccount, probe: Contract, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    monkeypatch.setattr(sdk_base, "_get_web3", lambda: chain.w3)
    snapshot_id = chain.snapshot()
    yield
    chain.revert(snapshot_id)
    NonceManager.reset_nonce(account.address, chain.w3)


def test_an_sdk_write_after_a_revert_heals_its_stale_nonce_cache(
    chain: TesterChain, account: LocalAccount, probe: Contract
) -> None:
    snapshot_id = chain.snapshot()
    TxExecutor(probe, "store", (1,), signer=account).execute()
    chain.revert(snapshot_id)  # the chain's nonce goes down, the SDK's cache does not
    receipt = TxExecutor(probe, "store", (2,), signer=account).execute()
    assert receipt.status == 1
    assert probe.functions.stored().call() == 2


def test_an_sdk_write_that_reverts_raises_the_sdk_typed_error(
    account: LocalAccount, probe: Contract
) -> None:
    with pytest.raises(NotTaskOwnerError):
        TxExecutor(
            probe, "revertWithReason", signer=account, context="Controller.cancelTask"
        ).execute()
    with pytest.raises(TaskExpiredError):
        TxExecutor(probe, "storeIf", (False, 1), signer=account).execute()
