"""Vault ledgers: deposit, withdraw, lock, unbond, cancel, claim, sanctions, admin exits.

Every delta is asserted in exact wei; the conservation invariant is checked after each test
by the ``net`` fixture.
"""

from __future__ import annotations

from tests.contracts.harness import ETHER, Net, reverts

HALF = ETHER // 2


def _wallet_delta_after(net: Net, account, fn, value: int = 0) -> tuple[int, dict]:
    before = net.w3.eth.get_balance(account.address)
    receipt = net.tx(account, fn, value=value)
    fee = receipt["gasUsed"] * receipt["effectiveGasPrice"]
    return net.w3.eth.get_balance(account.address) - before + fee, receipt


def test_deposit_credits_the_named_account_and_emits_deposited(net: Net) -> None:
    delta, receipt = _wallet_delta_after(
        net, net.stranger, net.vault.functions.deposit(net.agent.address), value=HALF
    )
    assert delta == -HALF
    assert net.ledgers(net.agent.address)["balance"] == HALF
    assert net.ledgers(net.stranger.address)["balance"] == 0
    assert net.events(receipt, net.vault, "Deposited") == [
        {"account": net.agent.address, "amount": HALF}
    ]


def test_deposit_of_zero_reverts(net: Net) -> None:
    with reverts("ZeroAmount"):
        net.tx(net.stranger, net.vault.functions.deposit(net.stranger.address))


def test_withdraw_moves_balance_to_the_wallet(net: Net) -> None:
    net.deposit(net.stranger, ETHER)
    delta, receipt = _wallet_delta_after(net, net.stranger, net.vault.functions.withdraw(HALF))
    assert delta == HALF
    assert net.ledgers(net.stranger.address)["balance"] == HALF
    assert net.events(receipt, net.vault, "Withdrawn") == [
        {"account": net.stranger.address, "amount": HALF}
    ]


def test_withdraw_more_than_the_balance_reverts(net: Net) -> None:
    net.deposit(net.stranger, HALF)
    with reverts("InsufficientBalance"):
        net.tx(net.stranger, net.vault.functions.withdraw(HALF + 1))


def test_lock_moves_balance_to_lockup(net: Net) -> None:
    net.deposit(net.stranger, HALF)
    receipt = net.tx(net.stranger, net.vault.functions.lock(2 * 10**17))
    led = net.ledgers(net.stranger.address)
    assert (led["balance"], led["lockup"]) == (3 * 10**17, 2 * 10**17)
    assert net.vault.functions.getBalanceOf(net.stranger.address).call() == 3 * 10**17
    assert net.vault.functions.getLockupOf(net.stranger.address).call() == 2 * 10**17
    assert net.events(receipt, net.vault, "Locked") == [
        {"account": net.stranger.address, "amount": 2 * 10**17}
    ]


def test_lock_more_than_the_balance_reverts(net: Net) -> None:
    with reverts("InsufficientBalance"):
        net.tx(net.stranger, net.vault.functions.lock(1))


def test_unbond_starts_the_unbonding_clock(net: Net) -> None:
    net.deposit(net.stranger, HALF)
    net.tx(net.stranger, net.vault.functions.lock(2 * 10**17))
    receipt = net.tx(net.stranger, net.vault.functions.unbond(10**17))
    mined_at = net.w3.eth.get_block(receipt["blockNumber"])["timestamp"]
    led = net.ledgers(net.stranger.address)
    assert (led["lockup"], led["unbonding"]) == (10**17, 10**17)
    assert net.vault.functions.unbondingTimestamp(net.stranger.address).call() == mined_at + 10
    assert net.events(receipt, net.vault, "Unbonded") == [
        {"account": net.stranger.address, "amount": 10**17}
    ]


def test_a_second_unbond_adds_to_the_bucket_and_restarts_the_clock(net: Net) -> None:
    net.deposit(net.stranger, HALF)
    net.tx(net.stranger, net.vault.functions.lock(HALF))
    net.tx(net.stranger, net.vault.functions.unbond(100))
    net.advance(7)
    receipt = net.tx(net.stranger, net.vault.functions.unbond(50))
    mined_at = net.w3.eth.get_block(receipt["blockNumber"])["timestamp"]
    assert net.ledgers(net.stranger.address)["unbonding"] == 150
    assert net.vault.functions.unbondingTimestamp(net.stranger.address).call() == mined_at + 10


