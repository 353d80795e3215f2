"""Rules for the Vault's user operations, through every SDK route to each."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule
from ogpu.protocol import Master, Provider
from ogpu.protocol import vault as sdk_vault

from ..cast import Actor
from ..drawing import draw
from ..machine import ACTORS, MachineCore
from .common import MATURITY_TIMING, SMALL, near

DEPOSIT_VIA = ("vault.deposit", "Master.deposit_to_vault", "Provider.deposit_to_vault")
WITHDRAW_VIA = ("vault.withdraw", "Master.withdraw_from_vault", "Provider.withdraw_from_vault")
LOCK_VIA = ("vault.lock", "Master.stake", "Provider.stake")
UNBOND_VIA = ("vault.unbond", "Master.unstake", "Provider.unstake")
CANCEL_UNBONDING_VIA = (
    "vault.cancel_unbonding",
    "Master.cancel_unbonding",
    "Provider.cancel_unbonding",
)
CLAIM_VIA = ("vault.claim", "Master.claim_earnings", "Provider.claim_earnings")
VAULT_ENTRY_POINTS = (
    *DEPOSIT_VIA,
    *WITHDRAW_VIA,
    *LOCK_VIA,
    *UNBOND_VIA,
    *CANCEL_UNBONDING_VIA,
    *CLAIM_VIA,
)


def _route(via: str, actor: Actor, *amount: int) -> Callable[[], Any]:
    """The SDK call ``via`` (``vault.lock``, ``Provider.stake``...) signed by ``actor``."""
    owner, method = via.split(".")
    if owner == "vault":
        function = getattr(sdk_vault, method)
    else:
        handle = (Master if owner == "Master" else Provider)(actor.address)
        function = getattr(handle, method)
    return lambda: function(*amount, signer=actor.account)


# preconditions are named functions: hypothesis describes each one at every draw,
# and a lambda's description is read from its source
def a_balance(machine: VaultRules) -> bool:
    """Precondition: an account has a Vault balance."""
    return machine._any("balance")


def a_lockup(machine: VaultRules) -> bool:
    """Precondition: an account has a lockup."""
    return machine._any("lockup")


def an_unbonding(machine: VaultRules) -> bool:
    """Precondition: an account is unbonding."""
    return machine._any("unbonding")


class VaultRules(MachineCore):
    """deposit, withdraw, lock, unbond, cancel_unbonding, claim."""

    @rule(
        payer=ACTORS,
        beneficiary=ACTORS,
        amount=SMALL,
        via=st.sampled_from(DEPOSIT_VIA),
    )
    def deposit(self, payer: str, beneficiary: str, amount: int, via: str) -> None:
        self.deposit_as(self.cast[payer], self.cast[beneficiary], amount, via)

    def deposit_as(self, payer: Actor, beneficiary: Actor, amount: int, via: str) -> None:
        """``payer`` deposits ``amount`` for ``beneficiary`` through SDK route ``via``."""
        if via == "vault.deposit":
            call: Callable[[], Any] = lambda: sdk_vault.deposit(  # noqa: E731
                beneficiary.address, amount, signer=payer.account
            )
        else:
            handle = (Master if via.startswith("Master") else Provider)(beneficiary.address)
            call = lambda: handle.deposit_to_vault(amount, signer=payer.account)  # noqa: E731
        self.act(
            "deposit",
            call,
            lambda m, now: m.deposit(payer.address, beneficiary.address, amount),
            via=via,
        )

    def _any(self, bucket: str) -> bool:
        """Whether some cast member has something in ``bucket`` (the valid choices exist)."""
        return any(getattr(self.model.ledger(a.address), bucket) for a in self.cast.values())

    def _holder(self, data: st.DataObject, bucket: str) -> Actor:
        """A cast member with something in ``bucket`` (mostly), or anyone."""
        everyone = list(self.cast.values())
        holders = [a for a in everyone if getattr(self.model.ledger(a.address), bucket) > 0]
        return self.choose(data, "actor", holders, everyone)

    @precondition(a_balance)
    @rule(data=st.data(), via=st.sampled_from(WITHDRAW_VIA))
    def withdraw(self, data: st.DataObject, via: str) -> None:
        actor = self._holder(data, "balance")
        amount = draw(data, near(self.model.ledger(actor.address).balance), label="amount")
        self.act(
            "withdraw",
            _route(via, actor, amount),
            lambda m, now: m.withdraw(actor.address, amount),
            via=via,
        )

    @precondition(a_balance)
    @rule(data=st.data(), via=st.sampled_from(LOCK_VIA))
    def lock(self, data: st.DataObject, via: str) -> None:
        actor = self._holder(data, "balance")
        amount = draw(data, near(self.model.ledger(actor.address).balance), label="amount")
        self.act(
            "lock",
            _route(via, actor, amount),
            lambda m, now: m.lock(actor.address, amount),
            via=via,
        )

    @precondition(a_lockup)
    @rule(data=st.data(), via=st.sampled_from(UNBOND_VIA))
    def unbond(self, data: st.DataObject, via: str) -> None:
        actor = self._holder(data, "lockup")
        amount = draw(data, near(self.model.ledger(actor.address).lockup), label="amount")
        self.act(
            "unbond",
            _route(via, actor, amount),
            lambda m, now: m.unbond(actor.address, amount, now),
            via=via,
        )

    @precondition(an_unbonding)
    @rule(data=st.data(), via=st.sampled_from(CANCEL_UNBONDING_VIA))
    def cancel_unbonding(self, data: st.DataObject, via: str) -> None:
        actor = self._holder(data, "unbonding")
        self.act(
            "cancel_unbonding",
            _route(via, actor),
            lambda m, now: m.cancel_unbonding(actor.address),
            via=via,
        )

    @precondition(an_unbonding)
    @rule(data=st.data(), timing=MATURITY_TIMING, via=st.sampled_from(CLAIM_VIA))
    def claim(self, data: st.DataObject, timing: str, via: str) -> None:
        now = self.sim.now()
        everyone = list(self.cast.values())
        unbonding = [a for a in everyone if self.model.ledger(a.address).unbonding > 0]
        matured = [a for a in unbonding if self.model.ledger(a.address).unbonding_timestamp <= now]
        actor = self.choose(data, "actor", matured or unbonding, everyone)
        if timing != "now":
            # land on the maturity instant, or one second before it
            matures = self.model.ledger(actor.address).unbonding_timestamp
            self.move_time_to(matures - (1 if timing == "one second early" else 0))
        self.act("claim", _route(via, actor), lambda m, now: m.claim(actor.address, now), via=via)
