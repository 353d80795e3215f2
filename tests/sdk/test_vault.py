"""Vault entry points through the SDK, with exact wei deltas (docs/protocol.md, staking)."""

from __future__ import annotations

import pytest
from ogpu.protocol import vault
from ogpu.types.errors import (
    InsufficientBalanceError,
    InsufficientLockupError,
    UnbondingPeriodNotElapsedError,
)

from ogpu_sim.accounts import key_hex

ETHER = 10**18


@pytest.fixture
def actor(sim):
    """A fresh account with 0.5 OGPU deposited (notebook 05's vault actor)."""
    account = sim.accounts.new("vault-actor")
    vault.deposit(account.address, ETHER // 2, signer=key_hex(account))
    return account


def test_client_starts_with_a_prefunded_vault_balance(sim):
    assert vault.get_balance_of(sim.accounts.client.address) == 100 * ETHER


def test_a_fresh_account_has_nothing_in_the_vault(sim):
    assert vault.get_balance_of(sim.accounts.new("fresh").address) == 0


def test_deposit_credits_the_beneficiary(actor):
    assert vault.get_balance_of(actor.address) == ETHER // 2


def test_deposit_for_another_account_credits_that_account(sim, actor):
    beneficiary = sim.accounts.new("beneficiary").address

    vault.deposit(beneficiary, 1000, signer=key_hex(actor))

    assert vault.get_balance_of(beneficiary) == 1000


def test_withdraw_returns_native_funds_to_the_wallet(sim, actor):
    before = sim.w3.eth.get_balance(actor.address)

    receipt = vault.withdraw(ETHER // 5, signer=key_hex(actor))

    gas_cost = (
        receipt.gas_used * sim.w3.eth.get_transaction_receipt(receipt.tx_hash)["effectiveGasPrice"]
    )
    assert vault.get_balance_of(actor.address) == ETHER // 2 - ETHER // 5
    assert sim.w3.eth.get_balance(actor.address) == before + ETHER // 5 - gas_cost


def test_withdraw_more_than_the_balance_raises_insufficient_balance(actor):
    with pytest.raises(InsufficientBalanceError):
        vault.withdraw(ETHER, signer=key_hex(actor))


def test_lock_moves_balance_into_lockup(actor):
    vault.lock(ETHER // 5, signer=key_hex(actor))

    assert vault.get_balance_of(actor.address) == ETHER // 2 - ETHER // 5
    assert vault.get_lockup_of(actor.address) == ETHER // 5


def test_lock_more_than_the_balance_raises_insufficient_balance(actor):
    with pytest.raises(InsufficientBalanceError):
        vault.lock(ETHER, signer=key_hex(actor))


def test_unbond_starts_the_unbonding_clock(sim, actor):
    vault.lock(ETHER // 5, signer=key_hex(actor))

    vault.unbond(ETHER // 10, signer=key_hex(actor))

    assert vault.get_lockup_of(actor.address) == ETHER // 10
    assert vault.get_unbonding_of(actor.address) == ETHER // 10
    period = vault.get_unbonding_period()
    assert period == 10
    assert sim.now() - 1 <= vault.get_unbonding_timestamp(actor.address) - period <= sim.now()


def test_unbond_more_than_the_lockup_raises_insufficient_lockup(actor):
    with pytest.raises(InsufficientLockupError):
        vault.unbond(1, signer=key_hex(actor))


def test_claim_before_the_period_raises_unbonding_not_elapsed(actor):
    vault.lock(ETHER // 5, signer=key_hex(actor))
    vault.unbond(ETHER // 10, signer=key_hex(actor))

    with pytest.raises(UnbondingPeriodNotElapsedError):
        vault.claim(signer=key_hex(actor))


def test_claim_after_time_travel_credits_the_liquid_balance(sim, actor):
    vault.lock(ETHER // 5, signer=key_hex(actor))
    vault.unbond(ETHER // 10, signer=key_hex(actor))
    sim.advance_time(vault.get_unbonding_period() + 1)

    vault.claim(signer=key_hex(actor))

    assert vault.get_balance_of(actor.address) == ETHER * 4 // 10
    assert vault.get_unbonding_of(actor.address) == 0
    assert vault.get_unbonding_timestamp(actor.address) == 0


def test_cancel_unbonding_returns_funds_to_lockup_under_the_mainnet_config(actor):
    vault.lock(ETHER // 5, signer=key_hex(actor))
    vault.unbond(ETHER // 10, signer=key_hex(actor))

    vault.cancel_unbonding(signer=key_hex(actor))

    assert vault.get_lockup_of(actor.address) == ETHER // 5
    assert vault.get_unbonding_of(actor.address) == 0


def test_cancel_unbonding_fails_under_the_testnet_config_as_on_the_testnet(actor):
    """The SDK's shipped testnet Vault ABI has no cancelUnbonding: the SDK fails before sending."""
    from ogpu.chain.config import ChainConfig, ChainId
    from ogpu.types.errors import TxRpcError

    previous = ChainConfig.get_current_chain()
    ChainConfig.set_chain(ChainId.OGPU_TESTNET)
    try:
        vault.lock(ETHER // 5, signer=key_hex(actor))
        vault.unbond(ETHER // 10, signer=key_hex(actor))
        with pytest.raises(TxRpcError, match="cancelUnbonding' was not found"):
            vault.cancel_unbonding(signer=key_hex(actor))
    finally:
        ChainConfig.set_chain(previous)

    assert vault.get_unbonding_of(actor.address) == ETHER // 10


def test_min_lockup_per_source_defaults_to_zero():
    assert vault.get_min_lockup_per_source() == 0