def test_unbond_more_than_the_lockup_reverts(net: Net) -> None:
    with reverts("InsufficientLockup"):
        net.tx(net.stranger, net.vault.functions.unbond(1))


def test_cancel_unbonding_returns_the_bucket_to_lockup(net: Net) -> None:
    net.deposit(net.stranger, HALF)
    net.tx(net.stranger, net.vault.functions.lock(HALF))
    net.tx(net.stranger, net.vault.functions.unbond(10**17))
    receipt = net.tx(net.stranger, net.vault.functions.cancelUnbonding())
    led = net.ledgers(net.stranger.address)
    assert (led["lockup"], led["unbonding"]) == (HALF, 0)
    assert net.vault.functions.unbondingTimestamp(net.stranger.address).call() == 0
    assert net.events(receipt, net.vault, "UnbondingCanceled") == [
        {"account": net.stranger.address, "amount": 10**17}
    ]


def test_cancel_unbonding_with_nothing_unbonding_reverts(net: Net) -> None:
    with reverts("NothingUnbonding"):
        net.tx(net.stranger, net.vault.functions.cancelUnbonding())


def test_claim_before_maturity_reverts(net: Net) -> None:
    # a long period, so the wall clock (which eth-tester also follows) cannot reach maturity
    net.tx(net.deployer, net.vault.functions.setMaxUnbondingPeriod(3_600))
    net.deposit(net.stranger, HALF)
    net.tx(net.stranger, net.vault.functions.lock(HALF))
    receipt = net.tx(net.stranger, net.vault.functions.unbond(HALF))
    mined_at = net.w3.eth.get_block(receipt["blockNumber"])["timestamp"]
    net.tester.time_travel(mined_at + 3_599)  # the next block (the claim) is stamped so
    with reverts("UnbondingNotElapsed"):
        net.tx(net.stranger, net.vault.functions.claim())


def test_claim_succeeds_exactly_at_maturity(net: Net) -> None:
    net.tx(net.deployer, net.vault.functions.setMaxUnbondingPeriod(3_600))
    net.deposit(net.stranger, HALF)
    net.tx(net.stranger, net.vault.functions.lock(HALF))
    receipt = net.tx(net.stranger, net.vault.functions.unbond(HALF))
    mined_at = net.w3.eth.get_block(receipt["blockNumber"])["timestamp"]
    net.tester.time_travel(mined_at + 3_600)
    claim = net.tx(net.stranger, net.vault.functions.claim())
    assert net.w3.eth.get_block(claim["blockNumber"])["timestamp"] == mined_at + 3_600
    assert net.ledgers(net.stranger.address)["balance"] == HALF


def test_claim_with_nothing_unbonding_reverts(net: Net) -> None:
    with reverts("NothingToClaim"):
        net.tx(net.stranger, net.vault.functions.claim())


def test_scenario_05_deposit_lock_unbond_wait_claim(net: Net) -> None:
    """0.5 deposit, 0.2 lock, 0.1 unbond, wait, claim -> 0.4 liquid.

    The worked example of docs/protocol.md, staking, lockup and unbonding.
    """
    net.deposit(net.stranger, HALF)
    net.tx(net.stranger, net.vault.functions.lock(2 * 10**17))
    net.tx(net.stranger, net.vault.functions.unbond(10**17))
    net.advance(10)
    receipt = net.tx(net.stranger, net.vault.functions.claim())
    led = net.ledgers(net.stranger.address)
    assert (led["balance"], led["lockup"], led["unbonding"]) == (4 * 10**17, 10**17, 0)
    assert net.vault.functions.unbondingTimestamp(net.stranger.address).call() == 0
    assert net.events(receipt, net.vault, "Claimed") == [
        {"account": net.stranger.address, "amount": 10**17}
    ]


def test_announce_provider_stake_is_credited_to_the_providers_lockup(net: Net) -> None:
    fresh = net.stranger
    receipt = net.tx(
        net.agent, net.terminal.functions.announceProvider(fresh.address, HALF), value=HALF
    )
    assert net.ledgers(fresh.address)["lockup"] == HALF
    assert net.ledgers(fresh.address)["balance"] == 0
    assert net.events(receipt, net.vault, "Deposited") == [
        {"account": fresh.address, "amount": HALF}
    ]
    assert net.events(receipt, net.vault, "Locked") == [{"account": fresh.address, "amount": HALF}]


