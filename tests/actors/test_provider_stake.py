"""``add_provider(stake=...)``: any wei amount is locked for the new provider; anything else is
refused by name before an account is made."""

from __future__ import annotations

import pytest
from ogpu.protocol import vault

from ogpu_sim import ConfigError


@pytest.mark.parametrize("stake", [-1, "1 OGPU", 1.5, True])
def test_a_stake_that_is_not_a_whole_number_of_wei_raises_config_error(sim, make_source, stake):
    source = make_source()
    before = list(sim.providers)

    with pytest.raises(ConfigError) as caught:
        sim.add_provider(source, stake=stake)

    assert str(caught.value) == f"stake: must be a whole number of wei, 0 or more; got {stake!r}"
    assert sim.providers == before


def test_a_stake_larger_than_an_accounts_usual_balance_is_locked_whole(sim, make_source):
    stake = 10**30

    provider = sim.add_provider(make_source(), stake=stake)

    assert vault.get_lockup_of(provider.address) == stake


def test_a_stake_of_zero_pairs_the_provider_with_nothing_locked(sim, make_source):
    provider = sim.add_provider(make_source(minAvailableLockup=0), stake=0)

    assert vault.get_lockup_of(provider.address) == 0
