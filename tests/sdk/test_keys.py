"""Keys as the SDK's docs pass them: ``private_key=acct.key`` and ``signer=acct.key``."""

from __future__ import annotations

from ogpu.client import publish_source
from ogpu.protocol import vault
from ogpu.types import DeliveryMethod, ImageEnvironments, SourceInfo

ETHER = 10**18


def _info(sim):
    return SourceInfo(
        name="keys",
        description="",
        logoUrl="",
        imageEnvs=ImageEnvironments(cpu=sim.ipfs.add("services: {}")),
        minPayment=1,
        minAvailableLockup=0,
        maxExpiryDuration=3600,
        deliveryMethod=DeliveryMethod.FIRST_RESPONSE,
    )


def test_publish_source_takes_a_role_accounts_key(sim):
    source = publish_source(_info(sim), private_key=sim.accounts.client.key)

    assert source.get_client() == sim.accounts.client.address


def test_publish_source_takes_a_fresh_accounts_key(sim):
    other = sim.accounts.new("client")

    source = publish_source(_info(sim), private_key=other.key)

    assert source.get_client() == other.address


def test_vault_deposit_takes_the_key_as_signer(sim):
    actor = sim.accounts.new("client")

    vault.deposit(actor.address, ETHER // 2, signer=actor.key)

    assert vault.get_balance_of(actor.address) == ETHER // 2


def test_a_simulated_providers_keys_sign_for_the_sdk(sim):
    source = publish_source(_info(sim))
    provider = sim.add_provider(source)

    vault.deposit(provider.address, ETHER // 4, signer=provider.account.key)

    assert vault.get_balance_of(provider.address) == ETHER // 4