def _stake(net: Net, account, amount: int) -> None:
    net.deposit(account, amount)
    net.tx(account, net.vault.functions.lock(amount))


def test_sanction_moves_lockup_to_sanction(net: Net) -> None:
    _stake(net, net.provider, ETHER)
    receipt = net.tx(net.deployer, net.vault.functions.sanction(net.provider.address, 3 * 10**17))
    led = net.ledgers(net.provider.address)
    assert (led["lockup"], led["sanction"]) == (7 * 10**17, 3 * 10**17)
    assert net.vault.functions.sanctionedAmount().call() == 3 * 10**17
    assert net.events(receipt, net.vault, "Sanctioned") == [
        {"account": net.provider.address, "amount": 3 * 10**17}
    ]
    assert net.vault.functions.isEligible(net.provider.address).call() is False


def test_sanction_beyond_the_lockup_reverts(net: Net) -> None:
    with reverts("InsufficientLockup"):
        net.tx(net.deployer, net.vault.functions.sanction(net.provider.address, 1))


def test_waive_returns_sanction_to_lockup(net: Net) -> None:
    _stake(net, net.provider, ETHER)
    net.tx(net.deployer, net.vault.functions.sanction(net.provider.address, 3 * 10**17))
    receipt = net.tx(net.deployer, net.vault.functions.waive(net.provider.address, 10**17))
    led = net.ledgers(net.provider.address)
    assert (led["lockup"], led["sanction"]) == (8 * 10**17, 2 * 10**17)
    assert net.vault.functions.sanctionedAmount().call() == 2 * 10**17
    assert net.events(receipt, net.vault, "Waived") == [
        {"account": net.provider.address, "amount": 10**17}
    ]


def test_waive_beyond_the_sanction_reverts(net: Net) -> None:
    with reverts("InsufficientSanction"):
        net.tx(net.deployer, net.vault.functions.waive(net.provider.address, 1))


def test_withdraw_sanction_pays_the_admin(net: Net) -> None:
    _stake(net, net.provider, ETHER)
    net.tx(net.deployer, net.vault.functions.sanction(net.provider.address, 3 * 10**17))
    delta, _ = _wallet_delta_after(
        net, net.deployer, net.vault.functions.withdrawSanctionOf(net.provider.address)
    )
    assert delta == 3 * 10**17
    assert net.ledgers(net.provider.address)["sanction"] == 0
    assert net.vault.functions.sanctionedAmount().call() == 0


def test_emergency_exit_pays_balance_lockup_and_unbonding_to_the_account(net: Net) -> None:
    net.deposit(net.stranger, ETHER)
    net.tx(net.stranger, net.vault.functions.lock(6 * 10**17))
    net.tx(net.stranger, net.vault.functions.unbond(10**17))
    before = net.w3.eth.get_balance(net.stranger.address)
    receipt = net.tx(net.deployer, net.vault.functions.emergencyExit(net.stranger.address))
    assert net.w3.eth.get_balance(net.stranger.address) - before == ETHER
    led = net.ledgers(net.stranger.address)
    assert (led["balance"], led["lockup"], led["unbonding"]) == (0, 0, 0)
    assert net.events(receipt, net.vault, "Withdrawn") == [
        {"account": net.stranger.address, "amount": ETHER}
    ]


def test_is_eligible_needs_the_minimum_lockup_and_no_sanction(net: Net) -> None:
    eligible = net.vault.functions.isEligible
    net.tx(net.deployer, net.vault.functions.setMinLockupPerSource(ETHER))
    assert eligible(net.provider.address).call() is False
    _stake(net, net.provider, ETHER)
    assert eligible(net.provider.address).call() is True
    net.tx(net.deployer, net.vault.functions.sanction(net.provider.address, 1))
    assert eligible(net.provider.address).call() is False


def test_whitelisted_accounts_are_always_eligible(net: Net) -> None:
    net.tx(net.deployer, net.vault.functions.setMinLockupPerSource(ETHER))
    net.tx(net.deployer, net.vault.functions.setWhitelist(net.provider.address, True))
    assert net.vault.functions.isWhitelisted(net.provider.address).call() is True
    assert net.vault.functions.isEligible(net.provider.address).call() is True


def test_admin_setters_update_the_constants(net: Net) -> None:
    net.tx(net.deployer, net.vault.functions.setMaxUnbondingPeriod(99))
    net.tx(net.deployer, net.vault.functions.setMinLockupPerSource(123))
    net.tx(net.deployer, net.vault.functions.setTerminal(net.stranger.address))
    assert net.vault.functions.UNBONDING_PERIOD().call() == 99
    assert net.vault.functions.MIN_LOCKUP_PER_SOURCE().call() == 123
    assert net.vault.functions.terminal().call() == net.stranger.address


def test_the_invariant_reader_sees_every_holding(net: Net) -> None:
    """The storage-slot reader behind the conservation check agrees with the getters."""
    net.deposit(net.stranger, ETHER)
    net.tx(net.stranger, net.vault.functions.lock(6 * 10**17))
    net.tx(net.stranger, net.vault.functions.unbond(10**17))
    net.tx(net.deployer, net.vault.functions.sanction(net.stranger.address, 10**17))
    assert net.ledger_total({net.stranger.address}) == ETHER
    assert net.w3.eth.get_balance(net.vault.address) == ETHER + 20 * ETHER


def _as_controller(net: Net):
    """The stranger with the CONTROLLER role, to drive the escrow functions directly."""
    from ogpu_sim.protocol import CONTROLLER_ROLE

    net.tx(net.deployer, net.manager.functions.grantRole(CONTROLLER_ROLE, net.stranger.address))
    return net.stranger


def test_freeze_process_release_move_escrow_in_exact_wei(net: Net) -> None:
    controller, task = _as_controller(net), net.agent.address
    f = net.vault.functions
    net.tx(controller, f.freezePayment(net.client.address, task, 1_000))
    assert (
        net.ledgers(net.client.address)["balance"],
        net.ledgers(net.client.address)["frozen"],
    ) == (10 * ETHER - 1_000, 1_000)
    # the client argument is informational: the payer recorded at freeze time is debited
    net.tx(controller, f.processPayment(net.client2.address, net.provider.address, task, 300))
    provider = net.ledgers(net.provider.address)
    assert (provider["balance"], provider["earnings"]) == (300, 300)
    assert net.ledgers(net.client.address)["frozen"] == 700
    net.tx(controller, f.releasePayment(net.client2.address, task))
    client = net.ledgers(net.client.address)
    assert (client["balance"], client["frozen"]) == (10 * ETHER - 300, 0)
    assert net.ledgers(net.client2.address)["balance"] == 10 * ETHER
    net.tx(controller, f.releasePayment(net.client.address, task))  # nothing left: no-op
    assert net.ledgers(net.client.address)["balance"] == 10 * ETHER - 300


def test_freezing_the_same_task_twice_reverts(net: Net) -> None:
    controller = _as_controller(net)
    net.tx(controller, net.vault.functions.freezePayment(net.client.address, net.agent.address, 0))
    with reverts("AlreadyFrozen"):
        net.tx(
            controller, net.vault.functions.freezePayment(net.client.address, net.agent.address, 5)
        )


def test_freezing_more_than_the_balance_reverts(net: Net) -> None:
    controller = _as_controller(net)
    with reverts("InsufficientBalance"):
        net.tx(
            controller,
            net.vault.functions.freezePayment(
                net.client.address, net.agent.address, 10 * ETHER + 1
            ),
        )


def test_processing_more_than_the_escrow_reverts(net: Net) -> None:
    controller = _as_controller(net)
    net.tx(
        controller, net.vault.functions.freezePayment(net.client.address, net.agent.address, 100)
    )
    with reverts("InsufficientEscrow"):
        net.tx(
            controller,
            net.vault.functions.processPayment(
                net.client.address, net.provider.address, net.agent.address, 101
            ),
        )


def test_a_payout_to_a_contract_that_refuses_coins_reverts(net: Net) -> None:
    refuser = net.nexus.address  # has no receive/fallback
    net.tx(net.stranger, net.vault.functions.deposit(refuser), value=5)
    net.tracked.add(refuser)
    with reverts("TransferFailed"):
        net.tx(net.deployer, net.vault.functions.emergencyExit(refuser))
    assert net.ledgers(refuser)["balance"] == 5
